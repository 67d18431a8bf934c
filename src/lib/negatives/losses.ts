// The losses mined groups train with (methods.md §3.3, §3.5). Shapes: B queries, G members per
// group (the positive first), D embedding width, M remembered keys; q [B,D], k [B·G,D].
//
//   group      softmax over the query's own group only:        −log e^{s(q_j,p_j)} / Σ_{p∈G_j} e^{s(q_j,p)}
//   in-batch   over every key of the batch (DPR/BGE InfoNCE):   −log e^{s(q_j,p_j)} / Σ_k Σ_{p∈G_k} e^{s(q_j,p)}
//              plus, with a cross-batch memory, the M keys of earlier batches in the denominator;
//   weighted   LLM-Embedder's soft-label loss: every member is a positive with weight w_{j,i} and
//              the members before it in its group are masked out of the denominator.
//
// s = q·k / τ; normalise the embeddings first for cosine scores.

import * as tf from '@tensorflow/tfjs';
import { infoNce, softLabelContrastiveLoss } from '../nn/losses.js';
import { NegativesError } from './types.js';

export type NegativesScope = 'group' | 'in-batch';

export interface ContrastiveLossOptions {
  temperature: number;
  /** Which keys are negatives of a query: its own group, or every key of the batch (default). */
  negatives?: NegativesScope;
  /** Keys of earlier batches as extra negatives (in-batch only). */
  memory?: CrossBatchMemory;
}

/** InfoNCE over the group or the batch (and the memory); a mean over queries. */
export function contrastiveLoss(q: tf.Tensor2D, k: tf.Tensor2D, o: ContrastiveLossOptions): tf.Scalar {
  if (!(o.temperature > 0)) throw new NegativesError(`the temperature must be > 0, got ${o.temperature}`);
  const scope = o.negatives ?? 'in-batch';
  if (scope === 'group' && o.memory) throw new NegativesError('a cross-batch memory adds in-batch negatives: use negatives: in-batch with it');
  if (!o.memory || o.memory.size === 0) return infoNce(q, k, { temperature: o.temperature, inBatch: scope === 'in-batch' });
  const memory = o.memory.keys()!;
  const [b] = q.shape;
  const g = k.shape[0] / b;
  return tf.tidy(() => {
    const logits = tf.div(tf.concat([tf.matMul(q, k, false, true), tf.matMul(q, memory, false, true)], 1), o.temperature); // [B, B·G + M]
    const target = tf.oneHot(tf.tensor1d(Array.from({ length: b }, (_, j) => j * g), 'int32'), logits.shape[1]!); // [B, B·G + M]
    return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits, -1)), -1))) as tf.Scalar;
  });
}

/**
 * LLM-Embedder's weighted contrastive loss with rank masking, from the group weights a
 * soft-label miner returns (softmax of the teacher scores, the positive first, then the negatives
 * by teacher score descending). weights [B,G], rows summing to 1.
 */
export function weightedContrastiveLoss(q: tf.Tensor2D, k: tf.Tensor2D, weights: tf.Tensor2D, o: { temperature: number }): tf.Scalar {
  if (!(o.temperature > 0)) throw new NegativesError(`the temperature must be > 0, got ${o.temperature}`);
  // softmax(log w) = w, so the weights pass through the loss's own teacher softmax unchanged.
  return tf.tidy(() => softLabelContrastiveLoss(q, k, tf.log(weights) as tf.Tensor2D, { temperature: o.temperature }));
}

/** Throws unless each group's negatives (members 1..G−1) are sorted by teacher score, descending. */
export function checkRankOrder(teacherScores: readonly (readonly number[])[]): void {
  teacherScores.forEach((row, j) => {
    for (let i = 2; i < row.length; i++) {
      if (row[i]! > row[i - 1]!) throw new NegativesError(`group ${j}: member ${i} scores ${row[i]} above member ${i - 1} (${row[i - 1]}); the rank masking needs the negatives sorted by teacher score, descending`);
    }
  });
}

/**
 * A first-in first-out store of key embeddings from earlier batches (cross-batch memory, Wang et al.
 * 2020): they are constants, no gradient flows into them. Owns its tensor; dispose() frees it.
 */
export class CrossBatchMemory {
  private stored: tf.Tensor2D | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new NegativesError(`the memory capacity must be an integer ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.stored?.shape[0] ?? 0;
  }

  keys(): tf.Tensor2D | undefined {
    return this.stored;
  }

  /** Appends the batch's keys [N,D], dropping the oldest beyond the capacity. */
  push(keys: tf.Tensor2D): void {
    if (this.stored && this.stored.shape[1] !== keys.shape[1]) throw new NegativesError(`keys of width ${keys.shape[1]} pushed to a memory of width ${this.stored.shape[1]}`);
    const next = tf.tidy(() => {
      // Rebuilt from its values, so the memory is cut off from any gradient tape.
      const fresh = tf.tensor2d(keys.dataSync() as Float32Array, keys.shape);
      const all = this.stored ? tf.concat([this.stored, fresh], 0) : fresh;
      const n = all.shape[0];
      return (n > this.capacity ? tf.slice(all, [n - this.capacity, 0], [this.capacity, -1]) : all.clone()) as tf.Tensor2D;
    });
    this.stored?.dispose();
    this.stored = next;
  }

  dispose(): void {
    this.stored?.dispose();
    this.stored = undefined;
  }
}
