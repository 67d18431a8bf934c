// Training the bi-encoder on teacher-scored groups (methods.md §1.3, §1.5): per query one
// positive from the teacher's top 3 and G−1 negatives from its bottom 16 (same-label negatives of
// classification tasks removed first), chosen cyclically per epoch by groups.ts.

import * as tf from '@tensorflow/tfjs';
import { BiEncoder, inBatchAccuracy, retrieverLoss } from '../../src/lib/llmr/bi-encoder.js';
import {
  filterInvalidExamples, groupForStep, toPositiveNegative, type PositiveNegativeExample, type ScoredCandidate,
} from '../../src/lib/llmr/groups.js';
import { remineNegatives, type NegativesParam } from '../../src/lib/negatives/for-examples.js';
import { SeedStream } from '../../src/lib/nn/layers/dropout.js';
import { BatchSampler, train, warmupDecayTraining, type TrainContext, type WarmupDecaySettings } from '../../src/lib/nn/train/index.js';
import type { TeacherQuery } from './scores.js';

/** What training needs of a task: its rendered texts and labels by row id. */
export interface TaskTexts {
  /** Pool row ids, in pool order. */
  poolIds: string[];
  /** Row id → the query text x (train rows). */
  query: Map<string, string>;
  /** Row id → the candidate text x ‖ "\n" ‖ y (train rows). */
  demonstration: Map<string, string>;
  /** Row id → gold label, for classification tasks only (same-label negatives are dropped). */
  label?: Map<string, string>;
}

export interface TrainingExample {
  task: string;
  example: PositiveNegativeExample;
}

export interface ExampleOptions {
  topkAsPositive: number;
  bottomkAsNegative: number;
  seed: number;
  /** Another way to choose negatives than the teacher's bottom k (src/lib/negatives); default bottom-k. */
  negatives?: NegativesParam;
}

/**
 * Valid teacher queries as positive/negative examples. Each (scores folder, query) is its own
 * example, so the union of two iterations' scores trains on both, as LLM-R's it-2 does.
 */
export function buildExamples(
  queries: readonly TeacherQuery[],
  tasks: ReadonlyMap<string, TaskTexts>,
  o: ExampleOptions,
): { examples: TrainingExample[]; queries: TeacherQuery[]; dropped: number; sameLabelRemoved: number } {
  const { kept, dropped } = filterInvalidExamples(queries, o.topkAsPositive);
  let sameLabelRemoved = 0;
  const examples = kept.map((q) => {
    const example = toPositiveNegative(q, { topkAsPositive: o.topkAsPositive, bottomkAsNegative: o.bottomkAsNegative, seed: o.seed + q.source });
    const texts = tasks.get(q.task)!;
    const mined = o.negatives && mineNegatives(example, q, texts, o.negatives, o.seed + q.source);
    if (mined) return { task: q.task, example: { ...example, negatives: mined } };
    const chosen = selectNegatives(example, texts.label);
    sameLabelRemoved += example.negatives.length - chosen.length;
    return { task: q.task, example: { ...example, negatives: chosen } };
  });
  return { examples, queries: kept, dropped, sameLabelRemoved };
}

/**
 * Negatives mined from the query's scored candidates with a strategy of src/lib/negatives (window,
 * SimANS, random, soft labels…); same-label demonstrations of a classification task count as false
 * negatives, which the miners skip. Undefined for bottom-k (the rule of `selectNegatives`).
 */
function mineNegatives(
  example: PositiveNegativeExample,
  q: TeacherQuery,
  texts: TaskTexts,
  param: NegativesParam,
  seed: number,
): ScoredCandidate[] | undefined {
  const labels = texts.label;
  const isFalseNegative = labels ? (queryId: string, docId: string) => labels.get(queryId) === labels.get(docId) : undefined;
  return remineNegatives(example, q.candidates, param, { seed, context: { pool: texts.poolIds, isFalseNegative } });
}

