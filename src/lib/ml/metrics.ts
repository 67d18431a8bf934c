// Task metrics on a 0..1 scale (multiply by 100 for paper-style tables).
//
//   accuracy    label match (NFKC, trimmed, case-insensitive) against any reference
//   exact_match SQuAD-normalised string equality, max over references (or T5's qa_utils
//               normalisation, squad or trivia_qa, as LLM-R scores squad_v1 and nq)
//   token_f1    SQuAD token-overlap F1, max over references
//   f1          binary F1 of the positive label over the corpus (MultiRC); per example it is
//               label accuracy, since F1 does not decompose over examples
//   rouge_l     ROUGE-L F-measure (β = 1, as rouge-score, or as the `rouge` pip package LLM-R
//               uses), max (or mean) over references, averaged
//   bleu        corpus BLEU-4 with brevity penalty; per example, smoothed sentence BLEU
//
// An empty corpus aggregates to 0.

import type { TaskMetric } from '../data/task.js';
import { corpusBleu, sentenceBleu, type BleuSmoothing } from './metrics/bleu.js';
import { rougeL, rougeLPltrdy } from './metrics/rouge.js';
import { exactMatch, tokenF1 } from './metrics/squad.js';
import { normalizeLabel, normalizeSquad, normalizeTriviaQa } from './metrics/text.js';

export { corpusBleu, sentenceBleu, bleuStats, bleuFromStats, type BleuSmoothing, type BleuOptions } from './metrics/bleu.js';
export { rougeL, rougeLPltrdy, lcsLength, type RougeScore } from './metrics/rouge.js';
export { exactMatch, tokenF1 } from './metrics/squad.js';
export { normalizeAnswer, normalizeLabel, normalizeSquad, normalizeTriviaQa } from './metrics/text.js';

export type MetricName = TaskMetric;

export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'exact_match', 'f1', 'rouge_l', 'token_f1', 'bleu'];

export interface MetricOptions {
  /** Positive label of binary F1 (default "Yes"; see defaultPositiveLabel for task labels). */
  positive?: string;
  /** ROUGE-L β (default 1). */
  beta?: number;
  /** BLEU smoothing (default: none for the corpus score, exp for one example). */
  smoothing?: BleuSmoothing;
  /** Lower-case before BLEU (default false). */
  lowercase?: boolean;
  /** Exact-match normalisation: Retort's Unicode-aware default, or T5's qa_utils `squad` / `trivia_qa`. */
  normalization?: 'default' | 'squad' | 'trivia_qa';
  /** ROUGE-L implementation: `rouge-score` (default) or `pltrdy` (the `rouge` pip package). */
  rouge?: 'rouge-score' | 'pltrdy';
  /** Combine a generation's scores over its references by `max` (default) or `mean`. */
  references?: 'max' | 'mean';
}

const POSITIVE_WORDS = ['yes', 'true', 'positive', 'entailment', 'equivalent', 'duplicate', 'correct'];

/** The label binary F1 should treat as positive: a known "yes"-like word, else the last label. */
export function defaultPositiveLabel(labels: string[]): string {
  for (const w of POSITIVE_WORDS) {
    const hit = labels.find((l) => normalizeLabel(l) === w);
    if (hit !== undefined) return hit;
  }
  return labels.length > 0 ? labels[labels.length - 1]! : 'Yes';
}

export function labelAccuracy(prediction: string, references: string[]): number {
  const p = normalizeLabel(prediction);
  return references.some((r) => normalizeLabel(r) === p) ? 1 : 0;
}

/** Binary F1 = 2TP / (2TP + FP + FN); 0 when neither side ever says the positive label (as sklearn). */
export function binaryF1(predictions: string[], golds: string[], positive = 'Yes'): number {
  const pos = normalizeLabel(positive);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  predictions.forEach((p, i) => {
    const predPos = normalizeLabel(p) === pos;
    const goldPos = normalizeLabel(golds[i]!) === pos;
    if (predPos && goldPos) tp++;
    else if (predPos) fp++;
    else if (goldPos) fn++;
  });
  const denom = 2 * tp + fp + fn;
  return denom === 0 ? 0 : (2 * tp) / denom;
}

function maxOver(references: string[], score: (ref: string) => number): number {
  let best = 0;
  for (const r of references) best = Math.max(best, score(r));
  return best;
}

function combine(references: string[], how: 'max' | 'mean' | undefined, score: (ref: string) => number): number {
  if (how !== 'mean') return maxOver(references, score);
  let sum = 0;
  for (const r of references) sum += score(r);
  return sum / references.length;
}

function exactMatchWith(normalization: MetricOptions['normalization'], prediction: string, reference: string): number {
  if (normalization === 'squad') return normalizeSquad(prediction) === normalizeSquad(reference) ? 1 : 0;
  if (normalization === 'trivia_qa') return normalizeTriviaQa(prediction) === normalizeTriviaQa(reference) ? 1 : 0;
  return exactMatch(prediction, reference);
}

function checkReferences(metric: string, references: string[]): void {
  if (references.length === 0) throw new RangeError(`${metric}: an example needs at least one reference`);
}

/** Score of one example in 0..1. */
export function scoreExample(metric: MetricName, prediction: string, references: string[], opts: MetricOptions = {}): number {
  checkReferences(metric, references);
  switch (metric) {
    case 'accuracy':
    case 'f1':
      return labelAccuracy(prediction, references);
    case 'exact_match':
      return maxOver(references, (r) => exactMatchWith(opts.normalization, prediction, r));
    case 'token_f1':
      return maxOver(references, (r) => tokenF1(prediction, r));
    case 'rouge_l':
      return combine(references, opts.references, (r) => (opts.rouge === 'pltrdy' ? rougeLPltrdy(prediction, r) : rougeL(prediction, r, opts.beta)).fmeasure);
    case 'bleu':
      return sentenceBleu(prediction, references, { smoothing: opts.smoothing, lowercase: opts.lowercase });
    default:
      throw new RangeError(`unknown metric "${metric as string}" (expected one of ${METRIC_NAMES.join(', ')})`);
  }
}

/** Corpus score in 0..1: the mean of example scores, except binary F1 and BLEU (corpus statistics). */
export function aggregateMetric(metric: MetricName, predictions: string[], references: string[][], opts: MetricOptions = {}): number {
  if (predictions.length !== references.length) {
    throw new RangeError(`${metric}: ${predictions.length} predictions but ${references.length} reference lists`);
  }
  for (const refs of references) checkReferences(metric, refs);
  if (predictions.length === 0) return 0;
  if (metric === 'f1') return binaryF1(predictions, references.map((r) => r[0]!), opts.positive);
  if (metric === 'bleu') return corpusBleu(predictions, references, { smoothing: opts.smoothing ?? 'none', lowercase: opts.lowercase });
  let sum = 0;
  predictions.forEach((p, i) => (sum += scoreExample(metric, p, references[i]!, opts)));
  return sum / predictions.length;
}
