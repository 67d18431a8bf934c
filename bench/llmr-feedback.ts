// Diagnostic: is the LM's feedback informative at this scale? On the built-in suite, for every
// test row, the LM scores a sample of the row's BM25 candidates exactly as llm-score scores train
// queries (mean log-prob of the gold y after `x_i\ny_i\n\nx\n`, −100 for a different label). Then
// icl-eval runs with demonstrations chosen several ways from the same sampled candidates:
//   - bm25            BM25's top k among the sampled candidates (the peer);
//   - lm-oracle       the LM's top k (penalties included): what a perfect reward model and a
//                     perfect retriever could hand the evaluation;
//   - lm-raw          the LM's top k by the raw mean log-prob, no label penalty;
//   - label-oracle    BM25's top k among the same-label candidates only (classification), so
//                     the LM's share of the oracle's gain can be told from the label's;
//   - lm-worst        the LM's bottom k: how far apart the ends of the LM's order are.
// It also prints, over train queries, how the LM order relates to BM25's order and to length.
//
//   npx vite-node bench/llmr-feedback.ts [--sample 32] [--k 8] [--test 50] [--train-queries 20]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import bm25Plugin from '../plugins/bm25/index.js';
import ngramPlugin from '../plugins/ngram-lm/index.js';
import { readCandidates, type DemoSelector } from '../plugins/icl-eval/demos.js';
import { evaluateTask } from '../plugins/icl-eval/evaluate.js';
import { categoryScores } from '../plugins/icl-eval/index.js';
import { listTaskFolders, loadTaskFolder, type LoadedTask } from '../src/lib/data/task-folder.js';
import type { TaskRow } from '../src/lib/data/task.js';
import { penaltyFor, sampleCandidateIds, scoringRequest, teacherScore } from '../src/lib/llmr/scoring.js';
import { openLanguageModel } from '../src/lib/ml/lm/load.js';
import type { LanguageModel } from '../src/lib/ml/lm/types.js';
import { renderDemonstration } from '../src/lib/tasks/registry.js';
import { taskSpecFor } from '../src/lib/tasks/registry.js';
import { materializeTasks } from '../src/lib/tasks/materialize.js';
import { runPlugin } from '../test/plugins/ctx.js';
import { splitRows } from './task-rows.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const sample = Number(arg('sample', '32'));
const k = Number(arg('k', '8'));
const testSize = Number(arg('test', '50'));
const trainQueries = Number(arg('train-queries', '20'));

interface Scored { row: TaskRow; lm: number; raw: number; bm25Rank: number; sameLabel: boolean }

/** The sampled candidates of one query, scored by the LM with the gold answer. */
async function scoreSample(lm: LanguageModel, t: LoadedTask, query: TaskRow, ranked: string[], byId: Map<string, TaskRow>): Promise<Scored[]> {
  const ids = sampleCandidateIds(t.meta.name, query.id, ranked.map((id) => ({ id, score: 0 })), { searchTopk: 100, scoreTopk: sample, seed: 1 })
    .filter((id) => id !== query.id);
  const q = { meta: t.meta, row: query };
  const cands = ids.map((id) => ({ meta: t.meta, row: byId.get(id)! }));
  const scores = await lm.scoreContinuations(cands.map((c) => scoringRequest(q, c)));
  return cands.map((c, i) => {
    const penalty = penaltyFor(q, c);
    const { meanLogProb } = scores[i]!; // one score per request
    return {
      row: c.row,
      lm: teacherScore(meanLogProb, penalty),
      raw: meanLogProb,
      bm25Rank: ranked.indexOf(c.row.id),
      sameLabel: penalty === 0,
    };
  });
}

