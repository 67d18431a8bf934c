// The n-gram model file: a small JSON header, then the model's typed arrays as raw
// little-endian float64, so loading is one read and a few array views (no parsing of numbers).
//
//   bytes 0..7    magic "RTNGRAM1"
//   bytes 8..11   header length H (uint32 LE)
//   bytes 12..15  0
//   16..16+H      header JSON (UTF-8), then zero padding to a multiple of 8
//   then          p1 (V doubles), gamma1 (V doubles), then each table's slots (cap·stride doubles)

import { readFile, writeFile, rename } from 'node:fs/promises';
import { Vocabulary } from '../../tokenize.js';
import type { Discounts } from './estimate.js';
import { NgramModel, type MixWeights, type NgramInfo } from './model.js';
import { NgramTable } from './table.js';

const MAGIC = 'RTNGRAM1';
const FORMAT_VERSION = 1;

interface Header {
  format: 'retort-ngram';
  version: number;
  order: number;
  lowercase: boolean;
  discounts: Discounts[];
  trainedTokens: number;
  trainedTexts: number;
  /** Default mixing weights stored with the model. */
  mix: MixWeights;
  tables: { order: number; cap: number; stride: number; size: number }[];
  vocab: string[];
}

export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ModelFileError';
  }
}

export function serializeNgram(model: NgramModel, mix: MixWeights): Uint8Array {
  const { est, info } = model;
  const header: Header = {
    format: 'retort-ngram',
    version: FORMAT_VERSION,
    order: est.order,
    lowercase: info.lowercase,
    discounts: info.discounts,
    trainedTokens: info.trainedTokens,
    trainedTexts: info.trainedTexts,
    mix,
    tables: est.tables.map((t) => ({ order: t.order, cap: t.cap, stride: t.stride, size: t.size })),
    vocab: [...model.vocab.tokens],
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headEnd = align8(16 + json.length);
  const arrays: Float64Array[] = [est.p1, est.gamma1, ...est.tables.map((t) => t.slots)];
  const total = headEnd + arrays.reduce((n, a) => n + a.byteLength, 0);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 16);
  let off = headEnd;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  return out;
}

export function deserializeNgram(bytes: Uint8Array, file = '<memory>'): { model: NgramModel; mix: MixWeights } {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new ModelFileError(file, 'not an n-gram model file (bad magic; train one with the ngram-lm plugin)');
  }
  // Float64Array views need an 8-byte aligned offset; copy in the rare case the buffer is not.
  if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = view.getUint32(8, true);
  if (16 + headLen > bytes.length) throw new ModelFileError(file, 'truncated header');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headLen))) as Header;
  } catch (e) {
    throw new ModelFileError(file, `corrupt header: ${(e as Error).message}`);
  }
  if (header.format !== 'retort-ngram' || header.version !== FORMAT_VERSION) {
    throw new ModelFileError(file, `unsupported model format ${header.format} v${header.version} (expected retort-ngram v${FORMAT_VERSION})`);
  }
  const V = header.vocab.length;
  let off = bytes.byteOffset + align8(16 + headLen);
  const take = (n: number): Float64Array => {
    if (off + n * 8 > bytes.byteOffset + bytes.length) throw new ModelFileError(file, 'truncated model data');
    const a = new Float64Array(bytes.buffer, off, n);
    off += n * 8;
    return a;
  };
  const p1 = take(V);
  const gamma1 = take(V);
  const tables = header.tables.map((t) => new NgramTable(t.order, t.cap, t.stride, take(t.cap * t.stride), t.size));
  if (off !== bytes.byteOffset + bytes.length) throw new ModelFileError(file, 'trailing bytes after model data');
  const info: NgramInfo = {
    order: header.order,
    lowercase: header.lowercase,
    discounts: header.discounts,
    trainedTokens: header.trainedTokens,
    trainedTexts: header.trainedTexts,
  };
  const model = new NgramModel(new Vocabulary(header.vocab), { order: header.order, vocabSize: V, p1, gamma1, tables, discounts: header.discounts }, info);
  return { model, mix: header.mix };
}

export async function saveNgram(file: string, model: NgramModel, mix: MixWeights): Promise<void> {
  // Write aside then rename, so a reader never sees half a model.
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, serializeNgram(model, mix));
  await rename(tmp, file);
}

export async function loadNgram(file: string): Promise<{ model: NgramModel; mix: MixWeights }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelFileError(file, 'file not found');
    throw e;
  }
  return deserializeNgram(bytes, file);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
