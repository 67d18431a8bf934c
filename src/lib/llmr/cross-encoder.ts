// The LLM-R reward model (methods.md §1.4): a cross-encoder that reads the query with its gold
// answer (text A) and one candidate demonstration (text B) jointly and gives one logit.
//
//   pair    [CLS] A [SEP] B [SEP]           A = x + "\n" + y,  B = candidate contents
//   ids     [B·G, T]                        B queries per step, G candidates per query, T ≤ maxLength
//   logits  CrossEncoder(ids) → [B·G] → reshape [B, G]
//   loss    groupCrossEntropy([B, G], positive at index 0)
//             = −(1/B) Σ_j log( e^{r_j,0} / Σ_i e^{r_j,i} )
//
// After training, the same model scores every candidate of every scored query; those logits are
// the teacher scores the retriever distils from.

import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../plugin/api.js';
import type { CrossEncoder } from '../nn/heads.js';
import { SeedStream, type Mode } from '../nn/layers/dropout.js';
import { groupCrossEntropy } from '../nn/losses.js';
import type { Tokenizer } from '../nn/tokenizer/core.js';
import { toTensors, type BatchTensors } from '../nn/tokenizer/index.js';
import {
  BatchSampler, train, warmupLinear, type TrainContext, type TrainResult,
} from '../nn/train/index.js';

/** One training group: the query's text A and its G candidate texts, the positive first. */
export interface RewardGroup {
  a: string;
  candidates: string[];
}

/** Text A of a query: `x + "\n" + y`, or x alone when the label is left out (the ablation). */
export function rewardQueryText(x: string, y: string, useLabel: boolean): string {
  return useLabel ? `${x}\n${y}` : x;
}

// ---------------------------------------------------------------------------------------------
// Tokenising pairs

/** Which end of a text truncation cuts: the start, so the answers at the ends survive. */
export const PAIR_TRUNCATION_SIDE = 'left';

/** Thrown when a tokenizer cannot build `[CLS] A [SEP] B [SEP]`. */
export class PairTokenizerError extends NodeFailure {
  constructor(message: string) {
    super(message);
    this.name = 'PairTokenizerError';
  }
}

/**
 * Checks that the tokenizer has [CLS] and [SEP] and that its post-processor frames a pair with
 * them, since the head reads the [CLS] position and segment B starts after the first [SEP].
 */
export function checkPairTokenizer(tok: Tokenizer, where: string): void {
  const cls = tok.tokenToId('[CLS]');
  const sep = tok.tokenToId('[SEP]');
  const missing = [cls === undefined ? '[CLS]' : '', sep === undefined ? '[SEP]' : ''].filter(Boolean);
  if (missing.length > 0) {
    throw new PairTokenizerError(`${where}: the tokenizer has no ${missing.join(' or ')} token; the reward model reads "[CLS] A [SEP] B [SEP]" (train a WordPiece tokenizer: tokenizer plugin, model: wordpiece)`);
  }
  const probe = tok.encode('a', { pair: 'b', truncation: false });
  const seps = probe.ids.filter((id) => id === sep).length;
  if (probe.ids[0] !== cls || seps !== 2 || probe.ids[probe.ids.length - 1] !== sep) {
    throw new PairTokenizerError(`${where}: the tokenizer's post-processor does not frame a pair as "[CLS] A [SEP] B [SEP]" (it gave ${probe.tokens.join(' ')})`);
  }
}

/**
 * Pairs as one padded batch [n, T], T = the longest pair (at most maxLength). Truncation is
 * 'longest_first' (Hugging Face's default for pairs): tokens come off the longer text first, so a
 * long candidate cannot crowd out the query and its answer. Tokens come off the *start* of a text:
 * both texts end with what the LM's preference hangs on (A with the gold answer y, B with the
 * candidate's answer y_i, each after its question), and cutting the end would drop exactly that.
 */
export function encodePairs(tok: Tokenizer, a: readonly string[], b: readonly string[], maxLength: number): BatchTensors {
  const batch = tok.encodeBatch(a, { pairs: b, maxLength, truncation: PAIR_TRUNCATION_SIDE, truncationStrategy: 'longest_first', padding: 'longest' });
  return toTensors(batch);
}

/** The G·B pairs of B groups, row j·G + i = (A_j, candidate i of group j). */
export function encodeGroups(tok: Tokenizer, groups: readonly RewardGroup[], maxLength: number): BatchTensors & { groupSize: number } {
  const groupSize = groups[0]?.candidates.length ?? 0;
  const a: string[] = [];
  const b: string[] = [];
  for (const g of groups) {
    if (g.candidates.length !== groupSize) throw new Error(`groups of different sizes (${groupSize} and ${g.candidates.length})`);
    for (const c of g.candidates) {
      a.push(g.a);
      b.push(c);
    }
  }
  return { ...encodePairs(tok, a, b, maxLength), groupSize };
}

// ---------------------------------------------------------------------------------------------
// Logits and loss

/** Reward logits of pairs: [n]. */
export function pairLogits(model: CrossEncoder, batch: BatchTensors, mode?: Mode): tf.Tensor1D {
  return model.forward(batch, mode) as tf.Tensor1D;
}

/** Logits of B groups of G, [B, G], from pairs laid out as encodeGroups does. */
export function groupLogits(model: CrossEncoder, batch: BatchTensors & { groupSize: number }, mode?: Mode): tf.Tensor2D {
  return tf.reshape(pairLogits(model, batch, mode), [-1, batch.groupSize]) as tf.Tensor2D;
}

