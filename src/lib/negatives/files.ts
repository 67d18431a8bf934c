// The files mining reads and writes.
//
// Read: a scores (or candidates) folder, `<task>.jsonl` per task, one query a line:
//   {"id": "<query row>", "split": "train", "candidates": [{"id": "<row>", "score": -1.23}, …]}
// (the llm-score, reward-model, bm25 and retriever outputs). Scores may be absent from a line's
// candidates only when the strategy needs none; every problem is located at file:line.
//
// Written: a groups folder, `<task>.jsonl`, one mined query a line:
//   {"id", "split", "positives": [{"id", "score"}], "negatives": [{"id", "score", "rank"}], "weights"?}
// which is the positive/negative example a training stage cycles through (`weights` for soft labels).

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../data/errors.js';
import { readJsonLines } from '../data/jsonl.js';
import type { Candidate, MinedNegative } from './types.js';

export interface ScoredLine {
  task: string;
  id: string;
  split: string;
  candidates: Candidate[];
  /** Where the line came from, for located errors later on. */
  file: string;
  line: number;
}

export interface ReadScoresOptions {
  /** Only lines of these splits (default: train). */
  splits?: readonly string[];
  /** Only these tasks (default: every file). */
  tasks?: readonly string[];
  /** Per task, the ids queries and candidates must be (its train pool); a task missing here is an error. */
  pools?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Every scored line of a scores folder, by task (file name order), lines in file order. */
export async function readScoresFolder(dir: string, o: ReadScoresOptions = {}): Promise<Map<string, ScoredLine[]>> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(dir, 0, 'scores folder not found');
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  if (files.length === 0) throw new DataError(dir, 0, 'no <task>.jsonl files: is this a scores or candidates folder (llm-score, reward-model, bm25 or retriever output)?');
  const splits = new Set(o.splits ?? ['train']);
  const out = new Map<string, ScoredLine[]>();
  const present = files.map((f) => f.slice(0, -'.jsonl'.length));
  for (const wanted of o.tasks ?? []) {
    if (!present.includes(wanted)) throw new DataError(dir, 0, `no scores for task ${wanted} (has ${present.join(', ')})`);
  }
  for (const task of present) {
    if (o.tasks && !o.tasks.includes(task)) continue;
    const file = join(dir, `${task}.jsonl`);
    const pool = o.pools?.get(task);
    if (o.pools && !pool) throw new DataError(file, 0, `task ${task} is not in the tasks input`);
    const lines: ScoredLine[] = [];
    const seen = new Map<string, number>();
    for await (const { value, line } of readJsonLines(file)) {
      const v = value as { id?: unknown; split?: unknown; candidates?: unknown };
      if (typeof v !== 'object' || v === null || typeof v.id !== 'string' || !Array.isArray(v.candidates)) {
        throw new DataError(file, line, 'expected {"id": string, "split": string, "candidates": [{"id": string, "score": number}, …]}');
      }
      const split = typeof v.split === 'string' ? v.split : 'train';
      if (!splits.has(split)) continue;
      if (seen.has(v.id)) throw new DataError(file, line, `query "${v.id}" repeats the one on line ${seen.get(v.id)}`);
      seen.set(v.id, line);
      if (pool && split === 'train' && !pool.has(v.id)) throw new DataError(file, line, `query "${v.id}" is not a train row of task ${task}`);
      const candidates = v.candidates.map((c: unknown, j: number): Candidate => {
        const cc = c as { id?: unknown; score?: unknown };
        if (typeof cc !== 'object' || cc === null || typeof cc.id !== 'string') throw new DataError(file, line, `candidate ${j} must be {"id": string, "score": number}`);
        if (cc.score !== undefined && (typeof cc.score !== 'number' || !Number.isFinite(cc.score))) throw new DataError(file, line, `candidate ${j} (${cc.id}) has score ${JSON.stringify(cc.score)}, expected a finite number`);
        if (pool && !pool.has(cc.id)) throw new DataError(file, line, `candidate "${cc.id}" is not a train row of task ${task}`);
        return cc.score === undefined ? { id: cc.id } : { id: cc.id, score: cc.score };
      });
      lines.push({ task, id: v.id, split, candidates, file, line });
    }
    out.set(task, lines);
  }
  return out;
}

/** One line of a groups file. */
export interface GroupLine {
  id: string;
  split: string;
  positives: Candidate[];
  negatives: MinedNegative[];
  weights?: number[];
}

export function groupLine(g: GroupLine): string {
  const round = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1e6) / 1e6);
  return JSON.stringify({
    id: g.id,
    split: g.split,
    positives: g.positives.map((p) => ({ id: p.id, score: round(p.score) })),
    negatives: g.negatives.map((n) => ({ id: n.id, score: round(n.score), rank: n.rank })),
    ...(g.weights ? { weights: g.weights.map((w) => round(w)) } : {}),
  });
}
