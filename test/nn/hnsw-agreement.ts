// How closely two HNSW answers agree when only float rounding separates them (the batch addon's
// AVX2 distances against hnswlib-node's): the share of hits found by both, and the largest score
// difference on those hits, relative to the score's size when it exceeds 1 (float32 keeps about 7
// digits, so a score of 40 is only known to 4e-6).
import type { Neighbors } from '../../src/lib/nn/index/types.js';
import { at } from '../util/at.js';

export function agreement(a: readonly Neighbors[], b: readonly Neighbors[]): { shared: number; worstScore: number } {
  let shared = 0;
  let total = 0;
  let worstScore = 0;
  a.forEach((hits, q) => {
    const other = at(b, q);
    total += Math.max(hits.rows.length, other.rows.length);
    hits.rows.forEach((row, i) => {
      const j = other.rows.indexOf(row);
      if (j < 0) return;
      shared++;
      const score = at(other.scores, j);
      worstScore = Math.max(worstScore, Math.abs(at(hits.scores, i) - score) / Math.max(1, Math.abs(score)));
    });
  });
  return { shared: total === 0 ? 1 : shared / total, worstScore };
}
