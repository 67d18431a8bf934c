// Benchmark: our BM25 (src/lib/ml/bm25.ts) against wink-bm25-text-search and okapibm25, in this
// process, on real task data read at bench time from /work/shared/data/tasks (not copied).
// Documents are rendered demonstrations ("query\nanswer") of train pools, queries are rendered
// test queries, as in the bm25 plugin. Checks that our top-k equals a straightforward
// computation of the formula over every document, and prints time ratios.
//
//   npx vite-node bench/bm25.ts [--tasks DIR] [--queries 1000] [--wink-queries 40] [--k 10]

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { listTaskFolders, loadTaskFolder } from '../src/lib/data/task-folder.js';
import { Bm25Index, bm25Tokens, BM25_DEFAULTS } from '../src/lib/ml/bm25.js';
import { renderDemonstration, renderQuery, taskSpecFor } from '../src/lib/tasks/registry.js';
import { splitRows } from './task-rows.js';

const require = createRequire(import.meta.url);
type Wink = {
  defineConfig(c: unknown): void;
  definePrepTasks(t: ((s: string) => string[])[]): void;
  addDoc(d: unknown, id: number): void;
  consolidate(fp?: number): void;
  search(q: string, limit: number): [string, number][];
};
const winkFactory = require('wink-bm25-text-search') as () => Wink;
const okapi = (require('okapibm25') as { default: (docs: string[], keywords: string[], c?: { k1: number; b: number }) => number[] }).default;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const tasksDir = arg('tasks', '/work/shared/data/tasks');
const nQueries = Number(arg('queries', '1000'));
const K = Number(arg('k', '10'));
const winkQueries = Number(arg('wink-queries', '40'));
const { k1, b } = BM25_DEFAULTS;

/** The formula applied to every document with plain maps: the correctness reference. */
class ReferenceBm25 {
  /** Per document: its term frequencies and its length in tokens. */
  private readonly docs: { tf: Map<string, number>; length: number }[];
  private readonly df = new Map<string, number>();
  private readonly avgdl: number;
  constructor(docs: string[][]) {
    this.docs = docs.map((d) => {
      const tf = new Map<string, number>();
      for (const t of d) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      return { tf, length: d.length };
    });
    this.avgdl = docs.reduce((n, d) => n + d.length, 0) / docs.length;
  }
  topK(query: string[], k: number): { doc: number; score: number }[] {
    const N = this.docs.length;
    const scored = this.docs.map(({ tf, length }, doc) => {
      let score = 0;
      for (const t of query) {
        const f = tf.get(t) ?? 0;
        if (f === 0) continue;
        const n = this.df.get(t) as number;
        const idf = Math.log(1 + (N - n + 0.5) / (n + 0.5));
        score += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * length) / this.avgdl));
      }
      return { doc, score };
    });
    return scored.filter((s) => s.score > 0).sort((x, y) => y.score - x.score || x.doc - y.doc).slice(0, k);
  }
}

function rate(n: number, ms: number): string {
  const r = n / (ms / 1000);
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : r >= 1e3 ? `${(r / 1e3).toFixed(1)} k/s` : `${r.toFixed(1)}/s`;
}

function overlap(a: number[], b: number[]): number {
  const s = new Set(b);
  return a.length === 0 ? 1 : a.filter((x) => s.has(x)).length / a.length;
}

