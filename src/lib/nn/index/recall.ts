// Recall of an approximate search against exact search on the same queries.

import { VectorIndexError, type Neighbors } from './types.js';

/**
 * recall@k = (1/Q) Σ_q |approx_q[:k] ∩ exact_q[:k]| / |exact_q[:k]|, the share of the true top k
 * that the approximate search found (queries whose exact list is empty are skipped). `k` defaults to
 * the length of the exact lists.
 */
export function recallAtK(approx: readonly Neighbors[], exact: readonly Neighbors[], k?: number): number {
  if (approx.length !== exact.length) {
    throw new VectorIndexError(`recall needs the same queries: ${approx.length} approximate results, ${exact.length} exact`);
  }
  let total = 0;
  let counted = 0;
  for (const [i, e] of exact.entries()) {
    const truth = e.rows.subarray(0, k ?? e.rows.length);
    if (truth.length === 0) continue;
    const found = new Set(approx[i]!.rows.subarray(0, truth.length)); // as many lists as exact ones, checked above
    let hits = 0;
    for (const row of truth) if (found.has(row)) hits++;
    total += hits / truth.length;
    counted++;
  }
  return counted === 0 ? 1 : total / counted;
}
