// LLM-R's dense retriever (methods.md §1.5): one encoder shared by queries and candidates, mean
// pooling, L2-normalised embeddings, scores cos/τ; trained by distilling the teacher's (reward
// model's or LM's) preference over a group into the retriever, plus in-batch contrast:
//
//   q = E(x_j)                           [B, D]      query: the input x alone
//   k = E(x_i ‖ y_i), G per query        [B·G, D]    group j = rows jG..jG+G−1, positive first
//   s = q·kᵀ / τ over the own group      [B, G]
//   L = KL(softmax(r) ‖ softmax(s)) + α · L_cont(q, k)     r = raw teacher scores [B, G]

import * as tf from '@tensorflow/tfjs';
import { fullContrastiveLoss, groupScores, inBatchScores, klDivergenceFromLogits } from '../nn/losses.js';
import type { Mode } from '../nn/layers/dropout.js';
import type { BertEncoder } from '../nn/models/bert.js';
import { l2Normalize, meanPool } from '../nn/pooling.js';
import type { Tokenizer } from '../nn/tokenizer/core.js';
import { toTensors } from '../nn/tokenizer/tensors.js';

/** τ of LLM-R (`t = 0.01`). */
export const RETRIEVER_TEMPERATURE = 0.01;
/** α, the weight of the contrastive term (`kd_cont_loss_weight = 0.2`). */
export const CONTRASTIVE_WEIGHT = 0.2;

export interface BiEncoderOptions {
  /** Tokens per sequence, special tokens included; longer texts lose their start (TRUNCATION_SIDE). */
  maxLength: number;
}

/**
 * Long texts are cut at the start: a candidate ends with its answer y_i (its label, for
 * classification) and a query with its question, which is what a retrieval decision hangs on.
 */
export const TRUNCATION_SIDE = 'left';

export class BiEncoder {
  constructor(
    readonly encoder: BertEncoder,
    readonly tokenizer: Tokenizer,
    readonly options: BiEncoderOptions,
  ) {}

  get dim(): number {
    return this.encoder.config.hiddenSize;
  }

  /** texts → unit-norm embeddings [n, D]; differentiable (call inside a tidy or a gradient). */
  embed(texts: readonly string[], mode?: Mode): tf.Tensor2D {
    const batch = this.tokenizer.encodeBatch(texts, { maxLength: this.options.maxLength, truncation: TRUNCATION_SIDE, padding: 'longest' });
    const t = toTensors(batch); // [n, T] each
    const { hidden } = this.encoder.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask, tokenTypeIds: t.tokenTypeIds }, mode); // [n, T, D]
    return l2Normalize(meanPool(hidden, t.attentionMask)) as tf.Tensor2D; // [n, D]
  }

  /**
   * Embeds many texts for search: [n·D] row-major, in the order given. Texts are batched by length
   * so that a batch pads little; the order of the result does not depend on the batching.
   */
  embedAll(texts: readonly string[], batchSize: number, onBatch?: (done: number) => void): Float32Array {
    const d = this.dim;
    const out = new Float32Array(texts.length * d);
    const order = texts.map((text, i) => ({ i, n: text.length })).sort((a, b) => a.n - b.n || a.i - b.i).map((e) => e.i);
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const vectors = tf.tidy(() => this.embed(rows.map((r) => texts[r]!)));
      const data = vectors.dataSync() as Float32Array;
      vectors.dispose();
      rows.forEach((r, j) => out.set(data.subarray(j * d, (j + 1) * d), r * d));
      onBatch?.(Math.min(start + batchSize, order.length));
    }
    return out;
  }
}

export interface RetrieverLossOptions {
  /** τ: scores are cos/τ (default 0.01). */
  temperature?: number;
  /** α, multiplying the contrastive term only (default 0.2). */
  alpha?: number;
  /** LLM-R's full contrastive variant (qk + kq + qq + kk, the default) or qk + kq only. */
  fullContrastive?: boolean;
}

export interface RetrieverLoss {
  /** kl + α · contrastive. */
  loss: tf.Scalar;
  /** KL(p_teacher ‖ p_retriever) over each group, batch mean. */
  kl: tf.Scalar;
  /** The in-batch InfoNCE term (before α). */
  contrastive: tf.Scalar;
}

/**
 * The retriever's training loss (methods.md §1.5): q [B,D], k [B·G,D] (unit rows), teacher [B,G]
 * raw teacher scores of the same groups (no temperature on the teacher side).
 */
export function retrieverLoss(q: tf.Tensor2D, k: tf.Tensor2D, teacher: tf.Tensor2D, options: RetrieverLossOptions = {}): RetrieverLoss {
  const temperature = options.temperature ?? RETRIEVER_TEMPERATURE;
  const alpha = options.alpha ?? CONTRASTIVE_WEIGHT;
  const student = tf.div(groupScores(q, k), temperature) as tf.Tensor2D; // [B,G]
  const kl = klDivergenceFromLogits(teacher, student);
  const contrastive = fullContrastiveLoss(q, k, { temperature, full: options.fullContrastive ?? true });
  const loss = tf.add(kl, tf.mul(contrastive, alpha)) as tf.Scalar;
  return { loss, kl, contrastive };
}

/** Share of queries whose best candidate among all B·G of the batch is their own positive (column jG). */
export function inBatchAccuracy(q: tf.Tensor2D, k: tf.Tensor2D): number {
  const best = tf.tidy(() => tf.argMax(inBatchScores(q, k), 1)); // [B]
  const picks = best.dataSync();
  best.dispose();
  const g = k.shape[0] / q.shape[0];
  let hits = 0;
  for (let j = 0; j < picks.length; j++) if (picks[j] === j * g) hits++;
  return picks.length === 0 ? 0 : hits / picks.length;
}
