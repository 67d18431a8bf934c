// Batched generation from a causal decoder with a key/value cache. The prompts are read once,
// left-padded into one batch (each row's positions start at 0 at its first real token, so a row
// decodes as it would alone); then each step feeds one new token per unfinished row and extends
// the cache. Rows stop on their own (a stop token, a stop string, or maxNewTokens) and leave the
// batch, so later steps cost less.
//
//   prompts → ids, mask [b, T] → forward (cache)            → logits at T-1 [b, V] → next tokens
//   loop: next [b', 1], mask [b', tPast + 1] → forward (past) → logits [b', V]     → next tokens

import * as tf from '@tensorflow/tfjs';
import { Mode } from './layers/dropout.js';
import { DecoderInputs, DecoderOutput, disposeCache, KvCache, selectCacheRows } from './models/decoder.js';
import { checkSampling, isGreedy, sampleToken, SamplingOptions } from './sampling.js';
import { deriveSeed, Rng } from './train/rng.js';

/** What generation needs of a model: GPT2Decoder and LlamaDecoder (with or without adapters). */
export interface CausalLm {
  forward(inputs: DecoderInputs, mode?: Mode): DecoderOutput;
}

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens generated per row. */
  maxNewTokens: number;
  /** Fills the left of shorter prompts (never attended to). */
  padId: number;
  /** Row i draws from its own generator seeded by (seed, i): its samples do not depend on the batch. */
  seed?: number;
  /** A row stops when it draws one of these; the stop token is not kept. */
  stopTokenIds?: number[];
  /** A row stops once its decoded text contains one of these; the text is cut before it. Needs `decode`. */
  stopStrings?: string[];
  /** Token ids → text, for stop strings and `Generation.text`. */
  decode?: (ids: number[]) => string;
}

export type FinishReason = 'stop-token' | 'stop-string' | 'length';

export interface Generation {
  /** The generated ids, without a stop token (with the tokens that completed a stop string). */
  tokens: number[];
  /** decode(tokens) cut before the first stop string, when `decode` is given. */
  text?: string;
  finish: FinishReason;
}

function checkOptions(prompts: number[][], o: GenerateOptions): void {
  if (!(Number.isInteger(o.maxNewTokens) && o.maxNewTokens >= 0)) throw new Error(`maxNewTokens must be an integer ≥ 0, got ${o.maxNewTokens}`);
  checkSampling(o);
  if (o.stopStrings?.length && !o.decode) throw new Error('stop strings need a decode function (token ids → text)');
  const empty = prompts.findIndex((p) => p.length === 0);
  if (empty >= 0) throw new Error(`prompt ${empty} has no tokens: generation needs at least one to start from`);
}

