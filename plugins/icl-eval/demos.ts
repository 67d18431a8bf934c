// Choosing the in-context demonstrations of a test row: none, k random train rows, or the
// top-k BM25 candidates. Returned in prompt order: for BM25 the most relevant comes last.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../../src/lib/data/errors.js';
import type { TaskRow } from '../../src/lib/data/task.js';
import { Rng } from '../../src/lib/tasks/generated/rng.js';

/** `retrieved` takes its demonstrations from any candidates folder (a dense retriever's), as `bm25` does from BM25's. */
export type DemoMethod = 'zero-shot' | 'random' | 'bm25' | 'retrieved';

/** Query row id → candidate train row ids, best first (from the bm25 plugin's `<task>.jsonl`). */
export type CandidateMap = Map<string, string[]>;

export async function readCandidates(dir: string, task: string): Promise<CandidateMap | null> {
  const file = join(dir, `${task}.jsonl`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const map: CandidateMap = new Map();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: { id?: unknown; candidates?: unknown };
    try {
      v = JSON.parse(line) as typeof v;
    } catch (e) {
      throw new DataError(file, i + 1, `invalid JSON: ${(e as Error).message}`);
    }
    if (typeof v.id !== 'string' || !Array.isArray(v.candidates)) throw new DataError(file, i + 1, 'expected {"id": string, "candidates": [{"id", "score"}]}');
    map.set(v.id, v.candidates.map((c: { id?: unknown }) => String(c.id)));
  });
  return map;
}

/** `k` distinct indices of [0, n) in random order, from a stream derived from (seed, labels). */
export function sampleIndices(n: number, k: number, seed: number, ...labels: string[]): number[] {
  const rng = Rng.derive(seed, ...labels);
  const m = Math.min(k, n);
  // Partial Fisher–Yates over a sparse map: O(k) whatever the pool size.
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(vj);
  }
  return out;
}

export interface DemoSelector {
  (row: TaskRow): TaskRow[];
}

export function demoSelector(
  method: DemoMethod,
  k: number,
  pool: readonly TaskRow[],
  opts: { seed: number; task: string; candidates: CandidateMap | null; candidatesFile?: string },
): DemoSelector {
  if (method === 'zero-shot' || k === 0 || pool.length === 0) return () => [];
  if (method === 'random') {
    return (row) => sampleIndices(pool.length, k, opts.seed, 'icl-random', opts.task, row.id).map((i) => pool[i]!); // indices below pool.length
  }
  const byId = new Map(pool.map((r) => [r.id, r]));
  const cands = opts.candidates;
  if (cands === null) throw new DataError(opts.candidatesFile ?? opts.task, 0, `no ${method === 'bm25' ? 'BM25 ' : ''}candidates for task "${opts.task}" (run the ${method === 'bm25' ? 'bm25' : 'retrieval'} stage on the same tasks)`);
  return (row) => {
    const ids = cands.get(row.id);
    if (ids === undefined) throw new DataError(opts.candidatesFile ?? opts.task, 0, `no candidates for row "${row.id}" (were they computed for this split?)`);
    const top = ids.filter((id) => id !== row.id && byId.has(id)).slice(0, k).map((id) => byId.get(id) as TaskRow);
    return top.reverse(); // most relevant last, next to the test input
  };
}
