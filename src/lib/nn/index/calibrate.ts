// Choosing efSearch from a recall target: the smallest candidate list whose recall@k against exact
// search, on sample queries, reaches the target. A fixed efSearch is too much on easy (clustered)
// data and far too little on hard (high intrinsic dimension) data; measuring is the only safe rule.

import type { HnswIndex } from './hnsw.js';
import { recallAtK } from './recall.js';
import { VectorIndexError, checkK, type Neighbors, type Vectors } from './types.js';

export interface EfCalibrationOptions {
  /** Neighbours per query the recall is measured on. */
  k: number;
  /** Recall@k to reach, in (0, 1]; default 0.98. */
  targetRecall?: number;
  /** Largest efSearch tried; default 4096. */
  maxEf?: number;
}

export interface EfCalibration {
  /** The smallest efSearch found whose recall reaches the target (maxEf when none does). */
  efSearch: number;
  recall: number;
  reached: boolean;
  /** Every efSearch tried, in the order tried, with its recall. */
  tried: { efSearch: number; recall: number }[];
}

/**
 * Doubles efSearch from k until recall@k on `queries` reaches the target, then bisects between the
 * last miss and the first hit, so that the result reaches the target and the value below it does
 * not. `truth` is exact search's answer for the same queries (ExactIndex.search). The index keeps
 * the efSearch it had; set `index.efSearch = result.efSearch` to use the result.
 */
export function calibrateEfSearch(index: HnswIndex, queries: Vectors, truth: readonly Neighbors[], options: EfCalibrationOptions): EfCalibration {
  checkK(options.k);
  const target = options.targetRecall ?? 0.98;
  const maxEf = options.maxEf ?? 4096;
  if (!(target > 0 && target <= 1)) throw new VectorIndexError(`targetRecall must be in (0, 1], got ${target}`);
  if (!Number.isInteger(maxEf) || maxEf < options.k) throw new VectorIndexError(`maxEf must be an integer ≥ k (${options.k}), got ${maxEf}`);
  const previous = index.efSearch;
  const tried: EfCalibration['tried'] = [];
  const recallAt = (ef: number): number => {
    index.efSearch = ef;
    const recall = recallAtK(index.search(queries, options.k), truth, options.k);
    tried.push({ efSearch: ef, recall });
    return recall;
  };
  try {
    // hnswlib searches with max(ef, k): below k every value is the same search.
    let hi = options.k;
    let hiRecall = recallAt(hi);
    if (hiRecall >= target) return { efSearch: hi, recall: hiRecall, reached: true, tried };
    let lo = hi;
    while (hiRecall < target) {
      if (hi === maxEf) return { efSearch: hi, recall: hiRecall, reached: false, tried };
      lo = hi;
      hi = Math.min(maxEf, hi * 2);
      hiRecall = recallAt(hi);
    }
    // Invariant: lo misses the target, hi reaches it.
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const recall = recallAt(mid);
      if (recall >= target) { hi = mid; hiRecall = recall; } else lo = mid;
    }
    return { efSearch: hi, recall: hiRecall, reached: true, tried };
  } finally {
    index.efSearch = previous;
  }
}