/** Where the first stop string starts in `text`, or -1. */
function stopIndex(text: string, stops: string[]): number {
  let first = -1;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

/** A row of the batch that is still generating. */
interface LiveRow {
  generation: Generation;
  /** Its own generator, seeded by (seed, its index among the prompts). */
  rng: Rng;
  /** Over its cached tokens: 0 on the left padding, 1 on its tokens. */
  mask: number[];
  /** The position of the next token it is fed. */
  position: number;
}

/** The next token of every row of `logits` [b, V], the rows of the batch in order; disposes `logits`. */
function chooseTokens(logits: tf.Tensor2D, rows: readonly LiveRow[], o: SamplingOptions): number[] {
  try {
    if (isGreedy(o)) return Array.from(tf.tidy(() => tf.argMax(logits, -1).dataSync()));
    const [, v] = logits.shape;
    const all = logits.dataSync();
    return rows.map((row, k) => sampleToken(all.subarray(k * v, (k + 1) * v), o, row.rng));
  } finally {
    logits.dispose();
  }
}

/** Reads the left-padded prompts: the cache and the logits at each row's last token [b, V]. */
function prefill(model: CausalLm, prompts: number[][], padId: number): { cache: KvCache; logits: tf.Tensor2D } {
  const b = prompts.length;
  const t = Math.max(...prompts.map((p) => p.length));
  const ids = new Int32Array(b * t).fill(padId);
  const mask = new Int32Array(b * t);
  const positions = new Int32Array(b * t);
  prompts.forEach((p, i) => {
    const pad = t - p.length;
    ids.set(p, i * t + pad);
    mask.fill(1, i * t + pad, (i + 1) * t);
    for (let j = 0; j < p.length; j++) positions[i * t + pad + j] = j;
  });
  return tf.tidy(() => {
    const out = model.forward({
      inputIds: tf.tensor2d(ids, [b, t], 'int32'),
      attentionMask: tf.tensor2d(mask, [b, t], 'int32'),
      positionIds: tf.tensor2d(positions, [b, t], 'int32'),
      useCache: true,
    });
    const logits = out.logits as tf.Tensor3D; // [b, t, V]
    const last = logits.slice([0, t - 1, 0], [b, 1, -1]).reshape([b, -1]) as tf.Tensor2D; // [b, V]
    return { cache: out.present as KvCache, logits: last };
  });
}

/** One token per row after the cache: ids, positions [b, 1], mask [b, tPast + 1]. */
function step(model: CausalLm, cache: KvCache, rows: readonly LiveRow[], ids: number[]): { cache: KvCache; logits: tf.Tensor2D } {
  const b = rows.length;
  const mask = rows.flatMap((row) => row.mask);
  const tk = mask.length / b; // every row's mask spans the same cached steps
  return tf.tidy(() => {
    const out = model.forward({
      inputIds: tf.tensor2d(ids, [b, 1], 'int32'),
      attentionMask: tf.tensor2d(mask, [b, tk], 'int32'),
      positionIds: tf.tensor2d(rows.map((row) => row.position), [b, 1], 'int32'),
      past: cache,
      useCache: true,
    });
    return { cache: out.present as KvCache, logits: (out.logits as tf.Tensor).reshape([b, -1]) as tf.Tensor2D };
  });
}

/**
 * Generates up to `maxNewTokens` tokens after each prompt (token ids), greedily or by sampling.
 * Leaves no tensor behind.
 */
export function generate(model: CausalLm, prompts: number[][], o: GenerateOptions): Generation[] {
  checkOptions(prompts, o);
  const stopTokens = new Set(o.stopTokenIds ?? []);
  const stopStrings = o.stopStrings ?? [];
  const t = Math.max(0, ...prompts.map((p) => p.length));
  const rows = prompts.map((p, i): LiveRow => ({
    generation: { tokens: [], finish: 'length' },
    rng: new Rng(deriveSeed(o.seed ?? 0, i)),
    mask: [...new Array<number>(t - p.length).fill(0), ...new Array<number>(p.length).fill(1)],
    position: p.length,
  }));
  /** Adds `token` to a generation, or finishes it; whether it goes on. */
  const extend = (g: Generation, token: number): boolean => {
    if (stopTokens.has(token)) {
      g.finish = 'stop-token';
      return false;
    }
    g.tokens.push(token);
    if (stopStrings.length > 0 && stopIndex((o.decode as (ids: number[]) => string)(g.tokens), stopStrings) >= 0) {
      g.finish = 'stop-string';
      return false;
    }
    return g.tokens.length < o.maxNewTokens;
  };
  if (rows.length > 0 && o.maxNewTokens > 0) {
    let live = rows; // the unfinished rows, in batch order
    let { cache, logits } = prefill(model, prompts, o.padId);
    try {
      for (;;) {
        const tokens = chooseTokens(logits, live, o);
        const going: LiveRow[] = [];
        const kept: number[] = []; // their positions in the batch, to select their cache rows
        const ids: number[] = []; // their new tokens, fed next
        for (const [k, row] of live.entries()) {
          const token = tokens[k];
          if (token === undefined) throw new Error(`generate: ${tokens.length} tokens chosen for ${live.length} rows`);
          if (!extend(row.generation, token)) continue;
          going.push(row);
          kept.push(k);
          ids.push(token);
        }
        if (going.length === 0) break;
        if (going.length < live.length) {
          const selected = selectCacheRows(cache, kept);
          disposeCache(cache);
          cache = selected;
          live = going;
        }
        for (const row of live) row.mask.push(1);
        const result = step(model, cache, live, ids);
        disposeCache(cache);
        ({ cache, logits } = result);
        for (const row of live) row.position++;
      }
    } finally {
      disposeCache(cache);
      logits.dispose();
    }
  }
  const out = rows.map((row) => row.generation);
  if (o.decode) {
    for (const g of out) {
      const text = o.decode(g.tokens);
      const at = stopIndex(text, stopStrings);
      g.text = at >= 0 ? text.slice(0, at) : text;
    }
  }
  return out;
}
