// Top-k hard negatives from a rank window (methods.md §3.2, BGE's `hn_mine`): the candidates at
// ranks [start, end) — 0-based, end exclusive, so 10–210 skips the ten best — minus positives,
// the query and known false negatives, sampled uniformly down to the count asked for. Skipping
// the top ranks keeps unlabelled positives out; an optional margin also drops candidates scored
// within `margin` of the positive (s_i > s₊ − margin), the "TopK-MarginPos" filter of NV-Retriever.
// When the window holds too few, `topUp: 'random'` fills from the pool as hn_mine does; with
// 'none' the query keeps fewer negatives. Both are counted in the statistics.

import type { Rng } from '../nn/train/rng.js';
import {
  NegativesError, checkCount, eligibleCandidates, positiveScore, randomFromPool, requireScores, sampleWithoutReplacement,
  type MiningContext, type MiningQuery, type MiningResult, type NegativeMiner,
} from './types.js';

export interface WindowOptions {
  /** First rank of the window, 0-based (BGE default 10). */
  start: number;
  /** End of the window, exclusive (BGE default 210). */
  end: number;
  /** Drop candidates scored above s₊ − margin; needs scores. Default: no margin. */
  margin?: number;
  /** Fill a short window with random pool documents ('random', as hn_mine) or not ('none'). */
  topUp?: 'random' | 'none';
}

export class WindowMiner implements NegativeMiner {
  readonly strategy = 'window' as const;
  readonly needsScores: boolean;
  private readonly topUp: 'random' | 'none';

  constructor(private readonly o: WindowOptions) {
    checkCount('window start', o.start, 0);
    checkCount('window end', o.end, 0);
    if (o.end <= o.start) throw new NegativesError(`the rank window ${o.start}–${o.end} is empty: end must be greater than start (ranks are 0-based, end exclusive)`);
    if (o.margin !== undefined && !(Number.isFinite(o.margin) && o.margin >= 0)) throw new NegativesError(`the window margin must be a finite number ≥ 0, got ${o.margin}`);
    this.needsScores = o.margin !== undefined;
    this.topUp = o.topUp ?? 'random';
  }

  checkDepth(depth: number): void {
    if (this.o.end > depth) {
      throw new NegativesError(`the rank window ${this.o.start}–${this.o.end} reaches beyond the candidate depth: the input ranks at most ${depth} candidates per query (lower end, or retrieve deeper)`);
    }
  }

  mine(query: MiningQuery, count: number, rng: Rng, context: MiningContext): MiningResult {
    if (this.needsScores) requireScores('window with a margin', query);
    const { eligible, filtered } = eligibleCandidates(query, context);
    let inWindow = eligible.filter((c) => c.rank >= this.o.start && c.rank < this.o.end);
    if (this.o.margin !== undefined) {
      const sPos = positiveScore(query);
      if (sPos === undefined) throw new NegativesError(`the window margin needs the positive's score, and query ${query.queryId}'s positive ${query.positives[0]?.id ?? '(none)'} has none`);
      inWindow = inWindow.filter((c) => c.score! <= sPos - this.o.margin!);
    }
    const negatives = sampleWithoutReplacement(inWindow, count, rng);
    let toppedUp = 0;
    if (negatives.length < count && this.topUp === 'random') {
      // From the whole pool minus the positives, as hn_mine does: a top-up may land in the skipped top ranks.
      const extra = randomFromPool(query, new Set(negatives.map((n) => n.id)), count - negatives.length, rng, context);
      toppedUp = extra.length;
      negatives.push(...extra);
    }
    return { negatives, fallback: false, toppedUp, filtered };
  }
}
