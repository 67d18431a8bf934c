// LLM soft labels (methods.md §3.5, LLM-Embedder): a group of the positive and negatives drawn
// uniformly from the (top-k) candidates, the negatives sorted by teacher score, descending, with
// the positive kept first, and weights w = softmax(r / T) over [positive, ...negatives]. The
// weighted contrastive loss (losses.ts) treats every member as a positive with its weight and
// masks the members ranked above it in its own group, which is why the order matters.

import type { Rng } from '../nn/train/rng.js';
import {
  NegativesError, checkCount, eligibleCandidates, positiveScore, requireScores, sampleWithoutReplacement,
  type MiningContext, type MiningQuery, type MiningResult, type NegativeMiner,
} from './types.js';

export interface SoftLabelOptions {
  /** Candidates drawn from: the top k by rank (LLM-Embedder max_neg_num: 100); default all. */
  k?: number;
  /** Teacher temperature T (LLM-Embedder: 1; chat and lrlm: 0.1). */
  temperature?: number;
}

export class SoftLabelMiner implements NegativeMiner {
  readonly strategy = 'soft-label' as const;
  readonly needsScores = true;
  private readonly temperature: number;

  constructor(private readonly o: SoftLabelOptions = {}) {
    if (o.k !== undefined) checkCount('soft-label k', o.k, 1);
    this.temperature = o.temperature ?? 1;
    if (!(Number.isFinite(this.temperature) && this.temperature > 0)) throw new NegativesError(`the teacher temperature must be a finite number > 0, got ${o.temperature}`);
  }

  checkDepth(depth: number): void {
    if (this.o.k !== undefined && this.o.k > depth) throw new NegativesError(`soft-label k = ${this.o.k} reaches beyond the candidate depth: the input ranks at most ${depth} candidates per query`);
  }

  mine(query: MiningQuery, count: number, rng: Rng, context: MiningContext): MiningResult {
    requireScores('soft-label', query);
    const sPos = positiveScore(query);
    if (sPos === undefined) throw new NegativesError(`soft labels need the teacher score of the positive, and query ${query.queryId}'s positive ${query.positives[0]?.id ?? '(none)'} has none`);
    const { eligible, filtered } = eligibleCandidates(query, context);
    const pool = this.o.k === undefined ? eligible : eligible.filter((c) => c.rank < this.o.k!);
    const negatives = sampleWithoutReplacement(pool, count, rng).sort((x, y) => y.score! - x.score! || x.rank - y.rank);
    return { negatives, weights: softLabelWeights([sPos, ...negatives.map((n) => n.score!)], this.temperature), fallback: false, toppedUp: 0, filtered };
  }
}

/** softmax(r / T): the weight of each group member. */
export function softLabelWeights(teacherScores: readonly number[], temperature = 1): number[] {
  const z = teacherScores.map((r) => r / temperature);
  const top = Math.max(...z);
  const e = z.map((x) => Math.exp(x - top));
  const total = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / total);
}
