// Reading teacher scores: `<task>.jsonl` per task, one train query a line,
// {"id", "split", "candidates": [{"id", "score"}, …]} (the llm-score and reward-model outputs).
// Every problem is reported with its file and line.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../src/lib/data/errors.js';
import type { ScoredQuery } from '../../src/lib/llmr/groups.js';

/** A scored train query of one task, from one scores folder. */
export interface TeacherQuery extends ScoredQuery {
  task: string;
  /** Which scores folder (0-based, in input order) it came from. */
  source: number;
}

/**
 * Reads every `<task>.jsonl` of the scores folders whose task is in `pools` (task → the ids of its
 * train pool). Query and candidate ids must be rows of that pool; tasks the folders score but the
 * tasks input lacks are returned in `unknownTasks`.
 */
export function readTeacherScores(
  dirs: readonly string[],
  pools: ReadonlyMap<string, ReadonlySet<string>>,
): { queries: TeacherQuery[]; unknownTasks: string[] } {
  const queries: TeacherQuery[] = [];
  const unknown = new Set<string>();
  dirs.forEach((dir, source) => {
    if (!existsSync(dir)) throw new DataError(dir, 0, 'scores folder not found');
    const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
    if (files.length === 0) throw new DataError(dir, 0, 'no <task>.jsonl files: is this a scores folder (the llm-score or reward-model output)?');
    for (const file of files) {
      const task = file.slice(0, -'.jsonl'.length);
      const pool = pools.get(task);
      if (!pool) {
        unknown.add(task);
        continue;
      }
      queries.push(...parseScoresFile(join(dir, file), task, source, pool));
    }
  });
  return { queries, unknownTasks: [...unknown].sort() };
}

function parseScoresFile(file: string, task: string, source: number, pool: ReadonlySet<string>): TeacherQuery[] {
  const out: TeacherQuery[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    const line = i + 1;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new DataError(file, line, `not valid JSON (${(e as Error).message})`);
    }
    const o = v as { id?: unknown; candidates?: unknown };
    if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || !Array.isArray(o.candidates)) {
      throw new DataError(file, line, 'expected {"id": string, "split": "train", "candidates": [{"id": string, "score": number}, …]}');
    }
    if (!pool.has(o.id)) throw new DataError(file, line, `query "${o.id}" is not a train row of task ${task}`);
    const candidates = o.candidates.map((c: unknown, j: number) => {
      const cc = c as { id?: unknown; score?: unknown };
      if (typeof cc !== 'object' || cc === null || typeof cc.id !== 'string' || typeof cc.score !== 'number' || !Number.isFinite(cc.score)) {
        throw new DataError(file, line, `candidate ${j} must be {"id": string, "score": finite number}`);
      }
      if (!pool.has(cc.id)) throw new DataError(file, line, `candidate "${cc.id}" is not a train row of task ${task}`);
      return { id: cc.id, score: cc.score };
    });
    out.push({ task, source, id: o.id, candidates });
  });
  return out;
}
