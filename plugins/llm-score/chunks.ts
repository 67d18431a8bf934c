// Finished chunks of scored queries, kept in the node's scratch directory so a killed run
// resumes where it stopped. One file per (task, chunk), written to a temporary name and renamed,
// so a file under its final name is whole; a file that does not parse or does not hold exactly
// the queries and candidates expected (a torn or stale file) is ignored and its chunk redone.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CandidateLine } from '../../src/lib/llmr/scoring.js';

export interface ChunkPlan {
  task: string;
  index: number;
  /** Query ids, in output order, and the candidate ids each must carry. */
  queries: { id: string; candidateIds: string[] }[];
}

const FORMAT = 'llm-score-chunk/1';

function chunkFile(scratch: string, plan: ChunkPlan): string {
  // Task names are file-name safe (they name the candidates files too).
  return join(scratch, 'chunks', `${plan.task}.${String(plan.index).padStart(5, '0')}.json`);
}

/** The chunk's lines if a complete, matching file is there; otherwise null. */
export async function loadChunk(scratch: string, plan: ChunkPlan): Promise<CandidateLine[] | null> {
  let value: { format?: unknown; lines?: unknown };
  try {
    value = JSON.parse(await readFile(chunkFile(scratch, plan), 'utf8')) as typeof value;
  } catch {
    return null;
  }
  if (value.format !== FORMAT || !Array.isArray(value.lines) || value.lines.length !== plan.queries.length) return null;
  const lines = value.lines as CandidateLine[];
  const matches = plan.queries.every((q, i) => {
    const line = lines[i];
    if (line?.id !== q.id || !Array.isArray(line.candidates) || line.candidates.length !== q.candidateIds.length) return false;
    const got = new Set(line.candidates.map((c) => c?.id));
    return q.candidateIds.every((id) => got.has(id)) && line.candidates.every((c) => typeof c.score === 'number');
  });
  return matches ? lines : null;
}

export async function saveChunk(scratch: string, plan: ChunkPlan, lines: CandidateLine[]): Promise<void> {
  const file = chunkFile(scratch, plan);
  await mkdir(join(scratch, 'chunks'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify({ format: FORMAT, task: plan.task, index: plan.index, lines }));
  await rename(tmp, file);
}
