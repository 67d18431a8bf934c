// An encoder trained on the pools without LM feedback, the stand-in for E5 in LLM-R's baselines:
//
//   simcse      (Gao et al. 2021, unsupervised): a text and the same text again, each through its
//               own dropout mask, are a positive pair; the other texts of the batch are negatives.
//   bm25-pairs  a query x_i and the demonstration of its BM25 top-1 (its own row and rows with the
//               same query text excluded) are a positive pair; in-batch negatives again.
//
//   q = E(a_j)    [B, D]   (unit rows, dropout on)
//   k = E(b_j)    [B, D]   (the same texts for simcse, under other dropout masks)
//   L = InfoNCE(q·kᵀ / τ), target the diagonal,   τ = 0.05 (SimCSE's temperature)

import { Bm25Index } from '../ml/bm25.js';
import { SeedStream } from '../nn/layers/dropout.js';
import { infoNce } from '../nn/losses.js';
import { BatchSampler, train, warmupDecayTraining, type TrainContext, type WarmupDecaySettings } from '../nn/train/index.js';
import { inBatchAccuracy, type BiEncoder } from './bi-encoder.js';
import type { TaskPool } from './pools.js';

/** SimCSE's temperature (`--temp 0.05`). */
export const SIMCSE_TEMPERATURE = 0.05;

export type UnsupervisedObjective = 'simcse' | 'bm25-pairs';

/** Two texts that should embed close together; for simcse both are the same text. */
export interface TextPair {
  anchor: string;
  positive: string;
}

/** SimCSE's training texts of one task: every pool row's query x and its demonstration x‖y. */
export function simcsePairs(p: TaskPool): TextPair[] {
  const texts = [...p.poolQueries, ...p.demonstrations];
  return texts.map((t) => ({ anchor: t, positive: t }));
}

/**
 * BM25 pairs of one task: each pool row's query with the demonstration BM25 ranks first among the
 * other rows (and, with `excludeSameQuery`, among rows whose query text differs). A query that
 * shares no word with any other row gives no pair.
 */
export function bm25Pairs(p: TaskPool, o: { excludeSameQuery: boolean; k1?: number; b?: number }): TextPair[] {
  const bm25 = Bm25Index.build(p.demonstrations, { k1: o.k1, b: o.b });
  const pairs: TextPair[] = [];
  p.poolQueries.forEach((query, i) => {
    const exclude = new Set<number>(o.excludeSameQuery ? p.rowsByQuery.get(query) ?? [] : []);
    exclude.add(i);
    const [top] = bm25.search(query, 1, { exclude });
    if (top !== undefined) pairs.push({ anchor: query, positive: p.demonstrations[top.doc]! });
  });
  return pairs;
}

export interface UnsupervisedSettings extends WarmupDecaySettings {
  batchSize: number;
  temperature: number;
  /** Every batch from one task (harder negatives: retrieval is within a task) or mixed across tasks. */
  sameTaskBatches: boolean;
}

interface Batch {
  anchors: string[];
  positives: string[];
}

/**
 * Trains `model` in place on the pairs of every task (`pairs[t]` for task t); curves go to
 * ctx.metric as `train/loss`, `train/lr`, `train/grad_norm`, `train/in_batch_accuracy`.
 */
export async function trainUnsupervised(
  model: BiEncoder,
  pairs: readonly (readonly TextPair[])[],
  s: UnsupervisedSettings,
  ctx: TrainContext,
): Promise<{ lastLoss: number; resumedFrom: number }> {
  const sampler = new BatchSampler({
    sources: pairs.map((list, t) => ({ name: `task ${t}`, size: list.length })),
    batchSize: s.batchSize,
    seed: s.seed,
    mode: s.sameTaskBatches ? 'grouped' : 'mixed',
  });
  const metric = ctx.metric?.bind(ctx);
  const window = { accuracy: 0, n: 0 };
  const result = await train<Batch>({
    parameters: () => model.encoder.parameters(),
    sampler,
    ...warmupDecayTraining(s, ctx),
    makeBatch: (refs) => {
      // A text twice in one batch (a small task wrapping around, duplicate rows) would be its own
      // negative: keep its first occurrence only.
      const seen = new Set<string>();
      const batch: Batch = { anchors: [], positives: [] };
      for (const ref of refs) {
        const pair = pairs[ref.source]![ref.index]!; // the sampler draws within each source
        if (seen.has(pair.anchor) || seen.has(pair.positive)) continue;
        seen.add(pair.anchor).add(pair.positive);
        batch.anchors.push(pair.anchor);
        batch.positives.push(pair.positive);
      }
      return batch;
    },
    loss: (batch, info) => {
      // One seed stream for both passes: the second pass draws other dropout masks.
      const mode = { training: true, rng: new SeedStream(info.seed) };
      const q = model.embed(batch.anchors, mode);   // [B, D]
      const k = model.embed(batch.positives, mode); // [B, D]
      window.accuracy += inBatchAccuracy(q, k);
      window.n++;
      const done = info.step + 1;
      if (done % s.logEvery === 0 || done === s.steps) {
        metric?.('train/in_batch_accuracy', window.accuracy / window.n, done);
        Object.assign(window, { accuracy: 0, n: 0 });
      }
      return infoNce(q, k, { temperature: s.temperature });
    },
  });
  return { lastLoss: result.lastLoss, resumedFrom: result.resumedFrom };
}