/**
 * The retriever's negatives of one query, from the teacher's bottom k (already in `example`): for
 * a classification task (`labels` given) those with the query's own label are removed, as LLM-R's
 * `_filter_out_same_label_negatives` does, since a demonstration with the right label is rarely a
 * bad one.
 */
export function selectNegatives(example: PositiveNegativeExample, labels: ReadonlyMap<string, string> | undefined): ScoredCandidate[] {
  if (!labels) return example.negatives;
  const own = labels.get(example.queryId);
  return example.negatives.filter((c) => labels.get(c.id) !== own);
}

export interface TrainSettings extends WarmupDecaySettings {
  batchSize: number;
  groupSize: number;
  temperature: number;
  alpha: number;
  fullContrastive: boolean;
}

interface Batch {
  queries: string[];
  candidates: string[];
  teacher: tf.Tensor2D;
}

/** Where a step's groups come from when the negatives change during training (re-mining). */
export interface ExampleSource {
  /** The examples in effect at an optimizer step; always as many, in the same order. */
  examplesAt(step: number): readonly TrainingExample[];
}

/** Trains `model` in place; curves go to ctx.metric under `train/…`. */
export async function trainBiEncoder(
  model: BiEncoder,
  initial: readonly TrainingExample[] | ExampleSource,
  tasks: ReadonlyMap<string, TaskTexts>,
  s: TrainSettings,
  ctx: TrainContext,
): Promise<{ lastLoss: number; resumedFrom: number }> {
  const source: ExampleSource = 'examplesAt' in initial ? initial : { examplesAt: () => initial };
  const sampler = new BatchSampler({ sources: source.examplesAt(0).length, batchSize: s.batchSize, seed: s.seed });
  const metric = ctx.metric?.bind(ctx);
  const window = { kl: 0, contrastive: 0, accuracy: 0, n: 0 };
  const result = await train<Batch>({
    parameters: () => model.encoder.parameters(),
    sampler,
    ...warmupDecayTraining(s, ctx),
    makeBatch: (refs, info) => {
      const examples = source.examplesAt(info.step);
      const queries: string[] = [];
      const candidates: string[] = [];
      const teacher: number[] = [];
      refs.forEach((ref, i) => {
        const { task, example } = examples[ref.index]!; // refs index the examples of this step
        const texts = tasks.get(task)!;
        // The epoch this item is drawn in moves the cyclic choice of positive and negatives on.
        const epoch = Math.floor((info.step * s.batchSize + i) / examples.length);
        const group = groupForStep(example, { groupSize: s.groupSize, epoch, seed: s.seed, pool: texts.poolIds });
        queries.push(texts.query.get(example.queryId)!);
        for (const id of group.ids) candidates.push(texts.demonstration.get(id)!);
        teacher.push(...group.scores);
      });
      return { queries, candidates, teacher: tf.tensor2d(teacher, [refs.length, s.groupSize]) };
    },
    loss: (batch, info) => {
      const mode = { training: true, rng: new SeedStream(info.seed) };
      const q = model.embed(batch.queries, mode);    // [B, D]
      const k = model.embed(batch.candidates, mode); // [B·G, D]
      const parts = retrieverLoss(q, k, batch.teacher, { temperature: s.temperature, alpha: s.alpha, fullContrastive: s.fullContrastive });
      window.kl += parts.kl.dataSync()[0]!; // scalars
      window.contrastive += parts.contrastive.dataSync()[0]!;
      window.accuracy += inBatchAccuracy(q, k);
      window.n++;
      const done = info.step + 1;
      if (done % s.logEvery === 0 || done === s.steps) {
        metric?.('train/kl', window.kl / window.n, done);
        metric?.('train/contrastive', window.contrastive / window.n, done);
        metric?.('train/in_batch_accuracy', window.accuracy / window.n, done);
        Object.assign(window, { kl: 0, contrastive: 0, accuracy: 0, n: 0 });
      }
      return parts.loss;
    },
  });
  return { lastLoss: result.lastLoss, resumedFrom: result.resumedFrom };
}
