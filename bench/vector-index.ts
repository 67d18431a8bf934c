// Vector index benchmark: hnswlib (HnswIndex) against exact blocked search (ExactIndex) on the same
// vectors and queries, in one process.
//
//   npx vite-node bench/vector-index.ts [--n 100000] [--dim 128] [--queries 1000] [--k 10]
//       [--metric cosine|ip] [--M 16] [--ef-construction 200] [--ef 10,16,24,32,48,64,128,256]
//       [--data random,clustered,outliers] [--js-queries 200] [--target 0.98] [--seed 1]
//       [--lever-ef 16,19,24,32,48] [--groups 4,8,16] [--reuse <dir>] [--levers-only true]
//
// For each data set: build time and saved size of the HNSW index, queries/s of exact search with
// every engine (OpenBLAS sgemm when the native addon is built, tfjs wasm matmul, plain
// Float32Array loops), then, per efSearch, recall@k of HNSW against exact search and its queries/s
// as a multiple of the fastest exact engine, by wall time and by this process's CPU time (steadier
// when other processes share the cores), and the smallest efSearch that reaches the target recall
// (calibrateEfSearch). HNSW is timed through the batch addon (when built) and, on the same file,
// through hnswlib-node one query per call. Also: the fixed cost of one call of each (a one-vector
// index), to see how much of a query is the binding rather than the graph walk. Then the search
// levers of the batch addon one at a time (measureLevers). --reuse keeps the built index in <dir>
// and reads it back in later runs with the same settings; --levers-only skips everything but the
// levers (and the exact search they need). Target (issue 9): recall@10 ≥ 0.98
// at ≥ 20× exact search's speed on 100k vectors of dimension 128.

import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../plugins/numbers/index.js';
import { initBackend } from '../src/lib/nn/backend.js';
import { calibrateEfSearch } from '../src/lib/nn/index/calibrate.js';
import { ExactIndex, type ExactEngine } from '../src/lib/nn/index/exact.js';
import type { HnswEngine } from '../src/lib/nn/index/hnsw-graph.js';
import { HnswIndex } from '../src/lib/nn/index/hnsw.js';
import { loadHnswAddon, type SearchSettings } from '../src/lib/nn/index/native-hnsw.js';
import { recallAtK } from '../src/lib/nn/index/recall.js';
import type { Metric, Neighbors } from '../src/lib/nn/index/types.js';
import { loadBlasAddon } from '../src/lib/nn/kernels/native-addon.js';
import { DEFAULT_QUANTIZE } from '../plugins/retriever/retrieve.js';

interface Options {
  n: number; dim: number; queries: number; k: number; metric: Metric; M: number; efConstruction: number;
  ef: number[]; data: string[]; jsQueries: number; target: number; seed: number;
  leverEf: number[]; groups: number[]; reuse?: string; leversOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { n: 100_000, dim: 128, queries: 1000, k: 10, metric: 'cosine', M: 16, efConstruction: 200, ef: [10, 16, 24, 32, 48, 64, 128, 256], data: ['random', 'clustered'], jsQueries: 200, target: 0.98, seed: 1, leverEf: [16, 19, 24, 32, 48], groups: [4, 8, 16], leversOnly: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    switch (flag) {
      case '--n': o.n = Number(value); break;
      case '--dim': o.dim = Number(value); break;
      case '--queries': o.queries = Number(value); break;
      case '--k': o.k = Number(value); break;
      case '--metric': o.metric = value as Metric; break;
      case '--M': o.M = Number(value); break;
      case '--ef-construction': o.efConstruction = Number(value); break;
      case '--ef': o.ef = value.split(',').map(Number); break;
      case '--data': o.data = value.split(','); break;
      case '--js-queries': o.jsQueries = Number(value); break;
      case '--target': o.target = Number(value); break;
      case '--seed': o.seed = Number(value); break;
      case '--lever-ef': o.leverEf = value.split(',').map(Number); break;
      case '--groups': o.groups = value.split(',').map(Number); break;
      case '--reuse': o.reuse = value; break;
      case '--levers-only': o.leversOnly = value === 'true'; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return o;
}

function normalSource(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Independent standard normal vectors: the hard case (no structure for the graph to exploit). */
function randomVectors(count: number, dim: number, seed: number): Float32Array {
  const normal = normalSource(seed);
  return Float32Array.from({ length: count * dim }, normal);
}

/**
 * A mixture of 1,000 Gaussian clusters (centres N(0, I), spread 0.5 per axis), closer to text
 * embeddings, which group by topic. Vectors and queries come from the same centres.
 */
function clusteredVectors(count: number, dim: number, seed: number, centres: Float32Array): Float32Array {
  const normal = normalSource(seed);
  const pick = mulberry32(seed + 7919);
  const clusters = centres.length / dim;
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(pick() * clusters);
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j]! + 0.5 * normal(); // c < clusters
  }
  return out;
}

/**
 * The clustered vectors with two outliers per dimension: row o·n/(2·dim) gets ±1,000 in dimension
 * o mod dim (+ for the first dim of them), so every dimension's extremes are far outside the rest.
 * The queries stay plain clustered ones.
 */
function withOutliers(vectors: Float32Array, dim: number): Float32Array {
  const count = vectors.length / dim;
  for (let o = 0; o < 2 * dim; o++) vectors[Math.floor((o * count) / (2 * dim)) * dim + (o % dim)] = (o < dim ? 1 : -1) * 1000;
  return vectors;
}

/** Every timing (exact peer and HNSW alike) is the best of this many runs. */
const REPEATS = 3;

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

/**
 * Wall time and this process's CPU time of a search call, the least of `repeats` calls of each (on a
 * loaded machine the CPU time is the steadier measure, and the least is the least disturbed).
 */
function timeSearch(search: () => Neighbors[], repeats = REPEATS): { hits: Neighbors[]; s: number; cpuS: number } {
  let best = { hits: [] as Neighbors[], s: Infinity, cpuS: Infinity };
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const hits = search();
    const used = process.cpuUsage(cpu);
    best = { hits, s: Math.min(best.s, seconds(start)), cpuS: Math.min(best.cpuS, (used.user + used.system) / 1e6) };
  }
  return best;
}

