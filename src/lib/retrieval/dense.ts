// A small dense retriever trained on mined groups and scored with the retrieval metrics: the test
// bed of the negatives ablation. One BERT-style encoder for queries and documents, mean pooling,
// unit-norm embeddings, scores cos/τ.
//
//   q = E(query)                     [B, D]
//   k = E(doc), G per query          [B·G, D]   group j = rows jG..jG+G−1: positive, then G−1 negatives
//   L = InfoNCE over the group or the batch (negatives.contrastiveLoss), or, for groups with
//       soft-label weights, LLM-Embedder's weighted loss (negatives.weightedContrastiveLoss)
//
// Each step draws B mined queries; a query's G−1 negatives move on cyclically through its mined
// list every epoch (negatives[(epoch·(G−1) + i) mod N]), repeating a list shorter than G−1, and its
// positive cycles through its positives the same way.

import * as tf from '@tensorflow/tfjs';
import type { BertEncoder } from '../nn/models/bert.js';
import { SeedStream, type Mode } from '../nn/layers/dropout.js';
import { ExactIndex } from '../nn/index/exact.js';
import { l2Normalize, meanPool } from '../nn/pooling.js';
import type { Tokenizer } from '../nn/tokenizer/core.js';
import { toTensors } from '../nn/tokenizer/tensors.js';
import { BatchSampler, train, warmupDecayTraining, type TrainContext, type WarmupDecaySettings } from '../nn/train/index.js';
import { contrastiveLoss, weightedContrastiveLoss, type NegativesScope } from '../negatives/losses.js';
import type { BeirDataset, BeirQrels } from './beir.js';
import { evaluateRun, type Evaluation, type Measure } from './metrics.js';

export interface DenseEncoder {
  encoder: BertEncoder;
  tokenizer: Tokenizer;
  maxLength: number;
}

/** texts → unit-norm embeddings [n, D]; differentiable. */
export function embed(m: DenseEncoder, texts: readonly string[], mode?: Mode): tf.Tensor2D {
  const t = toTensors(m.tokenizer.encodeBatch(texts, { maxLength: m.maxLength, truncation: 'right', padding: 'longest' })); // [n, T]
  const { hidden } = m.encoder.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask, tokenTypeIds: t.tokenTypeIds }, mode); // [n, T, D]
  return l2Normalize(meanPool(hidden, t.attentionMask)) as tf.Tensor2D; // [n, D]
}

/** Embeds many texts in batches: [n·D] row-major. */
export function embedAll(m: DenseEncoder, texts: readonly string[], batchSize: number): Float32Array {
  const d = m.encoder.config.hiddenSize;
  const out = new Float32Array(texts.length * d);
  for (let start = 0; start < texts.length; start += batchSize) {
    const v = tf.tidy(() => embed(m, texts.slice(start, start + batchSize)));
    out.set(v.dataSync() as Float32Array, start * d);
    v.dispose();
  }
  return out;
}

/** A mined training query: ids of documents of the data set. */
export interface TrainingGroup {
  queryId: string;
  positives: string[];
  negatives: string[];
  /** Soft-label weights of [positive, ...negatives] as mined (the weighted loss uses them). */
  weights?: number[];
}

export interface DenseTrainSettings extends WarmupDecaySettings {
  batchSize: number;
  /** 1 positive + G−1 negatives. */
  groupSize: number;
  temperature: number;
  negatives: NegativesScope;
}

