// Writing the candidates format the bm25 stage defined: `<task>.jsonl`, one query a line,
// {"id", "split", "candidates": [{"id", "score"}, …]} best first, and an `index.json` beside.

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CandidateLine {
  id: string;
  split: string;
  candidates: { id: string; score: number }[];
}

/** Streams the lines of one task's file (`<dir>/<task>.jsonl`); returns the file name. */
export async function writeCandidateLines(dir: string, task: string, lines: Iterable<CandidateLine>): Promise<string> {
  const file = `${task}.jsonl`;
  const stream = createWriteStream(join(dir, file));
  for (const line of lines) if (!stream.write(JSON.stringify(line) + '\n')) await once(stream, 'drain');
  stream.end();
  await once(stream, 'finish');
  return file;
}

/** `index.json`: what made the candidates, and per task the file, query and pool counts. */
export async function writeCandidateIndex(
  dir: string,
  about: Record<string, unknown>,
  tasks: { task: string; file: string; queries: number; pool: number }[],
): Promise<void> {
  await writeFile(join(dir, 'index.json'), JSON.stringify({ ...about, tasks }, null, 2) + '\n');
}

/** Scores written with six decimals: enough to order them, short in the file. */
export function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
