// Benchmark: LLM-R candidate scoring with the built-in n-gram LM on the built-in suite.
// Measures candidates scored per second three ways, in this process, on the same requests:
//   - the llm-score plugin end to end (planning, batched scoring, chunk files, output files);
//   - the library's batched scorer (`scoreQueries`, `batchSize` requests per call);
//   - the peer: a plain loop calling `scoreContinuations` with one request at a time.
// Checks that the batched scores equal the one-at-a-time scores.
//
//   npx vite-node bench/llm-score.ts [--per-task 20] [--train 200] [--batch 64]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import bm25Plugin from '../plugins/bm25/index.js';
import llmScorePlugin, { planWork, type LlmScoreParams } from '../plugins/llm-score/index.js';
import ngramPlugin from '../plugins/ngram-lm/index.js';
import { penaltyFor, scoreQueries, scoringRequest, teacherScore } from '../src/lib/llmr/scoring.js';
import { openLanguageModel } from '../src/lib/ml/lm/load.js';
import { materializeTasks } from '../src/lib/tasks/materialize.js';
import { runPlugin } from '../test/plugins/ctx.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const perTask = Number(arg('per-task', '20'));
const trainSize = Number(arg('train', '200'));
const batchSize = Number(arg('batch', '64'));

const root = await mkdtemp(join(tmpdir(), 'retort-bench-llm-score-'));
try {
  const tasks = join(root, 'tasks');
  await materializeTasks(tasks, { source: { kind: 'builtin', trainSize, testSize: 10 }, seed: 1 });
  const lmDir = join((await runPlugin(ngramPlugin, join(root, 'lm'), { order: 4, lambda: 0.3 }, { tasks })).outDir, 'model');
  const candidates = join((await runPlugin(bm25Plugin, join(root, 'bm25'), { topK: 100 }, { tasks })).outDir, 'candidates');
  const params: LlmScoreParams = { searchTopk: 100, scoreTopk: 32, seed: 1, maxQueriesPerTask: perTask, batchSize, chunkQueries: 64, heldOutTasks: [] };

  // The plugin end to end.
  const t0 = performance.now();
  const run = await runPlugin(llmScorePlugin, join(root, 'scores'), params, { tasks, lm: lmDir, candidates });
  const pluginSeconds = (performance.now() - t0) / 1000;
  const metric = (name: string): number => {
    const value = run.metrics[name];
    if (value === undefined) throw new Error(`the llm-score run reported no ${name} metric`);
    return value;
  };
  const n = metric('llm-score/candidates');

  // The same queries through the library's batched scorer and through the one-at-a-time loop.
  const work = await planWork(tasks, candidates, params, { warn: () => {}, info: () => {} });
  const queries = work.flatMap((w) => w.queries);
  const lm = await openLanguageModel(lmDir);
  const t1 = performance.now();
  const batched = await scoreQueries(lm, queries, { batchSize });
  const batchedSeconds = (performance.now() - t1) / 1000;

  const t2 = performance.now();
  const single = new Map<string, number>();
  for (const q of queries) {
    for (const c of q.candidates) {
      const cand = { meta: c.task.meta, row: c.row };
      const [s] = await lm.scoreContinuations([scoringRequest(q, cand)]);
      single.set(`${q.meta.name}\u0000${q.id}\u0000${c.id}`, teacherScore(s!.meanLogProb, penaltyFor(q, cand))); // one score per request
    }
  }
  const singleSeconds = (performance.now() - t2) / 1000;

  let maxDiff = 0;
  batched.forEach((line, i) => {
    const task = queries[i]!.meta.name; // one line per query
    for (const c of line.candidates) maxDiff = Math.max(maxDiff, Math.abs(c.score - (single.get(`${task}\u0000${line.id}\u0000${c.id}`) as number)));
  });

  const rate = (s: number) => `${Math.round(n / s).toLocaleString('en')} candidates/s`;
  console.log(`${work.length} tasks, ${queries.length} train queries, ${n} candidates (32 of the top-100 BM25 per query), ${lm.id}`);
  console.log('| measure | time | rate |');
  console.log('|---|---|---|');
  console.log(`| llm-score plugin end to end | ${pluginSeconds.toFixed(2)} s | ${rate(pluginSeconds)} |`);
  console.log(`| batched scoreQueries (batch ${batchSize}) | ${batchedSeconds.toFixed(2)} s | ${rate(batchedSeconds)} |`);
  console.log(`| peer: one request per scoreContinuations call | ${singleSeconds.toFixed(2)} s | ${rate(singleSeconds)} |`);
  console.log(`batched vs one at a time: ${(singleSeconds / batchedSeconds).toFixed(2)}×; max |score difference| ${maxDiff.toExponential(1)}`);
  console.log(`share of queries the validity filter drops: ${(metric('llm-score/dropped_share') * 100).toFixed(1)} %`);
} finally {
  await rm(root, { recursive: true, force: true });
}
