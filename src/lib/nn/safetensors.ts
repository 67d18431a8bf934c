// The safetensors file format (Hugging Face): an 8-byte little-endian header length N, N bytes
// of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}}`, then the
// raw little-endian tensor bytes, offsets counted from the end of the header.
//
// In memory a tensor keeps the dtype it is stored as; its data is the matching typed array,
// except F16 and BF16, which are held as Float32Array (converted on read and on write).

import { promises as fs, readFileSync, writeFileSync, openSync, fsyncSync, closeSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { endianness } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../plugin/api.js';

export type SafeDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export type TensorData =
  | Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array
  | BigUint64Array | Uint32Array | Uint16Array | Uint8Array;

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  /** Row-major values. F16/BF16: a Float32Array (a Uint16Array of raw half bits is accepted on write). */
  data: TensorData;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Bad or unreadable safetensors content; names the file and, when it concerns one, the tensor. */
export class SafetensorsError extends NodeFailure {
  readonly file: string;
  readonly tensor: string | undefined;
  constructor(file: string, detail: string, tensor?: string) {
    super(tensor === undefined ? `${file}: ${detail}` : `${file}: tensor "${tensor}": ${detail}`);
    this.name = 'SafetensorsError';
    this.file = file;
    this.tensor = tensor;
  }
}

/** Bytes per element as stored, and the typed array that holds the stored bytes. */
const DTYPES: Record<SafeDtype, { bytes: number; storage: new (buffer: ArrayBuffer, offset: number, length: number) => TensorData }> = {
  F64: { bytes: 8, storage: Float64Array },
  F32: { bytes: 4, storage: Float32Array },
  F16: { bytes: 2, storage: Uint16Array },
  BF16: { bytes: 2, storage: Uint16Array },
  I64: { bytes: 8, storage: BigInt64Array },
  I32: { bytes: 4, storage: Int32Array },
  I16: { bytes: 2, storage: Int16Array },
  I8: { bytes: 1, storage: Int8Array },
  U64: { bytes: 8, storage: BigUint64Array },
  U32: { bytes: 4, storage: Uint32Array },
  U16: { bytes: 2, storage: Uint16Array },
  U8: { bytes: 1, storage: Uint8Array },
  BOOL: { bytes: 1, storage: Uint8Array },
};

/** A header beyond this is not a real file (the reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;

function isSafeDtype(value: unknown): value is SafeDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

function assertLittleEndianHost(): void {
  // Tensors are copied byte for byte into typed arrays, which use the host's byte order.
  if (endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported');
}

// ---- half-precision conversions ----------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits → float32 value. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 value → IEEE 754 binary16 bits, rounding to nearest even (overflow → ±Inf). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!; // one-element scratch views
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit bit in, then round.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1))) h += 1;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h += 1; // may carry into the exponent: still right
  return sign | h;
}

/** bfloat16 bits → float32 value (the top half of a float32). */
export function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** float32 value → bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function floatToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!; // one-element scratch views
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// ---- encoding ----------------------------------------------------------------------------

function elementCount(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The stored bytes of one tensor; checks that dtype, shape and data agree. */
function storedBytes(file: string, name: string, t: SafeTensor): Uint8Array {
  if (!isSafeDtype(t.dtype)) throw new SafetensorsError(file, `unknown dtype ${JSON.stringify(t.dtype)}`, name);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(file, `shape must be a list of non-negative integers, got ${JSON.stringify(t.shape)}`, name);
  }
  const n = elementCount(t.shape);
  if (t.data.length !== n) {
    throw new SafetensorsError(file, `shape [${t.shape.join(', ')}] has ${n} elements but the data has ${t.data.length}`, name);
  }
  const spec = DTYPES[t.dtype];
  let stored: TensorData;
  if (t.dtype === 'F16' || t.dtype === 'BF16') {
    if (t.data instanceof Uint16Array) stored = t.data;
    else if (t.data instanceof Float32Array || t.data instanceof Float64Array) {
      const convert = t.dtype === 'F16' ? floatToHalf : floatToBf16;
      const bits = new Uint16Array(n);
      for (let i = 0; i < n; i++) bits[i] = convert(t.data[i]!); // n = data.length, checked above
      stored = bits;
    } else throw new SafetensorsError(file, `${t.dtype} data must be a Float32Array or a Uint16Array of raw bits`, name);
  } else {
    if (!(t.data instanceof spec.storage)) {
      throw new SafetensorsError(file, `${t.dtype} data must be a ${spec.storage.name}, got ${t.data.constructor.name}`, name);
    }
    stored = t.data;
  }
  return new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
}

/** The whole file as bytes. */
export function encodeSafetensors(tensors: Map<string, SafeTensor>, metadata: Record<string, string> = {}, file = '<memory>'): Uint8Array {
  assertLittleEndianHost();
  const header: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new SafetensorsError(file, `metadata "${key}" must be a string, got ${typeof value}`);
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const stored = new Map<string, Uint8Array>();
  for (const [name, t] of tensors) {
    if (name === '' || name === '__metadata__') throw new SafetensorsError(file, 'reserved or empty tensor name', name);
    stored.set(name, storedBytes(file, name, t));
  }
  // Wider elements first, so every tensor starts aligned to its element size (readers may map the
  // file without copying); the header keeps the caller's order.
  const layout = [...tensors.keys()].sort((a, b) => DTYPES[tensors.get(b)!.dtype].bytes - DTYPES[tensors.get(a)!.dtype].bytes);
  const offsets = new Map<string, number>();
  let offset = 0;
  for (const name of layout) {
    offsets.set(name, offset);
    offset += stored.get(name)!.byteLength;
  }
  for (const [name, t] of tensors) {
    const begin = offsets.get(name)!;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [begin, begin + stored.get(name)!.byteLength] };
  }
  const parts = layout.map((name) => stored.get(name)!);
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const pad = (8 - (json.byteLength % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes the file aside, syncs it and renames it into place: readers see the old file or the new one. */
export async function writeSafetensors(path: string, tensors: Map<string, SafeTensor>, metadata?: Record<string, string>): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata, path);
  const tmp = tempNameFor(path);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

export function writeSafetensorsSync(path: string, tensors: Map<string, SafeTensor>, metadata?: Record<string, string>): void {
  const bytes = encodeSafetensors(tensors, metadata, path);
  const tmp = tempNameFor(path);
  try {
    writeFileSync(tmp, bytes);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

// ---- decoding ----------------------------------------------------------------------------

interface HeaderEntry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(file: string, bytes: Uint8Array): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.byteLength < 8) throw new SafetensorsError(file, `truncated file: ${bytes.byteLength} bytes, fewer than the 8-byte header length`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, `header too long: ${declared} bytes declared (the limit is ${MAX_HEADER_BYTES}); not a safetensors file?`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.byteLength) {
    throw new SafetensorsError(file, `truncated file: the header claims ${headerLength} bytes but only ${bytes.byteLength - 8} follow the length`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLength).toString('utf8'));
  } catch (err) {
    throw new SafetensorsError(file, `the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError(file, 'the header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SafetensorsError(file, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new SafetensorsError(file, `metadata "${k}" must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(file, name, value));
  }
  return { entries, metadata, dataStart: 8 + headerLength };
}

function parseEntry(file: string, name: string, value: unknown): HeaderEntry {
  if (typeof value !== 'object' || value === null) throw new SafetensorsError(file, 'header entry is not an object', name);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isSafeDtype(dtype)) {
    throw new SafetensorsError(file, `unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPES).join(', ')})`, name);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(file, `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`, name);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(file, `data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`, name);
  }
  const expected = elementCount(shape) * DTYPES[dtype].bytes;
  if (offsets[1] - offsets[0] !== expected) {
    throw new SafetensorsError(file, `data_offsets [${offsets[0]}, ${offsets[1]}] span ${offsets[1] - offsets[0]} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`, name);
  }
  return { name, dtype, shape: shape as number[], begin: offsets[0], end: offsets[1] };
}

