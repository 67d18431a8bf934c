// What the causal decoders (GPT-2, Llama) take and give, and the key/value cache they share.

import * as tf from '@tensorflow/tfjs';

/**
 * One layer's keys and values for the tokens already read, head-major like the attention layer:
 * keys and values [kvh, b, tPast, hd] (Llama's keys already rotated at their absolute positions;
 * grouped heads not yet repeated).
 */
export type LayerKv = {
  keys: tf.Tensor;
  values: tf.Tensor;
};

/** One entry per layer, in order. */
export type KvCache = LayerKv[];

export interface DecoderInputs {
  /** [b, t] int32: the new tokens (after the cached ones when `past` is given). */
  inputIds: tf.Tensor;
  /**
   * 1 = token, 0 = padding (left or right): [b, t], or with `past` [b, tPast + t] covering the
   * cached tokens too (as Hugging Face's `attention_mask` with `past_key_values`).
   */
  attentionMask?: tf.Tensor;
  /** Any additive mask [b, 1|h, t, tPast + t], added to the causal one (LLaRA blocks prompt spans). */
  additiveMask?: tf.Tensor;
  /** [b, t] int32; tPast..tPast+t-1 when absent. LLaRA gives two suffixes the same positions. */
  positionIds?: tf.Tensor;
  /** Apply the causal mask (default true); false leaves masking entirely to additiveMask. */
  causal?: boolean;
  /** Compute logits (default true); a pooling-only caller can skip the vocabulary product. */
  logits?: boolean;
  /** Keys and values of earlier tokens (a `present` of an earlier call); not disposed here. */
  past?: KvCache;
  /** Return `present`: the cache extended by these tokens. */
  useCache?: boolean;
}

export interface DecoderOutput {
  /** Last hidden states after the final norm [b, t, d]. */
  hidden: tf.Tensor;
  /** LM logits [b, t, V] unless `logits: false`. */
  logits?: tf.Tensor;
  /** With `useCache`: past and these tokens, [kvh, b, tPast + t, hd] per layer; the caller disposes it. */
  present?: KvCache;
}

/** 0..t-1 for every row: [b, t] int32. */
export function defaultPositions(b: number, t: number, start = 0): tf.Tensor {
  return tf.range(start, start + t, 1, 'int32').reshape([1, t]).tile([b, 1]);
}

/** How many tokens a cache holds (0 for none). */
export function cacheLength(cache: KvCache | undefined): number {
  const first = cache?.[0];
  return first ? (first.keys.shape[2] as number) : 0;
}

/** Checks that a cache fits the model and the batch before it is used. */
export function checkCache(cache: KvCache | undefined, layers: number, batch: number): void {
  if (!cache) return;
  if (cache.length !== layers) throw new Error(`the key/value cache has ${cache.length} layers, the model ${layers}`);
  const rows = cache[0]?.keys.shape[1];
  if (rows !== undefined && rows !== batch) throw new Error(`the key/value cache holds ${rows} rows, the input ${batch}`);
}

/** Keeps the cache rows `rows` (in that order), e.g. once some sequences have finished. */
export function selectCacheRows(cache: KvCache, rows: number[]): KvCache {
  return tf.tidy(() => {
    const index = tf.tensor1d(rows, 'int32');
    return cache.map((l) => ({ keys: tf.gather(l.keys, index, 1), values: tf.gather(l.values, index, 1) }));
  });
}

export function disposeCache(cache: KvCache | undefined): void {
  if (cache) for (const l of cache) tf.dispose([l.keys, l.values]);
}
