// LLM scoring of in-context example candidates (LLM-R, methods.md §1.2).
//
// For a train query (x, y) and a candidate demonstration (x_i, y_i) the teacher score is
//   s = (1/|y|) Σ_t log p(y_t | x_i "\n" y_i "\n\n" x "\n", y_<t)
// plus −100 when the candidate comes from another task or, for classification tasks, when its
// label differs from the query's gold label. Which candidates get scored: the query's top
// `searchTopk` are shuffled with a seed and the first `scoreTopk` kept (the released script's
// random 32 of the top 100). This module holds the pieces the llm-score plugin strings together;
// it knows nothing of the engine beyond located errors.

import { readFile } from 'node:fs/promises';
import { DataError } from '../data/errors.js';
import type { TaskMeta, TaskRow } from '../data/task.js';
import type { LanguageModel, ScoreRequest } from '../ml/lm/types.js';
import { Rng, deriveSeed } from '../nn/train/rng.js';
import { answerText, renderDemonstration, renderQuery, taskSpecFor } from '../tasks/registry.js';
import { PENALTY_SCORE, hashString, type ScoredCandidate } from './groups.js';

/** One line of a candidates or scores file (`<task>.jsonl`). */
export interface CandidateLine {
  id: string;
  split: string;
  candidates: ScoredCandidate[];
}

/** A task's rows as the scorer needs them: the spec-bearing metadata and the train pool by id. */
export interface PoolTask {
  meta: TaskMeta;
  pool: ReadonlyMap<string, TaskRow>;
}

/** A candidate resolved to its row and the task it came from. */
export interface ResolvedCandidate {
  id: string;
  task: PoolTask;
  row: TaskRow;
}

// ---------------------------------------------------------------------------------------------
// Reading candidates

/** A parsed line and where it was read (1-based), for errors about its content. */
export interface LocatedCandidateLine extends CandidateLine {
  line: number;
}

/** Parses a candidates file; every malformed line is reported as `file:line: …`. */
export async function readCandidateLines(file: string): Promise<LocatedCandidateLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(file, 0, 'file not found');
    throw e;
  }
  return parseCandidateLines(text, file);
}

export function parseCandidateLines(text: string, file: string): LocatedCandidateLine[] {
  const lines: LocatedCandidateLine[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const lineNo = i + 1;
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new DataError(file, lineNo, `invalid JSON: ${(e as Error).message}`);
    }
    const shape = 'expected {"id": string, "split": string, "candidates": [{"id": string, "score": number}, …]}';
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError(file, lineNo, shape);
    const o = v as Record<string, unknown>;
    if (typeof o.id !== 'string' || typeof o.split !== 'string' || !Array.isArray(o.candidates)) throw new DataError(file, lineNo, shape);
    const candidates = o.candidates.map((c, j) => {
      const cc = c as Record<string, unknown> | null;
      if (typeof cc !== 'object' || cc === null || typeof cc.id !== 'string' || typeof cc.score !== 'number') {
        throw new DataError(file, lineNo, `candidate ${j}: ${shape}`);
      }
      return { id: cc.id, score: cc.score };
    });
    const key = `${o.split}\u0000${o.id}`;
    const first = seen.get(key);
    if (first !== undefined) throw new DataError(file, lineNo, `duplicate query "${o.id}" (first on line ${first})`);
    seen.set(key, lineNo);
    lines.push({ id: o.id, split: o.split, candidates, line: lineNo });
  });
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Which queries and which candidates

/** The released script's random sample: shuffle the top `searchTopk` with the seed, keep `scoreTopk`. */
export function sampleCandidateIds(
  task: string,
  queryId: string,
  candidates: readonly ScoredCandidate[],
  opts: { searchTopk: number; scoreTopk: number; seed: number },
): string[] {
  const top = candidates.slice(0, opts.searchTopk).map((c) => c.id);
  new Rng(deriveSeed(opts.seed, hashString(task), hashString(queryId))).shuffle(top);
  return top.slice(0, opts.scoreTopk);
}

/**
 * At most `cap` indices of [0, n) per task, a seeded random subset kept in file order.
 * With no cap every query is kept. The cap is the same for every task, so the tasks stay balanced.
 */
export function capQueries(task: string, n: number, cap: number | undefined, seed: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (cap === undefined || cap >= n) return all;
  new Rng(deriveSeed(seed, hashString(task), 0x71)).shuffle(all);
  return all.slice(0, cap).sort((a, b) => a - b);
}

/**
 * The largest per-task cap c with Σ_t min(n_t, c) ≤ total (`_select_indices` of the released
 * code, by binary search): small tasks keep everything, large ones are cut to the same size.
 */
