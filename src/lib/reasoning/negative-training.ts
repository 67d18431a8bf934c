// Training with negative samples by an explicit loss (the NT, UL and CL baselines). Each step
// takes one forward pass over a batch that holds positives and negatives; the positives get the
// ordinary LM loss (question included, as TDG), the negatives the method's loss on their rationale
// tokens only, since the question is the same text in a positive and a negative:
//
//   nt, ul:  L = L_LM(positive rows) + λ · L⁻(negative rows)      rows drawn from D⁺ ∪ D⁻ ∝ size
//   cl:      L = L_LM(r⁺) + λ · max(0, margin − (ℓ̄(r⁺) − ℓ̄(r⁻)))   rows: pairs of one question

import * as tf from '@tensorflow/tfjs';
import { SeedStream } from '../nn/layers/dropout.js';
import type { LlamaDecoder } from '../nn/models/llama.js';
import { train, type TrainContext } from '../nn/train/loop.js';
import { BatchSampler } from '../nn/train/sampler.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { contrastiveMarginLoss, negativeTrainingLoss, targetLogProbs, targetMask, unlikelihoodLoss } from './negative-losses.js';
import { encodeExample, exampleOf, promptOf, specialIds, studentLoop } from './student.js';

export type NegativeLoss = 'nt' | 'ul' | 'cl';

export interface LabelledExample {
  question: string;
  rationale: string;
}

/** Token ids of an example and where its rationale starts. */
export interface EncodedExample {
  ids: number[];
  rationaleStart: number;
}

export function encodeWithRationale(tok: Tokenizer, ex: LabelledExample, maxLength: number): EncodedExample {
  const ids = encodeExample(tok, exampleOf(ex.question, ex.rationale), maxLength);
  const prompt = tok.encode(promptOf(ex.question), { addSpecialTokens: false }).ids;
  let start = 0;
  while (start < prompt.length && start < ids.length && prompt[start] === ids[start]) start++;
  return { ids, rationaleStart: start };
}

interface Batch {
  inputIds: tf.Tensor2D; // [b, t]
  attentionMask: tf.Tensor2D; // [b, t]
  rationaleMask: tf.Tensor2D; // [b, t], 1 on rationale tokens
  positive: tf.Tensor1D; // [b], 1 for a positive row
}

function makeBatch(rows: { ex: EncodedExample; positive: boolean }[], pad: number): Batch {
  const t = Math.max(...rows.map((r) => r.ex.ids.length));
  const ids = new Int32Array(rows.length * t).fill(pad);
  const mask = new Float32Array(rows.length * t);
  const rationale = new Float32Array(rows.length * t);
  rows.forEach(({ ex }, i) => {
    ids.set(ex.ids, i * t);
    mask.fill(1, i * t, i * t + ex.ids.length);
    rationale.fill(1, i * t + ex.rationaleStart, i * t + ex.ids.length);
  });
  return {
    inputIds: tf.tensor2d(ids, [rows.length, t], 'int32'),
    attentionMask: tf.tensor2d(mask, [rows.length, t]),
    rationaleMask: tf.tensor2d(rationale, [rows.length, t]),
    positive: tf.tensor1d(rows.map((r) => (r.positive ? 1 : 0))),
  };
}

/** Rows of `mask` kept where `keep` [b] is 1. */
const rowsOf = (mask: tf.Tensor2D, keep: tf.Tensor1D) => tf.mul(mask, keep.expandDims(1)) as tf.Tensor2D;

export interface NegativeTrainingOptions {
  steps: number;
  batch: number;
  lr: number;
  maxLength: number;
  seed: number;
  /** λ: weight of the negative term. */
  weight: number;
  /** nt: tokens below this probability are no longer pushed down. */
  floor: number;
  /** cl: how far the positive's mean log-likelihood must exceed the negative's. */
  margin: number;
  ctx?: TrainContext;
}

export interface NegativeTrainingData {
  positives: LabelledExample[];
  negatives: LabelledExample[];
}

