// ASC's ranking model on text (methods.md §4.3): (question, positive, negative) triples from the
// labelled teacher samples, the encoding "[CLS] question [SEP] rationale [SEP]" with a mask over
// the rationale's own tokens (the only ones pooled), training with the power loss, and scoring.
//
//   triples   per question: its positive × negative pairs, shuffled (seeded), at most maxPerQuestion
//   batch     B triples → 2B rows [pos₁ … pos_B, neg₁ … neg_B] of [2B, T]
//   loss      powerRankingLoss(M(pos) [B], M(neg) [B], p)

import * as tf from '@tensorflow/tfjs';
import { AscRanker, type RankerInputs } from '../nn/asc.js';
import { SeedStream } from '../nn/layers/dropout.js';
import { powerRankingLoss } from '../nn/losses.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { trainWordPiece } from '../nn/tokenizer/trainers/train.js';
import { train, type TrainContext } from '../nn/train/loop.js';
import { deriveSeed, Rng } from '../nn/train/rng.js';
import { BatchSampler } from '../nn/train/sampler.js';
import { warmupCosine } from '../nn/train/schedule.js';
import type { LabelledSample } from './samples.js';

export interface RankTriple {
  /** The question's id. */
  id: string;
  question: string;
  positive: string;
  negative: string;
}

export interface TripleSet {
  triples: RankTriple[];
  /** Questions that gave at least one triple. */
  questions: number;
  /** Questions left out for want of a positive, or of a negative. */
  withoutPositive: number;
  withoutNegative: number;
}

/** The positive × negative pairs of each question, shuffled by (seed, question), at most maxPerQuestion each. */
export function rankingTriples(samples: readonly LabelledSample[], o: { maxPerQuestion: number; seed: number }): TripleSet {
  const byQuestion = new Map<string, { question: string; pos: string[]; neg: string[] }>();
  for (const s of samples) {
    const q = byQuestion.get(s.id) ?? { question: s.question, pos: [], neg: [] };
    (s.positive ? q.pos : q.neg).push(s.text);
    byQuestion.set(s.id, q);
  }
  const out: TripleSet = { triples: [], questions: 0, withoutPositive: 0, withoutNegative: 0 };
  let index = 0;
  for (const [id, q] of byQuestion) {
    const at = index++;
    if (q.pos.length === 0) out.withoutPositive++;
    if (q.neg.length === 0) out.withoutNegative++;
    if (q.pos.length === 0 || q.neg.length === 0) continue;
    const pairs = q.pos.flatMap((positive) => q.neg.map((negative) => ({ id, question: q.question, positive, negative })));
    const rng = new Rng(deriveSeed(o.seed, at));
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
    out.triples.push(...pairs.slice(0, o.maxPerQuestion));
    out.questions++;
  }
  return out;
}

/** A WordPiece tokenizer (lower-cased) learnt from the questions and rationales the ranker will read. */
export function trainRankerTokenizer(texts: Iterable<string>, vocabSize: number): Tokenizer {
  return trainWordPiece(texts, { vocabSize, minFrequency: 2 });
}

export interface EncodedRationales {
  inputs: RankerInputs;
  /** False for a row whose rationale kept no token within maxLength: it cannot be scored. */
  scorable: boolean[];
}

/**
 * "[CLS] question [SEP] rationale [SEP]" per row, padded to the longest. Truncation takes tokens
 * off the longer text first and from its start, so a rationale keeps its final answer.
 */
export function encodeRationales(tok: Tokenizer, questions: readonly string[], rationales: readonly string[], maxLength: number): EncodedRationales {
  const batch = tok.encodeBatch(questions, { pairs: rationales, maxLength, truncation: 'left', truncationStrategy: 'longest_first', padding: 'longest' });
  const [b, t] = batch.shape;
  const rationale = new Int32Array(b * t);
  for (let i = 0; i < b * t; i++) rationale[i] = batch.attentionMask[i] === 1 && batch.tokenTypeIds[i] === 1 && batch.specialTokensMask[i] === 0 ? 1 : 0;
  const scorable = Array.from({ length: b }, (_, r) => rationale.subarray(r * t, (r + 1) * t).some((x) => x === 1));
  return {
    inputs: {
      inputIds: tf.tensor2d(batch.inputIds, [b, t], 'int32'),
      attentionMask: tf.tensor2d(batch.attentionMask, [b, t], 'int32'),
      rationaleMask: tf.tensor2d(rationale, [b, t], 'int32'),
    },
    scorable,
  };
}

export interface RankerTrainOptions {
  steps: number;
  /** Triples per step. */
  batch: number;
  lr: number;
  weightDecay: number;
  /** The loss exponent p (TDG: 3; 2 is the squared error). */
  power: number;
  maxLength: number;
  seed: number;
  ctx?: TrainContext;
}

/**
 * Trains the whole ranker (encoder and head) on the triples. TDG's schedule is a cosine over
 * epochs down to 2% of the peak; here it runs over steps to the same floor.
 */
export async function trainRanker(ranker: AscRanker, tok: Tokenizer, triples: readonly RankTriple[], o: RankerTrainOptions): Promise<number> {
  if (triples.length === 0 || o.steps === 0) return NaN;
  const batch = Math.min(o.batch, triples.length);
  const result = await train({
    parameters: ranker.parameters(),
    sampler: new BatchSampler({ sources: triples.length, batchSize: batch, seed: o.seed }),
    steps: o.steps,
    seed: o.seed,
    optimizer: { lr: o.lr, weightDecay: o.weightDecay },
    schedule: warmupCosine({ peak: o.lr, warmupSteps: 0, totalSteps: o.steps, minRatio: 0.02 }),
    clipNorm: 1,
    logEvery: Math.max(1, Math.floor(o.steps / 5)),
    makeBatch: (refs) => {
      const rows = refs.map((r) => triples[r.index]!); // the sampler draws from 0..triples.length
      const questions = [...rows.map((r) => r.question), ...rows.map((r) => r.question)];
      return encodeRationales(tok, questions, [...rows.map((r) => r.positive), ...rows.map((r) => r.negative)], o.maxLength).inputs;
    },
    loss: (inputs, info) => {
      const scores = ranker.forward(inputs, { training: true, rng: new SeedStream(info.seed) }); // [2B]
      const half = scores.shape[0] / 2;
      return powerRankingLoss(scores.slice(0, half), scores.slice(half, half), { power: o.power });
    },
    ctx: o.ctx,
  });
  return result.lastLoss;
}

/** M(x, r) of each (question, rationale) pair, in batches; null where the rationale cannot be scored. */
export function scoreRationales(ranker: AscRanker, tok: Tokenizer, questions: readonly string[],
  rationales: readonly string[], o: { maxLength: number; batch: number }): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < questions.length; i += o.batch) {
    const q = questions.slice(i, i + o.batch);
    const r = rationales.slice(i, i + o.batch);
    const { inputs, scorable } = encodeRationales(tok, q, r, o.maxLength);
    try {
      const scores = tf.tidy(() => ranker.forward(inputs).dataSync());
      scorable.forEach((ok, k) => out.push(ok ? scores[k]! : null)); // one score per encoded pair
    } finally {
      tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.rationaleMask]);
    }
  }
  return out;
}
