// How closely two HNSW answers agree when only float rounding separates them (the batch addon's
// AVX2 distances against hnswlib-node's): the share of hits found by both, and the largest score
// difference on those hits, relative to the score's size when it exceeds 1 (float32 keeps about 7
// digits, so a score of 40 is only known to 4e-6).
import type { Neighbors } from '../../src/lib/nn/index/types.js';

export function agreement(a: readonly Neighbors[], b: readonly Neighbors[]): { shared: number; worstScore: number } {
  let shared = 0;
  let total = 0;
  let worstScore = 0;
  a.forEach((hits, q) => {
    total += Math.max(hits.rows.length, b[q].rows.length);
    hits.rows.forEach((row, i) => {
      const j = b[q].rows.indexOf(row);
      if (j < 0) return;
      shared++;
      worstScore = Math.max(worstScore, Math.abs(hits.scores[i] - b[q].scores[j]) / Math.max(1, Math.abs(b[q].scores[j])));
    });
  });
  return { shared: total === 0 ? 1 : shared / total, worstScore };
}
