// Joins the scores files with the task folders: for every scored train query, its text A and the
// contents of its candidates, and the valid ones as positive/negative examples (groups.ts).

import { DataError, listTaskFolders, loadTaskFolder } from '../../src/lib/data/task-folder.js';
import { rewardQueryText } from '../../src/lib/llmr/cross-encoder.js';
import {
  filterInvalidExamples, hashString, toPositiveNegative, type PositiveNegativeExample,
} from '../../src/lib/llmr/groups.js';
import { answerText, renderDemonstration, renderQuery, taskSpecFor } from '../../src/lib/tasks/registry.js';
import type { ScoreLine, ScoresFile } from './scores-file.js';

/** One task's train pool as the reward model sees it. */
export interface PoolTexts {
  task: string;
  /** Candidate contents (`x_i + "\n" + y_i`) by train row id. */
  contents: Map<string, string>;
  ids: string[];
}

export interface ScoredQuery {
  task: string;
  line: ScoreLine;
  /** Text A: x + "\n" + y (or x alone). */
  a: string;
  /** Contents of each candidate, aligned with line.candidates. */
  contents: string[];
}

export interface TrainingExample {
  query: ScoredQuery;
  example: PositiveNegativeExample;
}

export interface JoinedScores {
  pools: Map<string, PoolTexts>;
  /** Every train query of the scores files, in file order. */
  queries: ScoredQuery[];
  /** The queries that form groups. */
  examples: TrainingExample[];
  /** Queries with too few candidates or no positive above the −100 penalty, per task. */
  dropped: Record<string, number>;
  /** Lines of other splits, which the reward model neither trains on nor scores. */
  otherSplits: number;
}

export async function joinScores(
  tasksDir: string,
  files: readonly ScoresFile[],
  opts: { useLabel: boolean; topkAsPositive: number; bottomkAsNegative: number; seed: number },
): Promise<JoinedScores> {
  const byName = new Map<string, Awaited<ReturnType<typeof loadTaskFolder>>>();
  for (const dir of await listTaskFolders(tasksDir)) {
    const t = await loadTaskFolder(dir);
    byName.set(t.meta.name, t);
  }
  const pools = new Map<string, PoolTexts>();
  const queries: ScoredQuery[] = [];
  const examples: TrainingExample[] = [];
  const dropped: Record<string, number> = {};
  let otherSplits = 0;
  for (const [name, task] of byName) {
    const spec = taskSpecFor(task.meta);
    const train = task.splits.train ?? [];
    pools.set(name, { task: name, contents: new Map(train.map((r) => [r.id, renderDemonstration(spec, r)])), ids: train.map((r) => r.id) });
  }
  for (const f of files) {
    const task = byName.get(f.task);
    if (!task) throw new DataError(f.file, 0, `no task folder named "${f.task}" under ${tasksDir} (the scores and the tasks must come from the same suite)`);
    const spec = taskSpecFor(task.meta);
    const rows = new Map((task.splits.train ?? []).map((r) => [r.id, r]));
    const pool = pools.get(f.task)!;
    const taskQueries: ScoredQuery[] = [];
    for (const line of f.lines) {
      if (line.split !== 'train') {
        otherSplits++;
        continue;
      }
      const row = rows.get(line.id);
      if (!row) throw new DataError(f.file, line.line, `query "${line.id}" is not a train row of task ${f.task}`);
      const contents = line.candidates.map((c) => contentsOf(c.id, pool, pools, f.file, line));
      const q: ScoredQuery = { task: f.task, line, a: rewardQueryText(renderQuery(spec, row), answerText(spec, row), opts.useLabel), contents };
      queries.push(q);
      taskQueries.push(q);
    }
    const { kept, dropped: n } = filterInvalidExamples(taskQueries.map((q) => ({ id: q.line.id, candidates: q.line.candidates, q })), opts.topkAsPositive);
    dropped[f.task] = n;
    for (const k of kept) {
      examples.push({
        query: k.q,
        example: toPositiveNegative(k, { topkAsPositive: opts.topkAsPositive, bottomkAsNegative: opts.bottomkAsNegative, seed: opts.seed }),
      });
    }
  }
  return { pools, queries, examples, dropped, otherSplits };
}

/**
 * A candidate's contents: from the query's own pool, else from exactly one other task's pool (a
 * mixed pool, where the LM scorer gave it the other-task penalty).
 */
function contentsOf(id: string, own: PoolTexts, pools: Map<string, PoolTexts>, file: string, line: ScoreLine): string {
  const mine = own.contents.get(id);
  if (mine !== undefined) return mine;
  const found = [...pools.values()].filter((p) => p !== own && p.contents.has(id));
  const [only] = found;
  if (found.length === 1 && only) return only.contents.get(id)!;
  if (found.length === 0) throw new DataError(file, line.line, `query "${line.id}": candidate "${id}" is not in the train pool of task ${own.task}`);
  throw new DataError(file, line.line, `query "${line.id}": candidate "${id}" is not in ${own.task}'s pool and is ambiguous among ${found.map((p) => p.task).join(', ')}`);
}

/**
 * A seeded split of the examples into training and held-out queries. Each query's side depends on
 * (seed, task, id) alone, so adding a task does not reshuffle the others.
 */
export function splitHeldOut<T extends TrainingExample>(examples: readonly T[], fraction: number, seed: number): { train: T[]; heldOut: T[] } {
  const train: T[] = [];
  const heldOut: T[] = [];
  for (const e of examples) {
    const u = mix32(hashString(`${seed}\u0000${e.query.task}\u0000${e.query.line.id}`)) / 2 ** 32;
    (u < fraction ? heldOut : train).push(e);
  }
  return { train, heldOut };
}

/**
 * MurmurHash3's finaliser: FNV-1a alone barely moves its top bits when only the last characters
 * differ (ids like "task-train-17"), which skewed the split; this spreads every input bit.
 */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
