// Retrieval with the trained encoder: each task's pool goes into a vector index; every train and
// test query gets the top-k of its own task's pool by cosine, best first, without its own row and
// (optionally) without rows of the same query text, exactly as the bm25 stage does.

import { ExactIndex } from '../../src/lib/nn/index/exact.js';
import { HnswIndex } from '../../src/lib/nn/index/hnsw.js';
import type { Quantize } from '../../src/lib/nn/index/native-hnsw.js';
import type { VectorIndex } from '../../src/lib/nn/index/types.js';

export type IndexChoice = 'auto' | 'hnsw' | 'exact';

/**
 * The `quantize` param's default in the retriever and dense-encoder plugins: the uint8 walk, whose
 * recall at a given efSearch is the float walk's on the data the tests and bench/vector-index.ts
 * cover, and the fastest (bench/README.md).
 */
export const DEFAULT_QUANTIZE: Quantize = 'int8';

export interface IndexSettings {
  index: IndexChoice;
  /** With `auto`, pools smaller than this are searched exactly. */
  exactBelow: number;
  M: number;
  efConstruction: number;
  efSearch: number;
  /** HNSW only: what the walk reads (uint8 codes, bfloat16 or float rows); every walk but `none` re-ranks with float cosines. */
  quantize: Quantize;
  seed: number;
}

/** A cosine index over the pool embeddings [n·D], rows labelled by pool ids. */
export function buildIndex(vectors: Float32Array, dim: number, ids: readonly string[], s: IndexSettings): VectorIndex {
  const exact = s.index === 'exact' || (s.index === 'auto' && ids.length < s.exactBelow);
  const index: VectorIndex = exact
    ? new ExactIndex({ metric: 'cosine', dim })
    : new HnswIndex({ metric: 'cosine', dim, capacity: ids.length, M: s.M, efConstruction: s.efConstruction, efSearch: s.efSearch, quantize: s.quantize, seed: s.seed });
  index.add(vectors, ids);
  return index;
}

export interface QueryToRetrieve {
  /** The query's embedding [D]. */
  vector: Float32Array;
  /** Pool rows it must not get (its own row, rows with the same query text). */
  exclude: ReadonlySet<number>;
}

/** The top `k` pool rows per query after exclusions, best first (ties: the earlier pool row). */
export function searchExcluding(index: VectorIndex, queries: readonly QueryToRetrieve[], k: number): { rows: number[]; scores: number[] }[] {
  // Queries with the same number of exclusions search together, asking for that many more hits.
  const byExtra = new Map<number, number[]>();
  queries.forEach((q, i) => byExtra.set(q.exclude.size, [...(byExtra.get(q.exclude.size) ?? []), i]));
  const results = new Array<{ rows: number[]; scores: number[] }>(queries.length);
  const dim = index.dim;
  for (const [extra, members] of byExtra) {
    const block = new Float32Array(members.length * dim);
    // Members index the queries; the index answers one hit list per row of the block.
    members.forEach((m, j) => block.set(queries[m]!.vector, j * dim));
    const hits = index.search(block, Math.min(index.size, k + extra));
    members.forEach((m, j) => {
      const rows: number[] = [];
      const scores: number[] = [];
      const h = hits[j]!;
      const { exclude } = queries[m]!;
      for (let r = 0; r < h.rows.length && rows.length < k; r++) {
        const row = h.rows[r]!;
        if (exclude.has(row)) continue;
        rows.push(row);
        scores.push(h.scores[r]!); // a score per row
      }
      results[m] = { rows, scores };
    });
  }
  return results;
}