async function main(): Promise<void> {
  const pools: { task: string; docs: string[]; queries: string[] }[] = [];
  for (const dir of await listTaskFolders(tasksDir)) {
    const task = await loadTaskFolder(dir, { splits: ['train', 'test'] });
    const spec = taskSpecFor(task.meta);
    const docs = splitRows(task, 'train').map((r) => renderDemonstration(spec, r));
    pools.push({ task: task.meta.name, docs, queries: splitRows(task, 'test').map((r) => renderQuery(spec, r)) });
  }
  const allDocs = pools.flatMap((p) => p.docs);
  const allQueries = pools.flatMap((p) => p.queries);
  const stride = Math.max(1, Math.floor(allQueries.length / nQueries));
  const queries = allQueries.filter((_, i) => i % stride === 0).slice(0, nQueries);

  // 1. Every train pool together, ours alone (wink needs seconds per query at this size).
  let t0 = performance.now();
  const docTokens = allDocs.map(bm25Tokens);
  const tokenizeMs = performance.now() - t0;
  t0 = performance.now();
  const full = Bm25Index.fromTokens(docTokens);
  const fullIndexMs = performance.now() - t0;
  t0 = performance.now();
  const fullHits = queries.map((q) => full.search(q, K));
  const fullQueryMs = performance.now() - t0;
  // Correctness: our top-k equals the straightforward computation (on a sample; it is slow).
  const ref = new ReferenceBm25(docTokens);
  const checkEvery = Math.max(1, Math.floor(queries.length / 25));
  let checked = 0;
  let mismatches = 0;
  for (let i = 0; i < queries.length; i += checkEvery) {
    const want = ref.topK(bm25Tokens(queries[i]!), K); // i < queries.length
    const got = fullHits[i]!; // one hit list per query
    checked++;
    const same = want.length === got.length && want.every((r, j) => {
      const hit = got[j];
      return hit !== undefined && r.doc === hit.doc && Math.abs(r.score - hit.score) < 1e-9;
    });
    if (!same) mismatches++;
  }
  console.log(`BM25 (k1=${k1}, b=${b}); ${pools.length} tasks; test queries, top-${K}`);
  console.log(`all train pools: ${allDocs.length} docs, ${full.vocabularySize} terms`);
  console.log(`  ours: tokenize ${(tokenizeMs / 1000).toFixed(2)} s, index ${(fullIndexMs / 1000).toFixed(2)} s (${rate(allDocs.length, tokenizeMs + fullIndexMs)} docs incl. tokenizing), query ${rate(queries.length, fullQueryMs)}`);
  console.log(`  top-${K} equals the reference computation on ${checked - mismatches}/${checked} sampled queries`);

  // 2. A fifth of the pools: ours vs wink-bm25-text-search on the same docs, tokens and queries.
  const subDocs = allDocs.filter((_, i) => i % 5 === 0);
  const subQueries = queries.slice(0, winkQueries);
  t0 = performance.now();
  const ours = Bm25Index.build(subDocs);
  const oursIndexMs = performance.now() - t0;
  t0 = performance.now();
  const oursHits = subQueries.map((q) => ours.search(q, K));
  const oursQueryMs = performance.now() - t0;
  t0 = performance.now();
  const wink = winkFactory();
  wink.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1, b, k: 1 } });
  wink.definePrepTasks([bm25Tokens]);
  subDocs.forEach((d, i) => wink.addDoc({ body: d }, i));
  wink.consolidate(9);
  const winkIndexMs = performance.now() - t0;
  t0 = performance.now();
  const winkHits = subQueries.map((q) => wink.search(q, K));
  const winkQueryMs = performance.now() - t0;
  // One hit list per query on both sides.
  const winkAgree = oursHits.reduce((s, hits, i) => s + overlap(hits.map((h) => h.doc), winkHits[i]!.map(([id]) => Number(id))), 0) / subQueries.length;
  console.log(`a fifth of the pools: ${subDocs.length} docs, ${subQueries.length} queries (tokenizing included on both sides)`);
  console.log(`  index: ours ${rate(subDocs.length, oursIndexMs)} docs, wink ${rate(subDocs.length, winkIndexMs)} docs; ratio ${(winkIndexMs / oursIndexMs).toFixed(1)}x`);
  console.log(`  query: ours ${rate(subQueries.length, oursQueryMs)}, wink ${rate(subQueries.length, winkQueryMs)}; ratio ${(winkQueryMs / oursQueryMs).toFixed(0)}x`);
  console.log(`  mean overlap with wink's top-${K}: ${(winkAgree * 100).toFixed(1)}% (wink rounds weights to 9 decimals, so near-ties may order differently)`);

  // 2. One task's pool (okapibm25 has no index and rescans every document per query).
  const pool = pools.filter((p) => p.docs.length >= 1000 && p.docs.length <= 5000).sort((x, y) => x.docs.length - y.docs.length)[0] ?? pools[0];
  if (pool === undefined) throw new Error(`no task folders under ${tasksDir}`);
  const pq = pool.queries.slice(0, 50);
  t0 = performance.now();
  const small = Bm25Index.build(pool.docs);
  const smallHits = pq.map((q) => small.search(q, K));
  const oursSmallMs = performance.now() - t0;
  t0 = performance.now();
  const w2 = winkFactory();
  w2.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1, b, k: 1 } });
  w2.definePrepTasks([bm25Tokens]);
  pool.docs.forEach((d, i) => w2.addDoc({ body: d }, i));
  w2.consolidate(9);
  pq.forEach((q) => w2.search(q, K));
  const winkSmallMs = performance.now() - t0;
  t0 = performance.now();
  const okapiTop = pq.map((q) => {
    const scores = okapi(pool.docs, bm25Tokens(q), { k1, b });
    return scores.map((s, doc) => ({ doc, s })).sort((x, y) => y.s - x.s || x.doc - y.doc).slice(0, K).map((x) => x.doc);
  });
  const okapiMs = performance.now() - t0;
  const okapiAgree = smallHits.reduce((s, hits, i) => s + overlap(hits.map((h) => h.doc), okapiTop[i]!), 0) / pq.length; // one top list per query
  console.log(`one pool (${pool.task}: ${pool.docs.length} docs), index + ${pq.length} queries, top-${K}:`);
  console.log(`  ours ${oursSmallMs.toFixed(1)} ms, wink ${winkSmallMs.toFixed(1)} ms (ratio ${(winkSmallMs / oursSmallMs).toFixed(1)}x), okapibm25 ${okapiMs.toFixed(0)} ms (ratio ${(okapiMs / oursSmallMs).toFixed(0)}x)`);
  console.log(`  overlap with okapibm25's top-${K}: ${(okapiAgree * 100).toFixed(1)}% (it counts substring matches and \\w+ words, so scores differ)`);
  if (mismatches > 0) {
    console.error('MISMATCH: our top-k differs from the reference computation');
    process.exitCode = 1;
  }
}

await main();
