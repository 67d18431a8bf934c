// Reading and writing the scores format shared by the LLM-R stages: a folder with `<task>.jsonl`
// per task, one line per train query `{"id", "split", "candidates": [{"id", "score"}, …]}` sorted
// by score descending, and `index.json` naming the scorer. Every reading error names file and line.

import { createWriteStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { DataError } from '../../src/lib/data/task-folder.js';
import { readJsonLines } from '../../src/lib/data/jsonl.js';
import type { ScoredCandidate } from '../../src/lib/llmr/groups.js';

export interface ScoreLine {
  id: string;
  split: string;
  candidates: ScoredCandidate[];
  /** 1-based line in its file, for later errors about this query. */
  line: number;
}

export interface ScoresFile {
  task: string;
  file: string;
  lines: ScoreLine[];
}

const SHAPE = 'expected {"id": string, "split": string, "candidates": [{"id": string, "score": number}, …]}';

function parseLine(value: unknown, file: string, line: number): ScoreLine {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError(file, line, SHAPE);
  const v = value as { id?: unknown; split?: unknown; candidates?: unknown };
  if (typeof v.id !== 'string' || v.id === '') throw new DataError(file, line, `"id" must be a non-empty string; ${SHAPE}`);
  if (v.split !== undefined && typeof v.split !== 'string') throw new DataError(file, line, `"split" must be a string; ${SHAPE}`);
  if (!Array.isArray(v.candidates)) throw new DataError(file, line, `"candidates" must be an array; ${SHAPE}`);
  const candidates = v.candidates.map((c: unknown, i): ScoredCandidate => {
    const cc = c as { id?: unknown; score?: unknown } | null;
    if (typeof cc !== 'object' || cc === null || typeof cc.id !== 'string') throw new DataError(file, line, `candidate ${i}: "id" must be a string; ${SHAPE}`);
    if (typeof cc.score !== 'number' || !Number.isFinite(cc.score)) throw new DataError(file, line, `candidate ${i} ("${cc.id}"): "score" must be a finite number, got ${JSON.stringify(cc.score)}`);
    return { id: cc.id, score: cc.score };
  });
  return { id: v.id, split: v.split ?? 'train', candidates, line };
}

/** The `<task>.jsonl` files of a scores (or candidates) folder, each fully validated. */
export async function readScoresFolder(dir: string): Promise<ScoresFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new DataError(dir, 0, 'not a scores folder (expected <task>.jsonl files and index.json)');
    throw e;
  }
  if (names.length === 0) throw new DataError(dir, 0, 'no <task>.jsonl files: is this the output of the llm-score stage?');
  const out: ScoresFile[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const lines: ScoreLine[] = [];
    const seen = new Set<string>();
    for await (const { value, line } of readJsonLines(file)) {
      const parsed = parseLine(value, file, line);
      if (seen.has(parsed.id)) throw new DataError(file, line, `query "${parsed.id}" appears twice`);
      seen.add(parsed.id);
      lines.push(parsed);
    }
    out.push({ task: name.slice(0, -'.jsonl'.length), file, lines });
  }
  return out;
}

/** Candidates by score, descending; ties keep their input order (Array.prototype.sort is stable). */
export function sortedByScore(candidates: readonly ScoredCandidate[]): ScoredCandidate[] {
  return candidates.slice().sort((a, b) => b.score - a.score);
}

/** Writes one task's lines in the scores format, candidates sorted by score descending. */
export async function writeScoresFile(file: string, lines: readonly { id: string; split: string; candidates: readonly ScoredCandidate[] }[]): Promise<void> {
  const stream = createWriteStream(file);
  for (const l of lines) {
    const text = JSON.stringify({ id: l.id, split: l.split, candidates: sortedByScore(l.candidates) });
    if (!stream.write(text + '\n')) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

export async function writeIndex(dir: string, index: Record<string, unknown>): Promise<void> {
  await writeFile(join(dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
}