/** The members and weights of a query's group at an epoch (the cyclic choice above). */
export function groupAt(g: TrainingGroup, epoch: number, groupSize: number): { ids: string[]; weights?: number[] } {
  if (g.positives.length === 0 || g.negatives.length === 0) throw new Error(`query ${g.queryId} has no positive or no negative`);
  const n = groupSize - 1;
  const pi = epoch % g.positives.length;
  const picks = Array.from({ length: n }, (_, i) => (epoch * n + i) % g.negatives.length);
  // pi and the picks are taken modulo the list lengths; a group's weights are one per member.
  const positive = g.positives[pi]!;
  const ids = [positive, ...picks.map((i) => g.negatives[i]!)];
  if (!g.weights) return { ids };
  // Soft labels: the weights of the members picked, renormalised; the picks keep the mined order
  // only when they do not wrap, so the group is re-sorted by weight after the positive.
  const members = picks.map((i) => ({ id: g.negatives[i]!, w: g.weights![i + 1]! })).sort((a, b) => b.w - a.w);
  const w = [g.weights[0]!, ...members.map((m) => m.w)];
  const total = w.reduce((s, x) => s + x, 0);
  return { ids: [positive, ...members.map((m) => m.id)], weights: w.map((x) => x / total) };
}

/** Trains the encoder in place on the groups; curves go to ctx.metric under `train/…`. */
export async function trainDense(m: DenseEncoder, data: BeirDataset, groups: readonly TrainingGroup[],
  s: DenseTrainSettings, ctx: TrainContext = {}): Promise<{ lastLoss: number }> {
  if (groups.length === 0) throw new Error('no training group');
  const soft = groups.every((g) => g.weights !== undefined);
  const text = (id: string) => {
    const d = data.corpus.get(id);
    if (!d) throw new Error(`document ${id} of a training group is not in the corpus`);
    return d.title ? `${d.title} ${d.text}` : d.text;
  };
  const sampler = new BatchSampler({ sources: groups.length, batchSize: s.batchSize, seed: s.seed });
  const result = await train<{ queries: string[]; docs: string[]; weights?: tf.Tensor2D }>({
    parameters: () => m.encoder.parameters(),
    sampler,
    ...warmupDecayTraining(s, ctx),
    makeBatch: (refs, info) => {
      const queries: string[] = [];
      const docs: string[] = [];
      const weights: number[] = [];
      refs.forEach((ref, i) => {
        const g = groups[ref.index]!; // the sampler draws from 0..groups.length
        const epoch = Math.floor((info.step * s.batchSize + i) / groups.length);
        const group = groupAt(g, epoch, s.groupSize);
        queries.push(data.queries.get(g.queryId)!.text);
        docs.push(...group.ids.map(text));
        if (group.weights) weights.push(...group.weights);
      });
      return { queries, docs, weights: soft ? tf.tensor2d(weights, [refs.length, s.groupSize]) : undefined };
    },
    loss: (batch, info) => {
      const mode = { training: true, rng: new SeedStream(info.seed) };
      const q = embed(m, batch.queries, mode); // [B, D]
      const k = embed(m, batch.docs, mode);    // [B·G, D]
      return batch.weights
        ? weightedContrastiveLoss(q, k, batch.weights, { temperature: s.temperature })
        : contrastiveLoss(q, k, { temperature: s.temperature, negatives: s.negatives });
    },
  });
  return { lastLoss: result.lastLoss };
}

/** Retrieves the top `depth` documents of the corpus for every judged query of `qrels` and scores the run. */
export function evaluateDense(m: DenseEncoder, data: BeirDataset, qrels: BeirQrels, measures: readonly Measure[], depth: number, batchSize = 64): Evaluation {
  const docs = [...data.corpus.values()];
  const dim = m.encoder.config.hiddenSize;
  const index = new ExactIndex({ metric: 'cosine', dim });
  try {
    index.add(embedAll(m, docs.map((d) => (d.title ? `${d.title} ${d.text}` : d.text)), batchSize), docs.map((d) => d.id));
    const queryIds = [...qrels.keys()];
    const vectors = embedAll(m, queryIds.map((id) => data.queries.get(id)!.text), batchSize);
    const hits = index.search(vectors, Math.min(depth, docs.length));
    // One hit list per query, one score per hit.
    const run = new Map(queryIds.map((id, i) => {
      const hit = hits[i]!;
      return [id, new Map(Array.from(hit.rows, (row, r) => [index.idOf(row), hit.scores[r]!]))];
    }));
    return evaluateRun(qrels, run, measures);
  } finally {
    index.dispose();
  }
}