/** CPU microseconds of one search call when the graph walk is trivial: array conversion and result objects. */
function bindingCostUs(dim: number, engine: HnswEngine): number {
  const tiny = new HnswIndex({ metric: 'ip', dim, engine });
  tiny.add(new Float32Array(dim).fill(1));
  const query = new Float32Array(dim).fill(0.5);
  const calls = 5000;
  tiny.search(query, 1);
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) tiny.search(query, 1);
  const used = process.cpuUsage(start);
  tiny.dispose();
  return (used.user + used.system) / calls;
}

/**
 * The search levers one at a time, on the same file through the addon's own interface: hnswlib's
 * searchKnn, then the search layout with one more lever each row (README, "vector-index.ts").
 * Round robin: each round times every lever once and the exact peer once, and each keeps its best
 * round, so that a change of the machine's load hits all of them alike.
 */
function measureLevers(path: string, o: Options, vectors: Float32Array, queries: Float32Array, truth: Neighbors[], peerEngine: ExactEngine): void {
  const status = loadHnswAddon();
  if (!status.ok) return;
  const before: SearchSettings = { layout: 'hnswlib', simd: false, quantize: 'none', hugePages: false, prefetch: 'next', group: 1, screen: false };
  const floatDefault: SearchSettings = { layout: 'locality', simd: false, quantize: 'none', hugePages: true, prefetch: 'next', group: 1, screen: false };
  const uint8: SearchSettings = { layout: 'locality', simd: true, quantize: 'int8', hugePages: true, prefetch: 'all', group: 1, screen: false };
  const bf16: SearchSettings = { ...uint8, quantize: 'bf16' };
  const screenedGroup = o.groups[1] ?? o.groups[0]; // none when --groups lists none, like the other group rows
  const levers: { name: string; settings: SearchSettings }[] = [
    { name: 'hnswlib searchKnn (before)', settings: before },
    { name: 'layout, insertion order, hnswlib distance', settings: { ...before, layout: 'insertion' } },
    { name: '+ AVX2 distances', settings: { ...before, layout: 'insertion', simd: true } },
    { name: '+ locality order', settings: { ...before, layout: 'locality', simd: true } },
    { name: '+ huge pages', settings: { ...before, layout: 'locality', simd: true, hugePages: true } },
    { name: '+ all neighbours prefetched at once', settings: { ...floatDefault, simd: true, prefetch: 'all' } },
    { name: 'float walk, hnswlib distance, locality, huge pages (one at a time)', settings: floatDefault },
    ...o.groups.map((group) => ({ name: `  … ${group} queries at once`, settings: { ...floatDefault, prefetch: 'all' as const, group } })),
    { name: '  … screened by uint8 codes (one at a time)', settings: { ...floatDefault, screen: true } },
    ...(screenedGroup === undefined ? [] : [{ name: `  … screened, ${screenedGroup} queries at once`, settings: { ...floatDefault, screen: true, group: screenedGroup } }]),
    { name: 'bfloat16 rows, float re-ranking (one at a time)', settings: bf16 },
    { name: 'bfloat16 rows, portable distance (no AVX2; same answers)', settings: { ...bf16, simd: false } },
    ...o.groups.map((group) => ({ name: `  bfloat16, ${group} queries at once`, settings: { ...bf16, group } })),
    { name: 'uint8 codes, float re-ranking (one at a time)', settings: uint8 },
    { name: 'uint8 codes with hnswlib\'s one-ahead prefetch', settings: { ...uint8, prefetch: 'next' } },
    ...o.groups.map((group) => ({ name: `  uint8, ${group} queries at once`, settings: { ...uint8, group } })),
  ];
  const rounds = 5;
  const peer = new ExactIndex({ metric: o.metric, dim: o.dim, engine: peerEngine });
  peer.add(vectors);
  peer.search(queries.subarray(0, o.dim), o.k);
  let peerCpuS = Infinity;
  const rows = new Int32Array(o.queries * o.k);
  const distances = new Float32Array(o.queries * o.k);
  const graphs = levers.map((lever) => {
    const graph = new status.addon.Graph(o.metric, o.dim, path);
    const kernel = graph.configureSearch(lever.settings);
    const start = performance.now();
    // Builds the layout (the addon normalises cosine queries itself).
    graph.search(queries.subarray(0, o.dim), o.k, rows.subarray(0, o.k), distances.subarray(0, o.k));
    return { lever, graph, kernel, layoutS: seconds(start), cells: [] as string[] };
  });
  for (const ef of o.leverEf) {
    const best = graphs.map((g) => ({ g, cpuS: Infinity, recall: 0 }));
    for (let round = 0; round < rounds; round++) {
      peerCpuS = Math.min(peerCpuS, timeSearch(() => peer.search(queries, o.k), 1).cpuS);
      best.forEach((b) => {
        const { graph } = b.g;
        graph.setEf(ef);
        graph.search(queries.subarray(0, 10 * o.dim), o.k, rows.subarray(0, 10 * o.k), distances.subarray(0, 10 * o.k)); // warm-up
        const run = timeSearch(() => {
          graph.search(queries, o.k, rows, distances);
          return [];
        }, 1);
        b.cpuS = Math.min(b.cpuS, run.cpuS);
        const hits = Array.from({ length: o.queries }, (_, q) => ({ rows: rows.slice(q * o.k, (q + 1) * o.k), scores: new Float32Array(o.k) }));
        b.recall = recallAtK(hits, truth, o.k);
      });
    }
    for (const b of best) b.g.cells.push(`${b.recall.toFixed(3)}, ${fmt(peerCpuS / b.cpuS, 1)}×`);
  }
  console.log(`search levers, one at a time (the same file; best of ${rounds} rounds; CPU ratios against the exact peer, ${peerEngine}, at its best round: ${fmt(o.queries / peerCpuS)} queries per CPU-second):\n`);
  console.log(`| lever | kernel | layout build | layout MiB | ${o.leverEf.map((ef) => `ef ${ef}: recall, × exact`).join(' | ')} |`);
  console.log(`|:--|:--|--:|--:|${o.leverEf.map(() => '--:').join('|')}|`);
  graphs.forEach((g) => {
    console.log(`| ${g.lever.name} | ${g.kernel} | ${fmt(g.layoutS, 2)} s | ${fmt(g.graph.layoutBytes() / 2 ** 20, 1)} | ${g.cells.join(' | ')} |`);
    g.graph.close();
  });
  peer.dispose();
  console.log('');
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await initBackend(); // wasm unless RETORT_TF_BACKEND says otherwise

  console.log(`# vector index: ${fmt(o.n)} vectors × ${o.dim}, ${o.queries} queries, k ${o.k}, metric ${o.metric}`);
  console.log(`# node ${process.version}, tfjs ${tf.version.tfjs} (${tf.getBackend()}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on a shared 2-core machine`);
  console.log(`# HNSW: M ${o.M}, efConstruction ${o.efConstruction}; exact: blocked top-k, tf = wasm matmul, js = Float32Array loops\n`);

  for (const data of o.data) {
    const centres = randomVectors(1000, o.dim, o.seed + 100);
    const make = (count: number, seed: number) => (data === 'random' ? randomVectors(count, o.dim, seed) : clusteredVectors(count, o.dim, seed, centres));
    const vectors = data === 'outliers' ? withOutliers(make(o.n, o.seed), o.dim) : make(o.n, o.seed);
    const queries = make(o.queries, o.seed + 1);

    // Exact search: every engine; the fastest per CPU-second is the peer, tf's answer the ground truth.
    const engines: ExactEngine[] = (loadBlasAddon().ok ? ['blas', 'tf', 'js'] as const : ['tf', 'js'] as const).filter((e) => !o.leversOnly || e !== 'js');
    const exact: { engine: ExactEngine; queries: number; qps: number; cpuQps: number; same: number }[] = [];
    let truth: Neighbors[] = [];
    for (const engine of ['tf', ...engines.filter((e) => e !== 'tf')] as ExactEngine[]) {
      const index = new ExactIndex({ metric: o.metric, dim: o.dim, engine });
      index.add(vectors);
      index.search(queries.subarray(0, o.dim), o.k); // uploads the tf blocks, warms up
      const count = engine === 'js' ? Math.min(o.jsQueries, o.queries) : o.queries;
      const run = timeSearch(() => index.search(queries.subarray(0, count * o.dim), o.k), engine === 'js' ? 1 : REPEATS);
      if (engine === 'tf') truth = run.hits;
      exact.push({ engine, queries: count, qps: count / run.s, cpuQps: count / run.cpuS, same: recallAtK(run.hits, truth.slice(0, count), o.k) });
      index.dispose();
    }
    const exactQps = Math.max(...exact.map((e) => e.qps));
    const peer = exact.reduce((a, b) => (b.cpuQps > a.cpuQps ? b : a));
    const exactCpuQps = peer.cpuQps;

    // HNSW: build and save (or, with --reuse, read a file an earlier run of the same settings saved), reload.
    const kept = o.reuse === undefined ? undefined : join(o.reuse, `${data}-${o.n}x${o.dim}-${o.metric}-M${o.M}-efc${o.efConstruction}-seed${o.seed}`);
    const dir = kept ?? mkdtempSync(join(tmpdir(), 'retort-bench-index-'));
    let buildS: number | undefined;
    let saveS: number | undefined;
    if (kept === undefined || !existsSync(join(kept, 'index.json'))) {
      mkdirSync(dir, { recursive: true });
      let start = performance.now();
      const hnsw = new HnswIndex({ metric: o.metric, dim: o.dim, M: o.M, efConstruction: o.efConstruction, seed: o.seed, capacity: o.n });
      for (let s = 0; s < o.n; s += 10_000) hnsw.add(vectors.subarray(s * o.dim, Math.min(o.n, s + 10_000) * o.dim));
      buildS = seconds(start);
      start = performance.now();
      hnsw.save(dir);
      saveS = seconds(start);
      hnsw.dispose();
    }
    const bytes = statSync(join(dir, 'index.hnsw')).size;
    const start = performance.now();
    const loaded = HnswIndex.load(dir);
    const loadS = seconds(start);
    // The same file behind hnswlib-node's one-query-per-call path, to show what the batch addon saves.
    const perQuery = HnswIndex.load(dir, 'index', { engine: 'hnswlib-node' });

    console.log(`## ${data} data`);
    for (const e of exact) {
      console.log(`exact search, ${e.engine}: ${fmt(e.qps)} queries/s, ${fmt(e.cpuQps)} per CPU-second (${e.queries} queries; same top ${o.k} as tf: ${fmt(e.same * 100, 1)} %)${e === peer ? ' ← the peer' : ''}`);
    }
    const built = buildS === undefined || saveS === undefined ? `HNSW index read from ${dir} (built by an earlier run)` : `HNSW build ${fmt(buildS, 1)} s (${fmt(o.n / buildS)} vectors/s), save ${fmt(saveS, 2)} s`;
    console.log(`${built}, index file ${fmt(bytes / 2 ** 20, 1)} MiB (raw vectors ${fmt((o.n * o.dim * 4) / 2 ** 20, 1)} MiB), load ${fmt(loadS, 2)} s\n`);
    console.log(`HNSW search engine: ${loaded.engine}${loaded.engine === 'native' ? ' (batch addon)' : ' (the batch addon is not built)'}; last column: the same index through hnswlib-node, one call per query\n`);
    console.log(`| efSearch | recall@${o.k} | queries/s | × exact | queries per CPU-s | × exact (CPU) | target (CPU ratio) | hnswlib-node × exact (CPU) |`);
    console.log('|--:|--:|--:|--:|--:|--:|:--|--:|');
    for (const ef of o.leversOnly ? [] : o.ef) {
      loaded.efSearch = ef;
      loaded.search(queries.subarray(0, 10 * o.dim), o.k); // warm-up
      const run = timeSearch(() => loaded.search(queries, o.k));
      const recall = recallAtK(run.hits, truth, o.k);
      const qps = o.queries / run.s;
      const cpuQps = o.queries / run.cpuS;
      const ratio = cpuQps / exactCpuQps;
      const met = recall >= o.target && ratio >= 20;
      perQuery.efSearch = ef;
      perQuery.search(queries.subarray(0, 10 * o.dim), o.k);
      const slow = timeSearch(() => perQuery.search(queries, o.k));
      // The addon's AVX2 distances round differently from hnswlib's; more than that is a bug.
      if (recallAtK(slow.hits, run.hits, o.k) < 0.995) throw new Error(`efSearch ${ef}: hnswlib-node and the batch addon disagree`);
      const slowRatio = o.queries / slow.cpuS / exactCpuQps;
      console.log(`| ${ef} | ${recall.toFixed(4)} | ${fmt(qps)} | ${fmt(qps / exactQps, 1)}× | ${fmt(cpuQps)} | ${fmt(ratio, 1)}× | ${met ? 'MET' : recall >= o.target ? 'missed (speed)' : 'missed (recall)'} | ${fmt(slowRatio, 1)}× |`);
    }
    if (!o.leversOnly) {
      // The smallest efSearch reaching the target, calibrated on the first half of the queries and
      // timed on the second half (the same split a user would make with sample queries).
      const half = Math.floor(o.queries / 2) * o.dim;
      const verdicts = new Map<string, { recall: number; ratio: number }>();
      for (const quantize of loaded.engine === 'native' ? (['none', 'bf16', 'int8'] as const) : (['none'] as const)) {
        const index = HnswIndex.load(dir, 'index', { quantize });
        const calibration = calibrateEfSearch(index, queries.subarray(0, half), truth.slice(0, half / o.dim), { k: o.k, targetRecall: o.target });
        index.efSearch = calibration.efSearch;
        index.search(queries.subarray(half, half + 10 * o.dim), o.k); // builds the search layout
        const held = timeSearch(() => index.search(queries.subarray(half), o.k));
        const heldRecall = recallAtK(held.hits, truth.slice(half / o.dim), o.k);
        const heldRatio = (queries.subarray(half).length / o.dim / held.cpuS) / exactCpuQps;
        verdicts.set(quantize, { recall: heldRecall, ratio: heldRatio });
        console.log(`\nquantize ${quantize}: calibrated efSearch for recall@${o.k} ≥ ${o.target}: ${calibration.reached ? calibration.efSearch : `not reached by ${calibration.efSearch}`} ` +
          `(tried ${calibration.tried.map((t) => `${t.efSearch}→${t.recall.toFixed(3)}`).join(', ')}); on the other half of the queries: recall ${heldRecall.toFixed(4)}, ${fmt(heldRatio, 1)}× exact per CPU-second, ` +
          `${fmt(1e6 * held.cpuS / (queries.subarray(half).length / o.dim), 0)} µs per query${heldRecall >= o.target && heldRatio >= 20 ? ' — MET' : ' — missed'}`);
        index.dispose();
      }
      // Issue 9's target, for the walk the retriever and dense-encoder plugins use by default.
      const plugins = verdicts.get(DEFAULT_QUANTIZE) ?? verdicts.get('none');
      if (plugins !== undefined) {
        const walk = verdicts.has(DEFAULT_QUANTIZE) ? DEFAULT_QUANTIZE : 'none (the addon is not built)';
        console.log(`\ntarget (issue 9: recall@${o.k} ≥ ${o.target} at ≥ 20× exact search per CPU-second), the plugins' default walk, quantize ${walk}: ` +
          `held-out recall ${plugins.recall.toFixed(4)} at ${fmt(plugins.ratio, 1)}× — ${plugins.recall >= o.target && plugins.ratio >= 20 ? 'MET' : 'MISSED'}`);
      }
      console.log(`one query on a one-vector index (the fixed cost of a call): hnswlib-node ${fmt(bindingCostUs(o.dim, 'hnswlib-node'), 1)} µs, ` +
        `batch addon ${loaded.engine === 'native' ? `${fmt(bindingCostUs(o.dim, 'native'), 1)} µs` : 'not built'}\n`);
    }
    if (loadHnswAddon().ok) measureLevers(join(dir, 'index.hnsw'), o, vectors, queries, truth, peer.engine);
    loaded.dispose();
    perQuery.dispose();
    if (kept === undefined) rmSync(dir, { recursive: true, force: true });
    console.log('');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