/** Parses a whole file held in memory; `file` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, file = '<memory>'): SafetensorsFile {
  assertLittleEndianHost();
  const { entries, metadata, dataStart } = parseHeader(file, bytes);
  const dataLength = bytes.byteLength - dataStart;
  const byStart = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let furthest: HeaderEntry | undefined; // the entry reaching furthest so far
  for (const e of byStart) {
    if (e.end > dataLength) {
      throw new SafetensorsError(file, `data_offsets [${e.begin}, ${e.end}] run past the end of the data (${dataLength} bytes): truncated or corrupt file`, e.name);
    }
    if (e.end === e.begin) continue; // an empty tensor occupies no bytes
    if (furthest && e.begin < furthest.end) {
      throw new SafetensorsError(file, `data_offsets [${e.begin}, ${e.end}] overlap those of "${furthest.name}" [${furthest.begin}, ${furthest.end}]`, e.name);
    }
    furthest = e;
  }
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    // Copy, so the tensor is aligned and does not keep the whole file alive.
    // (Buffer.slice would share memory, hence the explicit copy.)
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    const spec = DTYPES[e.dtype];
    const stored = new spec.storage(copy.buffer, 0, copy.byteLength / spec.bytes);
    let data: TensorData = stored;
    if (e.dtype === 'F16' || e.dtype === 'BF16') {
      const convert = e.dtype === 'F16' ? halfToFloat : bf16ToFloat;
      const floats = new Float32Array(stored.length);
      for (let i = 0; i < stored.length; i++) floats[i] = convert((stored as Uint16Array)[i]!);
      data = floats;
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function readFailure(path: string, err: unknown): SafetensorsError {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return new SafetensorsError(path, 'no such file');
  if (code === 'EISDIR') return new SafetensorsError(path, 'is a directory, not a safetensors file');
  return new SafetensorsError(path, `cannot be read (${(err as Error).message})`);
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    throw readFailure(path, err);
  }
  return decodeSafetensors(bytes, path);
}

export function readSafetensorsSync(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw readFailure(path, err);
  }
  return decodeSafetensors(bytes, path);
}

// ---- tf.js bridges -----------------------------------------------------------------------

/**
 * File tensors → tf tensors (the caller owns and disposes them). Floats become float32; integers
 * int32 (64-bit values outside the int32 range are an error naming the tensor); BOOL bool.
 */
