// A sentence encoder on disk: a Hugging Face BERT-style folder (config.json, model.safetensors,
// tokenizer.json) plus `encoder.json`, which says how texts become vectors (mean pooling,
// L2-normalised, the token limit and a text prefix such as E5's "query: "). The dense-encoder
// stage writes one; the k-means stage and anything else that embeds texts open it. A retriever
// `model` folder (retriever.json instead of encoder.json) and a plain HF folder open too.

import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFailure } from '../../plugin/api.js';
import { BertEncoder } from '../nn/models/bert.js';
import { loadPretrained, savePretrained } from '../nn/pretrained.js';
import { loadTokenizer, type Tokenizer } from '../nn/tokenizer/core.js';
import { BiEncoder } from './bi-encoder.js';

export const ENCODER_INFO_FILE = 'encoder.json';

/** How the folder's texts are embedded. */
export interface EncoderInfo {
  pooling: 'mean';
  normalize: true;
  /** Tokens per sequence, special tokens included. */
  maxLength: number;
  /** Put before every text, query and candidate alike (E5 expects "query: "). */
  prefix: string;
  /** How the weights came about, for people reading the folder. */
  origin?: string;
}

/** A bi-encoder with its text prefix: what embeds queries and pools for search and clustering. */
export class SentenceEncoder {
  constructor(readonly model: BiEncoder, readonly info: EncoderInfo) {}

  get dim(): number {
    return this.model.dim;
  }

  /** Unit-norm embeddings [n·D], row-major, in the order of `texts`. */
  embedAll(texts: readonly string[], batchSize: number): Float32Array {
    const p = this.info.prefix;
    return this.model.embedAll(p === '' ? texts : texts.map((t) => p + t), batchSize);
  }

  dispose(): void {
    this.model.encoder.dispose();
  }
}

export async function saveEncoderFolder(dir: string, encoder: SentenceEncoder, tokenizerJson: string): Promise<void> {
  await savePretrained(dir, encoder.model.encoder, { tokenizerJson });
  await writeFile(join(dir, ENCODER_INFO_FILE), JSON.stringify(encoder.info, null, 2) + '\n');
}

export interface OpenEncoderOptions {
  /** Seed for weights the folder lacks (none for an encoder; kept for the loader). */
  seed?: number;
  /** Token limit when the folder does not say (a plain HF folder); default 128. */
  maxLength?: number;
  /** Text prefix when the folder does not say; default none. */
  prefix?: string;
  /** Who opens it, for messages ("the kmeans-demos stage"). */
  who?: string;
}

/** The folder's own description of its texts: encoder.json, else a retriever's retriever.json. */
function readInfo(dir: string, o: OpenEncoderOptions, maxPositions: number): EncoderInfo {
  for (const name of [ENCODER_INFO_FILE, 'retriever.json']) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new NodeFailure(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const v = raw as { maxLength?: unknown; prefix?: unknown; pooling?: unknown };
    if (typeof raw !== 'object' || raw === null || !Number.isInteger(v.maxLength) || (v.maxLength as number) < 2) {
      throw new NodeFailure(`${file}: expected {"maxLength": integer ≥ 2, "pooling": "mean", …}`);
    }
    if (v.pooling !== undefined && v.pooling !== 'mean') throw new NodeFailure(`${file}: pooling "${String(v.pooling)}" is not supported (only "mean")`);
    if (v.prefix !== undefined && typeof v.prefix !== 'string') throw new NodeFailure(`${file}: "prefix" must be a string`);
    return { pooling: 'mean', normalize: true, maxLength: Math.min(v.maxLength as number, maxPositions), prefix: (v.prefix as string | undefined) ?? o.prefix ?? '' };
  }
  return { pooling: 'mean', normalize: true, maxLength: Math.min(o.maxLength ?? 128, maxPositions), prefix: o.prefix ?? '' };
}

/**
 * Opens an encoder folder. Every way it can be wrong (no config.json, unreadable weights, not a
 * BERT-style encoder, no or a broken tokenizer.json, a malformed encoder.json) is a NodeFailure
 * naming the folder or file.
 */
export async function openEncoderFolder(dir: string, o: OpenEncoderOptions = {}): Promise<{ encoder: SentenceEncoder; tokenizerFile: string }> {
  const who = o.who ?? 'this stage';
  if (!existsSync(join(dir, 'config.json'))) throw new NodeFailure(`${dir}: not an encoder folder (no config.json); ${who} needs the dense-encoder stage's model output or a Hugging Face BERT-style folder`);
  let loaded;
  try {
    loaded = await loadPretrained(dir, { as: 'encoder', seed: o.seed ?? 0 });
  } catch (e) {
    const message = (e as Error).message;
    throw new NodeFailure(message.includes(dir) ? message : `${dir}: ${message}`);
  }
  if (!(loaded.model instanceof BertEncoder)) {
    loaded.model.dispose();
    throw new NodeFailure(`${dir}: a ${loaded.arch.family} model; ${who} needs a BERT-style encoder`);
  }
  const model = loaded.model;
  try {
    const tokenizerFile = loaded.tokenizerPath;
    if (tokenizerFile === undefined) throw new NodeFailure(`${dir}: no tokenizer.json beside the weights`);
    let tokenizer: Tokenizer;
    try {
      tokenizer = await loadTokenizer(tokenizerFile);
      tokenizer.encode('a probe sentence');
    } catch (e) {
      throw new NodeFailure(`${tokenizerFile}: the tokenizer does not load: ${(e as Error).message}`);
    }
    if (tokenizer.vocabSize > model.config.vocabSize) throw new NodeFailure(`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the encoder's vocabulary holds ${model.config.vocabSize}`);
    const info = readInfo(dir, o, model.config.maxPositions);
    return { encoder: new SentenceEncoder(new BiEncoder(model, tokenizer, { maxLength: info.maxLength }), info), tokenizerFile };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