function spearman(a: number[], b: number[]): number {
  const rank = (xs: number[]) => {
    const order = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(xs.length);
    order.forEach(([, i], j) => (r[i] = j));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  const mean = (n - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i]! - mean; // both rankings have n entries
    const y = rb[i]! - mean;
    num += x * y;
    da += x ** 2;
    db += y ** 2;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length);

const root = await mkdtemp(join(tmpdir(), 'retort-bench-llmr-feedback-'));
try {
  const began = performance.now();
  const tasksDir = join(root, 'tasks');
  await materializeTasks(tasksDir, { source: { kind: 'builtin', trainSize: 200, testSize }, seed: 1 });
  const lmDir = join((await runPlugin(ngramPlugin, join(root, 'lm'), { order: 4, lambda: 0.3 }, { tasks: tasksDir })).outDir, 'model');
  const candDir = join((await runPlugin(bm25Plugin, join(root, 'bm25'), { topK: 100 }, { tasks: tasksDir })).outDir, 'candidates');
  const lm = await openLanguageModel(lmDir);

  const methods = ['bm25', 'lm-oracle', 'lm-raw', 'label-oracle', 'lm-worst'] as const;
  const results = new Map<string, Awaited<ReturnType<typeof evaluateTask>>[]>(methods.map((m) => [m, []]));
  const stats = { spearmanSameLabel: [] as number[], top1Agree: [] as number[], lengthCorr: [] as number[], gap: [] as number[], spread: [] as number[] };

  for (const dir of await listTaskFolders(tasksDir)) {
    const t = await loadTaskFolder(dir);
    const pool = splitRows(t, 'train');
    const test = splitRows(t, 'test');
    const byId = new Map(pool.map((r) => [r.id, r]));
    const cands = (await readCandidates(candDir, t.meta.name))!;
    const spec = taskSpecFor(t.meta);

    // Train queries: the LM order against BM25's order and against the candidate's length.
    for (const query of pool.slice(0, trainQueries)) {
      const s = (await scoreSample(lm, t, query, cands.get(query.id)!, byId)).filter((c) => c.sameLabel);
      if (s.length < 4) continue;
      stats.spearmanSameLabel.push(spearman(s.map((c) => c.lm), s.map((c) => -c.bm25Rank)));
      stats.lengthCorr.push(spearman(s.map((c) => c.lm), s.map((c) => -renderDemonstration(spec, c.row).length)));
      const byLm = [...s].sort((a, b) => b.lm - a.lm);
      const byBm25 = [...s].sort((a, b) => a.bm25Rank - b.bm25Rank);
      // Both orders hold the same (at least 4) candidates.
      const best = byLm[0]!;
      stats.top1Agree.push(best.row.id === byBm25[0]!.row.id ? 1 : 0);
      stats.gap.push(best.lm - byLm[Math.min(3, byLm.length - 1)]!.lm);
      stats.spread.push(best.lm - byLm[byLm.length - 1]!.lm);
    }

    // Test rows: demonstrations picked from the same sampled candidates, several ways.
    const picks = new Map<string, Map<string, TaskRow[]>>(methods.map((m) => [m, new Map()]));
    for (const row of test) {
      const s = await scoreSample(lm, t, row, cands.get(row.id)!, byId);
      const top = (xs: Scored[]) => xs.slice(0, k).map((c) => c.row).reverse(); // most relevant last
      picks.get('bm25')!.set(row.id, top([...s].sort((a, b) => a.bm25Rank - b.bm25Rank)));
      picks.get('lm-oracle')!.set(row.id, top([...s].sort((a, b) => b.lm - a.lm)));
      picks.get('lm-raw')!.set(row.id, top([...s].sort((a, b) => b.raw - a.raw)));
      picks.get('label-oracle')!.set(row.id, top([...s].sort((a, b) => Number(b.sameLabel) - Number(a.sameLabel) || a.bm25Rank - b.bm25Rank)));
      picks.get('lm-worst')!.set(row.id, top([...s].sort((a, b) => a.lm - b.lm)));
    }
    for (const m of methods) {
      const chosen = picks.get(m)!;
      const select: DemoSelector = (row) => chosen.get(row.id)!;
      results.get(m)!.push(await evaluateTask(lm, t.meta, test, select, { maxNewTokens: 64, parallel: 16, savePrompts: false }));
    }
  }

  console.log(`built-in suite, ${testSize} test rows per task; ${sample} of the BM25 top-100 sampled per query; k = ${k}; ${lm.id}`);
  const first = categoryScores(results.get('bm25')!);
  const cats = Object.keys(first.categories);
  console.log(`| demonstrations | ${cats.join(' | ')} | average |`);
  console.log(`|---|${cats.map(() => '---').join('|')}|---|`);
  for (const m of methods) {
    const s = categoryScores(results.get(m)!);
    console.log(`| ${m} | ${cats.map((c) => (s.categories[c] ?? NaN).toFixed(1)).join(' | ')} | ${s.average.toFixed(1)} |`);
  }
  console.log('');
  console.log(`train queries (${stats.spearmanSameLabel.length}, same-label candidates only):`);
  console.log(`  Spearman(LM score, BM25 order)      ${mean(stats.spearmanSameLabel).toFixed(3)}`);
  console.log(`  Spearman(LM score, shorter first)   ${mean(stats.lengthCorr).toFixed(3)}`);
  console.log(`  LM top-1 = BM25 top-1               ${(100 * mean(stats.top1Agree)).toFixed(1)} %`);
  console.log(`  LM score: best − 4th best           ${mean(stats.gap).toFixed(4)} nats/token`);
  console.log(`  LM score: best − worst              ${mean(stats.spread).toFixed(4)} nats/token`);
  console.log(`(${((performance.now() - began) / 1000).toFixed(0)} s; shared 2-core machine)`);
  await lm.close?.();
} finally {
  await rm(root, { recursive: true, force: true });
}