export function tensorsToTf(tensors: Map<string, SafeTensor>, file = '<memory>'): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  try {
    for (const [name, t] of tensors) out.set(name, toTf(file, name, t));
  } catch (err) {
    for (const made of out.values()) made.dispose();
    throw err;
  }
  return out;
}

function toTf(file: string, name: string, t: SafeTensor): tf.Tensor {
  switch (t.dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
      if (t.data instanceof Uint16Array) {
        const convert = t.dtype === 'F16' ? halfToFloat : bf16ToFloat;
        return tf.tensor(Float32Array.from(t.data, convert), t.shape, 'float32');
      }
      return tf.tensor(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array), t.shape, 'float32');
    case 'F64':
      return tf.tensor(Float32Array.from(t.data as Float64Array), t.shape, 'float32');
    case 'BOOL':
      return tf.tensor(Uint8Array.from(t.data as Uint8Array, (v) => (v ? 1 : 0)), t.shape, 'bool');
    case 'I64':
    case 'U64': {
      const src = t.data as BigInt64Array | BigUint64Array;
      const ints = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError(file, `value ${v} at index ${i} does not fit in int32`, name);
        ints[i] = Number(v);
      }
      return tf.tensor(ints, t.shape, 'int32');
    }
    case 'U32': {
      const src = t.data as Uint32Array;
      for (let i = 0; i < src.length; i++) {
        if (src[i]! > 2147483647) throw new SafetensorsError(file, `value ${src[i]} at index ${i} does not fit in int32`, name);
      }
      return tf.tensor(Int32Array.from(src), t.shape, 'int32');
    }
    default:
      return tf.tensor(Int32Array.from(t.data as Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array), t.shape, 'int32');
  }
}

/**
 * tf tensors → file tensors (reads their values synchronously). float32 is stored as `floatDtype`
 * (default F32; F16/BF16 halve the size), int32 as I32, bool as BOOL.
 */
export function tfToTensors(tensors: Map<string, tf.Tensor>, options: { floatDtype?: 'F32' | 'F16' | 'BF16' } = {}): Map<string, SafeTensor> {
  const floatDtype = options.floatDtype ?? 'F32';
  const out = new Map<string, SafeTensor>();
  for (const [name, t] of tensors) {
    const shape = [...t.shape];
    if (t.dtype === 'float32') out.set(name, { dtype: floatDtype, shape, data: Float32Array.from(t.dataSync() as Float32Array) });
    else if (t.dtype === 'int32') out.set(name, { dtype: 'I32', shape, data: Int32Array.from(t.dataSync() as Int32Array) });
    else if (t.dtype === 'bool') out.set(name, { dtype: 'BOOL', shape, data: Uint8Array.from(t.dataSync() as Uint8Array) });
    else throw new SafetensorsError('<memory>', `tf dtype ${t.dtype} cannot be stored in safetensors`, name);
  }
  return out;
}
