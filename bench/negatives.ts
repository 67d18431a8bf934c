// Mining throughput: queries per second of hard-negative mining (rank window 10–210 and SimANS
// over the top 200) over a pool of clustered vectors, with candidates retrieved through the HNSW
// index, against the same mining with candidates from exact search, in one process.
//
//   npx vite-node bench/negatives.ts [--n 100000] [--dim 64] [--queries 200] [--depth 210] [--ef 256] [--efc 100] [--seed 1]
//
// The index is built once and both strategies mine from the same searches; at the 100k default the
// build dominates (efConstruction 100 rather than hnswlib's 200 keeps it to a few minutes on a
// loaded 2-core machine; the recall printed says what that costs).
// Per retrieval engine: search queries/s, mining queries/s per strategy (the miner alone) and end
// to end (search + mining); HNSW's end-to-end speed as a multiple of exact search's, and the
// recall of HNSW's candidate lists against exact ones (the mined negatives come from those lists).

import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../plugins/numbers/index.js';
import { initBackend } from '../src/lib/nn/backend.js';
import { ExactIndex } from '../src/lib/nn/index/exact.js';
import { HnswIndex } from '../src/lib/nn/index/hnsw.js';
import { recallAtK } from '../src/lib/nn/index/recall.js';
import type { Neighbors, VectorIndex } from '../src/lib/nn/index/types.js';
import { createMiner, mineAll, type MiningQuery, type StrategyName, type StrategySettings } from '../src/lib/negatives/index.js';

interface Options { n: number; dim: number; queries: number; depth: number; ef: number; efc: number; seed: number }

function parseArgs(argv: string[]): Options {
  const o: Options = { n: 100_000, dim: 64, queries: 200, depth: 210, ef: 256, efc: 100, seed: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!; // i < argv.length
    const value = argv[i + 1];
    const key = flag.replace(/^--/, '') as keyof Options;
    if (!(key in o) || value === undefined) throw new Error(`unknown flag or missing value: ${flag}`);
    o[key] = Number(value);
  }
  return o;
}

/** Box–Muller normals from a seeded uniform source. */
function normals(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Clustered vectors (1,000 centres, spread 0.5 per axis), as text embeddings group by topic. */
function clustered(count: number, dim: number, seed: number, centres: Float32Array): Float32Array {
  const normal = normals(seed);
  const pick = mulberry32(seed + 7919);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(pick() * (centres.length / dim));
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j]! + 0.5 * normal(); // c < the number of centres
  }
  return out;
}

function timed<T>(run: () => T): { value: T; s: number } {
  const start = performance.now();
  const value = run();
  return { value, s: (performance.now() - start) / 1000 };
}

/** Mining queries: the positive is the pool vector each query was made from (score from the hits, when retrieved). */
function miningQueries(hits: Neighbors[], positives: number[], index: VectorIndex): MiningQuery[] {
  return hits.map((h, q) => {
    const pos = String(positives[q]);
    const candidates = Array.from(h.rows, (row, r) => ({ id: index.idOf(row), score: h.scores[r] }));
    const found = candidates.find((c) => c.id === pos);
    return { queryId: `q${q}`, positives: [found ?? { id: pos }], candidates };
  });
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await initBackend();
  console.log(`# node ${process.version}, tfjs ${tf.version.tfjs} (${tf.getBackend()}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on a shared 2-core machine`);
  console.log(`# pool ${o.n} × ${o.dim} (clustered), ${o.queries} queries, candidate depth ${o.depth}, HNSW M 16, efConstruction ${o.efc}, efSearch ${o.ef}`);

  const centres = Float32Array.from({ length: 1000 * o.dim }, normals(o.seed));
  const pool = clustered(o.n, o.dim, o.seed + 1, centres);
  const ids = Array.from({ length: o.n }, (_, i) => String(i));
  // Each query is a noisy copy of a pool vector, which is its positive.
  const pick = mulberry32(o.seed + 2);
  const noise = normals(o.seed + 3);
  const positives = Array.from({ length: o.queries }, () => Math.floor(pick() * o.n));
  const queries = new Float32Array(o.queries * o.dim);
  positives.forEach((p, q) => { for (let j = 0; j < o.dim; j++) queries[q * o.dim + j] = pool[p * o.dim + j]! + 0.3 * noise(); }); // p < o.n

  const exact = new ExactIndex({ metric: 'cosine', dim: o.dim });
  exact.add(pool, ids);
  const hnsw = new HnswIndex({ metric: 'cosine', dim: o.dim, capacity: o.n, efConstruction: o.efc, efSearch: o.ef, seed: o.seed });
  const build = timed(() => hnsw.add(pool, ids));
  console.log(`HNSW build: ${build.s.toFixed(1)} s`);

  const strategies: [StrategyName, StrategySettings][] = [
    ['window', { window: { start: 10, end: o.depth, topUp: 'none' } }],
    ['simans', { simans: { a: 0.5, b: -1, k: Math.min(200, o.depth), scale: 20 } }],
  ];
  /** Search seconds, the hits, and mining seconds per strategy (every one of `strategies`). */
  const measure = (name: 'exact' | 'hnsw', index: VectorIndex): { search: number; hits: Neighbors[]; mine: Record<string, number> } => {
    const search = timed(() => index.search(queries, o.depth));
    const mq = miningQueries(search.value, positives, index);
    const mine: Record<string, number> = {};
    // One untimed pass first, so the JIT has compiled the miners before either engine is timed.
    if (name === 'exact') for (const [strategy, settings] of strategies) mineAll(mq, createMiner(strategy, settings), { count: 15, seed: o.seed + 1, context: { pool: ids } });
    for (const [strategy, settings] of strategies) {
      const m = timed(() => mineAll(mq, createMiner(strategy, settings), { count: 15, seed: o.seed, context: { pool: ids } }));
      mine[strategy] = m.s;
    }
    return { search: search.s, hits: search.value, mine };
  };
  const results = { exact: measure('exact', exact), hnsw: measure('hnsw', hnsw) };
  const mined = (r: { mine: Record<string, number> }, strategy: string): number => r.mine[strategy]!; // timed for every strategy

  const qps = (s: number) => o.queries / s;
  console.log('\n| retrieval | search q/s | strategy | mining alone q/s | search + mining q/s |');
  console.log('|---|---:|---|---:|---:|');
  for (const [name, r] of Object.entries(results)) {
    for (const [strategy] of strategies) console.log(`| ${name} | ${qps(r.search).toFixed(0)} | ${strategy} | ${qps(mined(r, strategy)).toFixed(0)} | ${qps(r.search + mined(r, strategy)).toFixed(0)} |`);
  }
  const recall = recallAtK(results.hnsw.hits, results.exact.hits, o.depth);
  console.log(`\nHNSW candidate lists: recall@${o.depth} against exact search ${recall.toFixed(4)}`);
  for (const [strategy] of strategies) {
    const ratio = (results.exact.search + mined(results.exact, strategy)) / (results.hnsw.search + mined(results.hnsw, strategy));
    console.log(`${strategy}: search + mining through HNSW is ${ratio.toFixed(1)}× exact search's queries/s`);
  }
  hnsw.dispose();
  exact.dispose();
}

await main();