/** The reward model's loss: group cross-entropy with the positive at index 0. */
export function rewardLoss(model: CrossEncoder, batch: BatchTensors & { groupSize: number }, mode?: Mode): tf.Scalar {
  return groupCrossEntropy(groupLogits(model, batch, mode), 0);
}

// ---------------------------------------------------------------------------------------------
// Training

export interface RewardTrainOptions {
  model: CrossEncoder;
  tokenizer: Tokenizer;
  /** Number of training queries. */
  examples: number;
  /** Query `index`'s group at `epoch` (groups.ts: cyclic positive and negatives, offset epoch + seed). */
  groupOf: (index: number, epoch: number) => RewardGroup;
  /** Queries per optimizer step (B). */
  batchSize: number;
  steps: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm?: number;
  maxLength: number;
  seed: number;
  /** Checkpoints (usually a folder in ctx.scratch) and what identifies the setup. */
  checkpoint?: { dir: string; every: number; fingerprint: string };
  ctx?: TrainContext;
  logEvery?: number;
}

/**
 * Trains the cross-encoder through the shared loop. The sampler walks the queries in a fresh order
 * every epoch, one query per slot, so the item at global position p belongs to epoch ⌊p / N⌋: that
 * is the epoch the query's group is built for, and it is the same on a resumed run.
 */
export async function trainRewardModel(o: RewardTrainOptions): Promise<TrainResult> {
  if (o.examples < 1) throw new NodeFailure('no training queries are left for the reward model (see the counts of dropped queries above)');
  const sampler = new BatchSampler({ sources: o.examples, batchSize: o.batchSize, seed: o.seed });
  const logEvery = o.logEvery ?? 10;
  // Each step's share of groups with the positive on top, kept out of the step's tidy scope and
  // logged as a curve with the loss.
  const accuracies: tf.Scalar[] = [];
  const flushAccuracy = (done: number) => {
    if (accuracies.length === 0) return;
    const mean = accuracies.reduce((s, a) => s + a.dataSync()[0]!, 0) / accuracies.length;
    tf.dispose(accuracies.splice(0));
    o.ctx?.metric?.('train_group_accuracy', mean, done);
  };
  try {
    return await train({
      parameters: () => o.model.parameters(),
      sampler,
      steps: o.steps,
      seed: o.seed,
      ctx: {
        ...o.ctx,
        progress: (done, total) => {
          if (done % logEvery === 0 || done === o.steps) flushAccuracy(done);
          o.ctx?.progress?.(done, total);
        },
      },
      logEvery,
      optimizer: { lr: o.lr, weightDecay: o.weightDecay },
      schedule: warmupLinear({ peak: o.lr, warmupSteps: Math.min(o.warmupSteps, o.steps), totalSteps: o.steps }),
      clipNorm: o.clipNorm,
      checkpoint: o.checkpoint,
      makeBatch: (refs, info) => {
        const first = info.step * o.batchSize;
        const groups = refs.map((r, i) => o.groupOf(r.index, Math.floor((first + i) / o.examples)));
        return encodeGroups(o.tokenizer, groups, o.maxLength);
      },
      loss: (batch, info) => {
        const logits = groupLogits(o.model, batch, { training: true, rng: new SeedStream(info.seed) }); // [B, G]
        accuracies.push(tf.keep(positiveOnTop(logits)));
        return groupCrossEntropy(logits, 0);
      },
    });
  } finally {
    tf.dispose(accuracies);
  }
}

/** Share of rows whose largest logit is the positive's (index 0): a scalar, not differentiated. */
function positiveOnTop(logits: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), 0), 'float32'));
}

// ---------------------------------------------------------------------------------------------
// Scoring

/**
 * Reward logits of (a_i, b_i) for every i, in batches of `batchSize` pairs (evaluation mode).
 * Pairs are batched in order of length so each batch pads to little more than its own pairs;
 * the logits come back in input order.
 */
export async function scorePairs(
  model: CrossEncoder,
  tok: Tokenizer,
  a: readonly string[],
  b: readonly string[],
  opts: { maxLength: number; batchSize: number },
): Promise<Float32Array> {
  // b holds one text per text of a.
  const order = Array.from(a.keys()).sort((i, j) => a[i]!.length + b[i]!.length - (a[j]!.length + b[j]!.length) || i - j);
  const out = new Float32Array(a.length);
  for (let start = 0; start < order.length; start += opts.batchSize) {
    const rows = order.slice(start, start + opts.batchSize);
    const logits = tf.tidy(() => pairLogits(model, encodePairs(tok, rows.map((i) => a[i]!), rows.map((i) => b[i]!), opts.maxLength)));
    const values = await logits.data();
    logits.dispose();
    rows.forEach((i, k) => (out[i] = values[k]!));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ranking quality

export interface RankingAccuracy {
  /** Share of groups whose positive scores strictly above every negative. */
  groupAccuracy: number;
  /** Share of (positive, negative) pairs ordered correctly; ties count one half. */
  pairwiseAccuracy: number;
  groups: number;
}

/** How often scores rank each group's positive (index 0) above its negatives. */
export function rankingAccuracy(groupScores: readonly (readonly number[])[]): RankingAccuracy {
  let top = 0;
  let pairs = 0;
  let right = 0;
  for (const s of groupScores) {
    let wins = true;
    for (let i = 1; i < s.length; i++) {
      const positive = s[0]!;
      const negative = s[i]!;
      pairs++;
      if (positive > negative) right++;
      else if (positive === negative) right += 0.5;
      if (!(positive > negative)) wins = false;
    }
    if (wins) top++;
  }
  const n = groupScores.length;
  return { groupAccuracy: n ? top / n : NaN, pairwiseAccuracy: pairs ? right / pairs : NaN, groups: n };
}
