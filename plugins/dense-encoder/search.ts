// Candidates through the vector index: each task's pool demonstrations go into an index; every
// train and test query gets the top k of its own task's pool by cosine, without its own row and
// (optionally) rows of the same query text, as the bm25 and retriever stages do.

import type { SentenceEncoder } from '../../src/lib/llmr/encoder-folder.js';
import { roundScore, writeCandidateIndex, writeCandidateLines, type CandidateLine } from '../../src/lib/llmr/candidates-file.js';
import { splitQueries, type TaskPool } from '../../src/lib/llmr/pools.js';
import { buildIndex, searchExcluding, type IndexSettings } from '../retriever/retrieve.js';

export interface SearchSettings extends IndexSettings {
  topK: number;
  querySplits: string[];
  excludeSameQuery: boolean;
  encodeBatchSize: number;
}

export interface SearchStats {
  queries: number;
  encoded: number;
  encodeMs: number;
  searchMs: number;
}

/** Writes `<task>.jsonl` per task and `index.json` into `dir`. */
export async function writeDenseCandidates(
  dir: string,
  encoder: SentenceEncoder,
  pools: readonly TaskPool[],
  s: SearchSettings,
  hooks: { signal: AbortSignal; progress: (done: number, total: number) => void; about: Record<string, unknown> },
): Promise<SearchStats> {
  const stats: SearchStats = { queries: 0, encoded: 0, encodeMs: 0, searchMs: 0 };
  const total = pools.reduce((n, p) => n + p.pool.length + s.querySplits.reduce((m, split) => m + (p.task.splits[split]?.length ?? 0), 0), 0);
  const dim = encoder.dim;
  const entries: { task: string; file: string; queries: number; pool: number }[] = [];
  for (const p of pools) {
    hooks.signal.throwIfAborted();
    let start = Date.now();
    const poolVectors = encoder.embedAll(p.demonstrations, s.encodeBatchSize); // [n·D]
    stats.encodeMs += Date.now() - start;
    stats.encoded += p.pool.length;
    const index = buildIndex(poolVectors, dim, p.pool.map((r) => r.id), s);
    const lines: CandidateLine[] = [];
    try {
      for (const split of s.querySplits) {
        const { rows, texts } = splitQueries(p, split);
        if (rows.length === 0) continue;
        start = Date.now();
        const vectors = encoder.embedAll(texts, s.encodeBatchSize); // [m·D]
        stats.encodeMs += Date.now() - start;
        stats.encoded += rows.length;
        const wanted = rows.map((_, i) => {
          const exclude = new Set<number>(s.excludeSameQuery ? p.rowsByQuery.get(texts[i]!) ?? [] : []); // a text per row
          if (split === 'train') exclude.add(i); // the query's own row
          return { vector: vectors.subarray(i * dim, (i + 1) * dim), exclude };
        });
        start = Date.now();
        const hits = searchExcluding(index, wanted, s.topK);
        stats.searchMs += Date.now() - start;
        // One hit list per wanted vector; its rows index the pool, with a score each.
        rows.forEach((row, i) => {
          const hit = hits[i]!;
          lines.push({ id: row.id, split, candidates: hit.rows.map((r, j) => ({ id: p.pool[r]!.id, score: roundScore(hit.scores[j]!) })) });
        });
        hooks.progress(stats.encoded, total);
      }
    } finally {
      index.dispose();
    }
    const file = await writeCandidateLines(dir, p.name, lines);
    entries.push({ task: p.name, file, queries: lines.length, pool: p.pool.length });
    stats.queries += lines.length;
  }
  await writeCandidateIndex(dir, { ...hooks.about, topK: s.topK }, entries);
  return stats;
}
