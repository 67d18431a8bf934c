// Random negatives (methods.md §3.1): uniform over the pool minus the positives, the query itself
// and known false negatives, without replacement. Needs no scores.

import type { Rng } from '../nn/train/rng.js';
import { randomFromPool, type MiningContext, type MiningQuery, type MiningResult, type NegativeMiner } from './types.js';

export class RandomMiner implements NegativeMiner {
  readonly strategy = 'random' as const;
  readonly needsScores = false;

  checkDepth(): void {}

  mine(query: MiningQuery, count: number, rng: Rng, context: MiningContext): MiningResult {
    return { negatives: randomFromPool(query, new Set(), count, rng, context), fallback: false, toppedUp: 0, filtered: 0 };
  }
}