/** Pairs (positive, negative) of the same question: every combination, in a stable order. */
export function samePairs(data: NegativeTrainingData): [number, number][] {
  const negativesOf = new Map<string, number[]>();
  data.negatives.forEach((n, j) => negativesOf.set(n.question, [...(negativesOf.get(n.question) ?? []), j]));
  const pairs: [number, number][] = [];
  data.positives.forEach((p, i) => {
    for (const j of negativesOf.get(p.question) ?? []) pairs.push([i, j]);
  });
  return pairs;
}

/** Trains the model's trainable parameters with `kind`; returns the last logged loss. */
export async function trainWithNegatives(model: LlamaDecoder, tok: Tokenizer, kind: NegativeLoss,
  data: NegativeTrainingData, o: NegativeTrainingOptions): Promise<number> {
  if (o.steps === 0) return NaN;
  const { pad } = specialIds(tok);
  const pos = data.positives.map((e) => encodeWithRationale(tok, e, o.maxLength));
  const neg = data.negatives.map((e) => encodeWithRationale(tok, e, o.maxLength));
  const pairs = samePairs(data);
  const sampler =
    kind === 'cl'
      ? new BatchSampler({ sources: pairs.length, batchSize: Math.min(o.batch, pairs.length), seed: o.seed })
      : new BatchSampler({ sources: [{ name: 'positives', size: pos.length }, { name: 'negatives', size: neg.length }], batchSize: o.batch, seed: o.seed });
  const forward = (b: Batch, seed: number) =>
    model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask.toInt() }, { training: true, rng: new SeedStream(seed) }).logits as tf.Tensor3D;

  const result = await train({
    ...studentLoop(model.parameters(), sampler, o),
    makeBatch: (refs) =>
      kind === 'cl'
        // The samplers draw within pairs, pos and neg; a pair holds indices into pos and neg.
        ? makeBatch([...refs.map((r) => ({ ex: pos[pairs[r.index]![0]]!, positive: true })),
            ...refs.map((r) => ({ ex: neg[pairs[r.index]![1]]!, positive: false }))], pad)
        : makeBatch(refs.map((r) => (r.source === 0 ? { ex: pos[r.index]!, positive: true } : { ex: neg[r.index]!, positive: false })), pad),
    loss: (b, info) => {
      const logits = forward(b, info.seed); // [b, t, V]
      const isPos = b.positive;
      const isNeg = tf.sub(1, isPos) as tf.Tensor1D;
      // L_LM over the positive rows' real tokens.
      const lmMask = targetMask(rowsOf(b.attentionMask, isPos)); // [b, t−1]
      const lm = tf.div(tf.neg(tf.sum(tf.mul(targetLogProbs(logits, b.inputIds), lmMask))), tf.maximum(tf.sum(lmMask), 1)) as tf.Scalar;
      if (kind === 'cl') {
        const n = b.inputIds.shape[0] / 2;
        const half = (x: tf.Tensor, k: number) => tf.slice(x, k * n, n);
        const term = contrastiveMarginLoss(
          half(logits, 0) as tf.Tensor3D, half(b.inputIds, 0) as tf.Tensor2D, half(b.rationaleMask, 0) as tf.Tensor2D,
          half(logits, 1) as tf.Tensor3D, half(b.inputIds, 1) as tf.Tensor2D, half(b.rationaleMask, 1) as tf.Tensor2D,
          o.margin,
        );
        return tf.add(lm, tf.mul(term, o.weight)) as tf.Scalar;
      }
      const negMask = rowsOf(b.rationaleMask, isNeg);
      const term = kind === 'nt' ? negativeTrainingLoss(logits, b.inputIds, negMask, o.floor) : unlikelihoodLoss(logits, b.inputIds, negMask);
      return tf.add(lm, tf.mul(term, o.weight)) as tf.Scalar;
    },
  });
  return result.lastLoss;
}
