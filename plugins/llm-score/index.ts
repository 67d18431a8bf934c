// The `llm-score` stage: LLM-R's teacher signal (methods.md §1.2). For every train query, a seeded
// sample of its candidates is scored by the LM's mean token log-probability of the gold output
// given the candidate demonstration and the query, plus the −100 penalties; the scores are
// written in the candidates layout, best first. Work is saved chunk by chunk in the scratch
// directory, so a killed node resumes where it stopped.

import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure } from '../../src/plugin/api.js';
import { DataError } from '../../src/lib/data/errors.js';
import { listTaskFolders, loadTaskFolder, readTaskMeta, splitFile } from '../../src/lib/data/task-folder.js';
import { HELD_OUT_TASKS_SCHEMA, heldOutTaskNames } from '../../src/lib/tasks/held-out.js';
import { isValidExample } from '../../src/lib/llmr/groups.js';
import {
  balancedCap, capQueries, readCandidateLines, resolveCandidate, sampleCandidateIds, scoreQueries,
  type CandidateLine, type PoolTask, type QueryToScore,
} from '../../src/lib/llmr/scoring.js';
import { openLanguageModel } from '../../src/lib/ml/lm/load.js';
import { loadChunk, saveChunk, type ChunkPlan } from './chunks.js';

export interface TaskWork {
  task: PoolTask;
  queries: QueryToScore[];
}

/** The params run receives (defaults applied), read from the schema below. */
export type LlmScoreParams = PluginParams<typeof self>;

export default definePlugin({
  id: 'llm-score',
  version: '1.0.0',
  description: 'LLM-R candidate scoring: mean log-prob of the gold output given each sampled candidate demonstration, with the −100 penalties.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      searchTopk: { type: 'integer', minimum: 1, default: 100, description: 'Candidates of each query the sample is drawn from (the top ones; LLM-R: 100).' },
      scoreTopk: { type: 'integer', minimum: 1, default: 32, description: 'Candidates scored per query, a seeded random sample of the top searchTopk (LLM-R: 32).' },
      seed: { type: 'integer', default: 1, description: 'Seed of the candidate sample and of the query caps.' },
      maxQueriesPerTask: { type: 'integer', minimum: 1, description: 'Score at most this many train queries of each task (a seeded random subset).' },
      maxQueries: { type: 'integer', minimum: 1, description: 'Score at most this many train queries in all, the same cap for every task (LLM-R\'s max_train_samples, balanced by binary search).' },
      batchSize: { type: 'integer', minimum: 1, default: 64, description: 'Requests per LM call.' },
      chunkQueries: { type: 'integer', minimum: 1, default: 64, description: 'Queries per checkpointed chunk (a killed run redoes at most one chunk).' },
      heldOutTasks: {
        ...HELD_OUT_TASKS_SCHEMA,
        description: "Tasks kept out of training, evaluated only: they are not scored, so neither the reward model nor the retriever learns from them (their rows stay in the candidate pools). 'llm-r' is the paper's list (QNLI, PIQA, WSC273, Yelp, and the built-in tasks that stand in for them); the default [] holds out nothing.",
      },
    },
  },
  inputs: {
    tasks: { description: 'A directory of task folders (the tasks plugin\'s output).' },
    lm: { description: 'A language model: the ngram-lm plugin\'s model port, or a directory/file with lm.json.' },
    candidates: { description: 'Candidates per query (the bm25 plugin\'s output, or a retriever\'s).' },
  },
  outputs: {
    scores: { description: '<task>.jsonl of scored train queries {id, split, candidates: [{id, score}]} best first, plus index.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    if (p.scoreTopk > p.searchTopk) throw new NodeFailure(`scoreTopk (${p.scoreTopk}) cannot exceed searchTopk (${p.searchTopk})`);
    // Validate everything before the first LM call: bad input fails fast and costs no scoring.
    const work = await planWork(ctx.inputs.tasks, ctx.inputs.candidates, p, { warn: (m) => ctx.log.warn(m), info: (m) => ctx.log.info(m) });
    const totalQueries = work.reduce((n, w) => n + w.queries.length, 0);
    if (totalQueries === 0) throw new NodeFailure(`no train queries to score: no task in ${ctx.inputs.tasks} has both a train pool and train candidates`);

    const lm = await openLanguageModel(ctx.inputs.lm, { env: process.env });
    const out = ctx.output('scores');
    let doneQueries = 0;
    let resumedQueries = 0;
    let scoredCandidates = 0;
    let scoringMs = 0;
    let dropped = 0; // queries the validity filter of the training stages will drop
    const index: { task: string; file: string; queries: number; pool: number }[] = [];
    try {
      ctx.progress(0, totalQueries);
      for (const { task, queries } of work) {
        const name = task.meta.name;
        const lines: CandidateLine[] = [];
        for (let start = 0, c = 0; start < queries.length; start += p.chunkQueries, c++) {
          const chunk = queries.slice(start, start + p.chunkQueries);
          const plan: ChunkPlan = { task: name, index: c, queries: chunk.map((q) => ({ id: q.id, candidateIds: q.candidates.map((x) => x.id) })) };
          let scored = await loadChunk(ctx.scratch, plan);
          if (scored) {
            resumedQueries += chunk.length;
          } else {
            const t0 = performance.now();
            scored = await scoreQueries(lm, chunk, { batchSize: p.batchSize, signal: ctx.signal, onBatch: (n) => void (scoredCandidates += n) });
            scoringMs += performance.now() - t0;
            await saveChunk(ctx.scratch, plan, scored);
          }
          lines.push(...scored);
          ctx.progress((doneQueries += chunk.length), totalQueries);
        }
        dropped += lines.filter((l) => !isValidExample(l)).length;
        const file = `${name}.jsonl`;
        await writeLines(join(out, file), lines);
        index.push({ task: name, file, queries: lines.length, pool: task.pool.size });
        ctx.log.info(`${name}: ${lines.length} queries scored`);
      }
    } finally {
      await lm.close?.();
    }
    await writeFile(join(out, 'index.json'), JSON.stringify({
      scorer: 'llm-score', lm: lm.id, searchTopk: p.searchTopk, scoreTopk: p.scoreTopk, seed: p.seed, tasks: index,
    }, null, 2) + '\n');
    if (resumedQueries > 0) ctx.log.info(`resumed: ${resumedQueries} of ${totalQueries} queries were already scored`);
    ctx.metric('llm-score/queries', doneQueries);
    ctx.metric('llm-score/resumed_queries', resumedQueries);
    ctx.metric('llm-score/candidates', scoredCandidates);
    ctx.metric('llm-score/candidates_per_second', scoringMs > 0 ? scoredCandidates / (scoringMs / 1000) : 0);
    ctx.metric('llm-score/dropped_share', dropped / doneQueries);
  },
});