export function balancedCap(sizes: readonly number[], total: number): number {
  let lo = 0;
  let hi = Math.max(0, ...sizes);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sizes.reduce((s, n) => s + Math.min(n, mid), 0) <= total) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The candidate's row: from the query's own pool, else from exactly one other task's pool (then
 * it gets the other-task penalty). An id found nowhere, or in several other pools, is an error.
 */
export function resolveCandidate(
  id: string,
  own: PoolTask,
  others: readonly PoolTask[],
  where: { file: string; line: number; query: string },
): ResolvedCandidate {
  const mine = own.pool.get(id);
  if (mine) return { id, task: own, row: mine };
  const found = others.filter((t) => t.pool.has(id));
  const [task, ...more] = found;
  if (task !== undefined && more.length === 0) return { id, task, row: task.pool.get(id) as TaskRow };
  if (found.length === 0) {
    throw new DataError(where.file, where.line, `query "${where.query}": candidate "${id}" is not in the train pool of "${own.meta.name}"`);
  }
  throw new DataError(where.file, where.line, `query "${where.query}": candidate "${id}" is not in "${own.meta.name}"'s pool and is ambiguous among ${found.map((t) => t.meta.name).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// The prompt and the penalties

/**
 * The LM request of one (query, candidate) pair, exactly as methods.md §1.2 lays it out:
 * context = x_i "\n" y_i "\n\n" x "\n", continuation = y. Each side is rendered with its own
 * task's template and verbalizer.
 */
export function scoringRequest(query: { meta: TaskMeta; row: TaskRow }, candidate: { meta: TaskMeta; row: TaskRow }): ScoreRequest {
  const qSpec = taskSpecFor(query.meta);
  const contents = renderDemonstration(taskSpecFor(candidate.meta), candidate.row);
  return { context: `${contents}\n\n${renderQuery(qSpec, query.row)}\n`, continuation: answerText(qSpec, query.row) };
}

/**
 * −100 for another task's candidate; for a classification query, −100 for a candidate of its own
 * task whose shown label differs from the gold label. As in the released `gen_llm_scores.py`, the
 * label is compared only within the task (another task's candidate is penalised once), trimmed.
 */
export function penaltyFor(query: { meta: TaskMeta; row: TaskRow }, candidate: { meta: TaskMeta; row: TaskRow }): number {
  if (candidate.meta.name !== query.meta.name) return PENALTY_SCORE;
  if (query.meta.type !== 'classification') return 0;
  const spec = taskSpecFor(query.meta);
  return answerText(spec, candidate.row).trim() === answerText(spec, query.row).trim() ? 0 : PENALTY_SCORE;
}

/**
 * The teacher score from the LM's mean log-prob. An empty answer has no tokens (mean −∞, which
 * JSON cannot hold); it scores PENALTY_SCORE so the example is filtered out downstream.
 */
export function teacherScore(meanLogProb: number, penalty: number): number {
  return (Number.isFinite(meanLogProb) ? meanLogProb : PENALTY_SCORE) + penalty;
}

// ---------------------------------------------------------------------------------------------
// Scoring queries in batches

export interface QueryToScore {
  id: string;
  meta: TaskMeta;
  row: TaskRow;
  candidates: ResolvedCandidate[];
}

export interface ScoreBatchOptions {
  /** Requests per `scoreContinuations` call. */
  batchSize: number;
  signal?: AbortSignal;
  /** Called after every LM call with the number of requests it scored. */
  onBatch?: (requests: number) => void;
}

/** Scores every candidate of every query, `batchSize` requests per LM call; lines sorted best first. */
export async function scoreQueries(lm: LanguageModel, queries: readonly QueryToScore[], opts: ScoreBatchOptions): Promise<CandidateLine[]> {
  const requests: ScoreRequest[] = [];
  const penalties: number[] = [];
  for (const q of queries) {
    for (const c of q.candidates) {
      const cand = { meta: c.task.meta, row: c.row };
      requests.push(scoringRequest(q, cand));
      penalties.push(penaltyFor(q, cand));
    }
  }
  const means: number[] = [];
  for (let start = 0; start < requests.length; start += opts.batchSize) {
    opts.signal?.throwIfAborted();
    const batch = requests.slice(start, start + opts.batchSize);
    const scored = await lm.scoreContinuations(batch);
    for (const s of scored) means.push(s.meanLogProb);
    opts.onBatch?.(batch.length);
  }
  let k = 0;
  return queries.map((q) => {
    // One mean and one penalty per request, in request order.
    const candidates = q.candidates.map((c) => ({ id: c.id, score: teacherScore(means[k]!, penalties[k++]!) }));
    return { id: q.id, split: 'train', candidates: sortByScore(candidates) };
  });
}

/** Descending by score; ties keep their order (the sampled order). */
export function sortByScore(candidates: ScoredCandidate[]): ScoredCandidate[] {
  return candidates.map((c, i) => ({ c, i })).sort((a, b) => b.c.score - a.c.score || a.i - b.i).map(({ c }) => c);
}
