// Statistics of what a miner chose, for metrics and the histogram artifact: the score of each
// negative relative to the positive (Δ = s_neg − s₊, when both are known), the share of suspected
// false negatives (negatives scored at or above s₊ − suspectMargin: ranked like a positive, so
// likely an unlabelled one), and how often a strategy fell back, was topped up or came up short.

import type { MiningQuery, MiningResult } from './types.js';
import { positiveScore } from './types.js';

export interface MiningSummary {
  queries: number;
  negatives: number;
  negatives_per_query: number;
  /** Share of negatives whose Δ is known (both scores present). */
  scored_share: number;
  delta_mean: number;
  delta_p10: number;
  delta_median: number;
  delta_p90: number;
  /** Share of scored negatives with Δ ≥ −suspectMargin. */
  suspected_false_negative_share: number;
  /** Mean 0-based candidate rank of the negatives taken from the candidates (0 when none were: pool draws have rank −1). */
  rank_mean: number;
  /** Queries given fewer negatives than asked. */
  short_share: number;
  /** Queries where the strategy's documented fallback ran (SimANS without s₊). */
  fallback_share: number;
  /** Share of negatives that came from a top-up. */
  topped_up_share: number;
  /** Candidates dropped as known false negatives. */
  filtered_false_negatives: number;
}

export interface Histogram {
  /** bins + 1 edges, ascending; bin i counts edges[i] ≤ Δ < edges[i+1] (the last bin includes its right edge). */
  edges: number[];
  counts: number[];
}

export class MiningStats {
  private readonly deltas: number[] = [];
  private queries = 0;
  private negatives = 0;
  private suspected = 0;
  private rankSum = 0;
  private ranked = 0;
  private short = 0;
  private fallback = 0;
  private toppedUp = 0;
  private filtered = 0;

  constructor(private readonly suspectMargin = 0) {
    if (!(Number.isFinite(suspectMargin) && suspectMargin >= 0)) throw new Error(`suspectMargin must be a finite number ≥ 0, got ${suspectMargin}`);
  }

  add(query: MiningQuery, result: MiningResult, asked: number): void {
    this.queries++;
    this.negatives += result.negatives.length;
    if (result.negatives.length < asked) this.short++;
    if (result.fallback) this.fallback++;
    this.toppedUp += result.toppedUp;
    this.filtered += result.filtered;
    const sPos = positiveScore(query);
    for (const n of result.negatives) {
      if (n.rank >= 0) {
        this.rankSum += n.rank;
        this.ranked++;
      }
      if (sPos === undefined || n.score === undefined) continue;
      const delta = n.score - sPos;
      this.deltas.push(delta);
      if (delta >= -this.suspectMargin) this.suspected++;
    }
  }

  summary(): MiningSummary {
    const sorted = this.deltas.slice().sort((a, b) => a - b);
    const share = (x: number, n: number) => (n === 0 ? 0 : x / n);
    return {
      queries: this.queries,
      negatives: this.negatives,
      negatives_per_query: share(this.negatives, this.queries),
      scored_share: share(sorted.length, this.negatives),
      delta_mean: share(sorted.reduce((s, x) => s + x, 0), sorted.length),
      delta_p10: quantile(sorted, 0.1),
      delta_median: quantile(sorted, 0.5),
      delta_p90: quantile(sorted, 0.9),
      suspected_false_negative_share: share(this.suspected, sorted.length),
      rank_mean: share(this.rankSum, this.ranked),
      short_share: share(this.short, this.queries),
      fallback_share: share(this.fallback, this.queries),
      topped_up_share: share(this.toppedUp, this.negatives),
      filtered_false_negatives: this.filtered,
    };
  }

  /** Δ in `bins` equal-width bins over [min, max]; empty when no negative was scored. */
  histogram(bins = 20): Histogram {
    if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be an integer ≥ 1, got ${bins}`);
    if (this.deltas.length === 0) return { edges: [], counts: [] };
    let lo = Infinity;
    let hi = -Infinity;
    for (const d of this.deltas) {
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
    if (hi === lo) hi = lo + 1;
    const width = (hi - lo) / bins;
    const counts = new Array<number>(bins).fill(0);
    for (const d of this.deltas) counts[Math.min(bins - 1, Math.floor((d - lo) / width))]!++;
    return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
  }
}

/** Linear-interpolation quantile of an ascending list (numpy's default); 0 for an empty list. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