/** Reads the pools and the candidates, applies the caps and the sample, resolves every candidate. */
export async function planWork(
  tasksDir: string,
  candidatesDir: string,
  p: LlmScoreParams,
  log: { warn(m: string): void; info(m: string): void },
): Promise<TaskWork[]> {
  const pools: { dir: string; task: PoolTask }[] = [];
  for (const dir of await listTaskFolders(tasksDir)) {
    const meta = await readTaskMeta(dir);
    const pool = 'train' in meta.splits ? (await loadTaskFolder(dir, { splits: ['train'] })).splits.train ?? [] : [];
    pools.push({ dir, task: { meta, pool: new Map(pool.map((r) => [r.id, r])) } });
  }
  const heldOut = heldOutTaskNames(pools.map((x) => x.task.meta), p.heldOutTasks);
  if (heldOut.length > 0) log.info(`held out of training (not scored): ${heldOut.join(', ')}`);
  const perTask: { dir: string; task: PoolTask; lines: Awaited<ReturnType<typeof readCandidateLines>>; file: string }[] = [];
  for (const { dir, task } of pools) {
    if (heldOut.includes(task.meta.name)) continue;
    const file = join(candidatesDir, `${task.meta.name}.jsonl`);
    let lines;
    try {
      lines = (await readCandidateLines(file)).filter((l) => l.split === 'train');
    } catch (e) {
      if (e instanceof DataError && e.line === 0 && /file not found/.test(e.detail)) {
        log.warn(`${task.meta.name}: no candidates file, not scored`);
        continue;
      }
      throw e;
    }
    if (lines.length === 0) continue;
    if (task.pool.size === 0) throw new DataError(splitFile(dir, 'train'), 0, `task "${task.meta.name}" has train candidates in ${file} but an empty train pool`);
    perTask.push({ dir, task, lines, file });
  }
  const sizes = perTask.map((t) => t.lines.length);
  const totalCap = p.maxQueries === undefined ? Infinity : balancedCap(sizes, p.maxQueries);
  const cap = Math.min(totalCap, p.maxQueriesPerTask ?? Infinity);
  const all = pools.map((x) => x.task);
  return perTask.map(({ task, lines, file }) => {
    const others = all.filter((t) => t !== task);
    const keep = capQueries(task.meta.name, lines.length, Number.isFinite(cap) ? cap : undefined, p.seed);
    const queries = keep.map((i) => {
      const line = lines[i]!; // capQueries keeps indices below lines.length
      const row = task.pool.get(line.id);
      if (!row) throw new DataError(file, line.line, `train query "${line.id}" is not a row of ${task.meta.name}'s train split`);
      const ids = sampleCandidateIds(task.meta.name, line.id, line.candidates, p);
      const candidates = ids.map((id) => resolveCandidate(id, task, others, { file, line: line.line, query: line.id }));
      return { id: line.id, meta: task.meta, row, candidates };
    });
    return { task, queries };
  });
}

async function writeLines(file: string, lines: CandidateLine[]): Promise<void> {
  const stream = createWriteStream(file);
  for (const line of lines) if (!stream.write(JSON.stringify(line) + '\n')) await once(stream, 'drain');
  stream.end();
  await once(stream, 'finish');
}

