// Retriever benchmark (issue 11): the LLM-R bi-encoder's training examples/s and encoding
// sequences/s against the same bi-encoder in plain PyTorch (bench/retriever-torch.py, torch at
// /usr/bin/python3), and retrieval queries/s through hnswlib against exact search, in one run.
//
//   npx vite-node bench/retriever.ts [--steps 20] [--pool 2000] [--n 20000] [--queries 1000] [--k 10] [--threads 1]
//
// Sizes are the retriever plugin's defaults (plugins/retriever). Both sides see texts of the same
// token-length distribution (PyTorch draws random ids of those lengths). Times are wall and
// process CPU; on a shared machine the CPU ratio is the steadier one.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import retriever from '../plugins/retriever/index.js';
import { buildExamples, trainBiEncoder, type TaskTexts } from '../plugins/retriever/training.js';
import { BiEncoder } from '../src/lib/llmr/bi-encoder.js';
import { initBackend } from '../src/lib/nn/backend.js';
import { ExactIndex } from '../src/lib/nn/index/exact.js';
import { HnswIndex } from '../src/lib/nn/index/hnsw.js';
import { recallAtK } from '../src/lib/nn/index/recall.js';
import { BertEncoder } from '../src/lib/nn/models/bert.js';
import { trainWordPiece } from '../src/lib/nn/tokenizer/core.js';
import { Rng } from '../src/lib/nn/train/rng.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const STEPS = arg('steps', 20);
const POOL = arg('pool', 2000);
const N = arg('n', 20000);
const QUERIES = arg('queries', 1000);
const K = arg('k', 10);
const THREADS = arg('threads', 1);

// The plugin's defaults for the settings this bench uses.
const SETTINGS = [
  'hiddenSize', 'layers', 'heads', 'intermediateSize', 'maxLength', 'batchSize', 'groupSize', 'lr', 'weightDecay', 'clipNorm', 'temperature', 'alpha',
  'encodeBatchSize', 'M', 'efConstruction', 'efSearch',
] as const;
const properties = retriever.params.properties as Record<string, { default?: unknown }>;
const defaults = Object.fromEntries(SETTINGS.map((name) => {
  const value = properties[name]?.default;
  if (typeof value !== 'number') throw new Error(`the retriever plugin has no numeric default for ${name}`);
  return [name, value];
})) as Record<(typeof SETTINGS)[number], number>;
const rng = new Rng(1);
const anyOf = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!; // rng.int(n) < n
const WORDS = Array.from({ length: 600 }, (_, i) => `w${i.toString(36)}${'abcdefgh'[i % 8]}`);
const sentence = (min: number, max: number) => Array.from({ length: min + rng.int(max - min + 1) }, () => anyOf(WORDS)).join(' ');

function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const w = performance.now();
  const c = process.cpuUsage();
  const value = fn();
  const u = process.cpuUsage(c);
  return { value, wall: (performance.now() - w) / 1000, cpu: (u.user + u.system) / 1e6 };
}

async function main(): Promise<void> {
  const backend = await initBackend();
  console.log(`# retriever bench — ${backend.summary}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on 2 cores (shared)`);
  const d = defaults;
  console.log(`# encoder: width ${d.hiddenSize}, ${d.layers} layers, ${d.heads} heads, ffn ${d.intermediateSize}, maxLength ${d.maxLength}; batch ${d.batchSize} × G ${d.groupSize}`);

  // A pool of demonstrations (query + answer), each scored against 32 others with a random teacher.
  const ids = Array.from({ length: POOL }, (_, i) => `r${i}`);
  const queryText = ids.map(() => sentence(8, 30));
  const demoText = queryText.map((q) => `${q}\n${sentence(1, 8)}`);
  const tokenizer = trainWordPiece(demoText, { vocabSize: 2000 });
  const texts: TaskTexts = {
    poolIds: ids,
    // One text of each kind per id.
    query: new Map(ids.map((id, i) => [id, queryText[i]!])),
    demonstration: new Map(ids.map((id, i) => [id, demoText[i]!])),
  };
  const scored = ids.map((id) => ({ task: 'bench', source: 0, id, candidates: Array.from({ length: 32 }, () => ({ id: anyOf(ids), score: rng.next() * 4 })) }));
  const { examples } = buildExamples(scored, new Map([['bench', texts]]), { topkAsPositive: 3, bottomkAsNegative: 16, seed: 1 });
  const encoder = new BertEncoder({
    vocabSize: tokenizer.vocabSize, hiddenSize: d.hiddenSize, embeddingSize: d.hiddenSize, numLayers: d.layers, numHeads: d.heads,
    intermediateSize: d.intermediateSize, maxPositions: d.maxLength, pooler: false,
  }, 1);
  encoder.setTrainable('embeddings.position_embeddings.weight', false);
  const model = new BiEncoder(encoder, tokenizer, { maxLength: d.maxLength });
  const settings = {
    steps: 1, batchSize: d.batchSize, groupSize: d.groupSize, lr: d.lr, warmupSteps: 0, weightDecay: d.weightDecay, clipNorm: d.clipNorm,
    temperature: d.temperature, alpha: d.alpha, fullContrastive: true, seed: 1, logEvery: 1000,
  };
  await trainBiEncoder(model, examples, new Map([['bench', texts]]), settings, {}); // warm-up
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  await trainBiEncoder(model, examples, new Map([['bench', texts]]), { ...settings, steps: STEPS }, {});
  const cu = process.cpuUsage(c0);
  const train = { wall: (performance.now() - w0) / 1000, cpu: (cu.user + cu.system) / 1e6 };
  model.embedAll(demoText.slice(0, 64), 64);
  const enc = timed(() => model.embedAll(demoText, d.encodeBatchSize));
  const ours = { train, encode: enc };

  // The same shapes for PyTorch: token lengths of the texts each side encodes.
  const len = (t: string) => Math.min(d.maxLength, tokenizer.encode(t).ids.length);
  const pick = (n: number, from: string[]) => Array.from({ length: n }, () => len(anyOf(from)));
  const job = {
    threads: THREADS, vocab: tokenizer.vocabSize, hidden: d.hiddenSize, layers: d.layers, heads: d.heads, intermediate: d.intermediateSize,
    maxLength: d.maxLength, batchSize: d.batchSize, groupSize: d.groupSize, temperature: d.temperature, alpha: d.alpha,
    steps: Array.from({ length: STEPS }, () => ({ queries: pick(d.batchSize, queryText), candidates: pick(d.batchSize * d.groupSize, demoText) })),
    encode: demoText.map(len),
  };
  const dir = mkdtempSync(join(tmpdir(), 'retort-bench-retriever-'));
  let torch: { train: { wall: number; cpu: number }; encode: { wall: number; cpu: number } };
  try {
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const out = execFileSync('/usr/bin/python3', [new URL('./retriever-torch.py', import.meta.url).pathname, join(dir, 'job.json')], { encoding: 'utf8' });
    torch = JSON.parse(out.trim().split('\n').at(-1)!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const examplesN = STEPS * d.batchSize;
  const row = (what: string, count: number, a: { wall: number; cpu: number }, b: { wall: number; cpu: number }) => {
    const f = (x: number) => x.toFixed(1).padStart(8);
    console.log(`| ${what.padEnd(28)} | ${f(count / a.wall)} | ${f(count / a.cpu)} | ${f(count / b.wall)} | ${f(count / b.cpu)} | ${(b.cpu / a.cpu).toFixed(2)}× |`);
  };
  console.log(`\n| per second (wall / CPU)       |  ours wall |  ours CPU | torch wall | torch CPU | ours ÷ torch (CPU) |`);
  console.log('|---|---|---|---|---|---|');
  row(`training examples (${STEPS} steps)`, examplesN, ours.train, torch.train);
  row(`encoding sequences (${POOL})`, POOL, ours.encode, torch.encode);
  console.log(`(PyTorch ${THREADS} thread${THREADS > 1 ? 's' : ''}; ours: tfjs ${backend.name}, one thread)`);

  // Retrieval: the pool embeddings, spread to N vectors by small perturbations (clusters around real embeddings).
  const base = enc.value;
  const dim = model.dim;
  const spread = (count: number) => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      const src = rng.int(POOL);
      for (let j = 0; j < dim; j++) out[i * dim + j] = base[src * dim + j]! + (rng.next() - 0.5) * 0.1; // src < POOL rows
    }
    return out;
  };
  const vectors = spread(N);
  const queries = spread(QUERIES);
  const exact = new ExactIndex({ metric: 'cosine', dim });
  exact.add(vectors);
  const hnsw = timed(() => {
    const h = new HnswIndex({ metric: 'cosine', dim, capacity: N, M: d.M, efConstruction: d.efConstruction, efSearch: d.efSearch, seed: 1 });
    h.add(vectors);
    return h;
  });
  exact.search(queries.subarray(0, dim * 10), K);
  const e = timed(() => exact.search(queries, K));
  const a = timed(() => hnsw.value.search(queries, K));
  console.log(`\nretrieval, ${N} vectors of dimension ${dim}, ${QUERIES} queries, top ${K} (HNSW M ${d.M}, efConstruction ${d.efConstruction}, efSearch ${d.efSearch}; built in ${hnsw.wall.toFixed(1)} s)`);
  console.log(`| index | queries/s wall | queries/s CPU | recall@${K} |`);
  console.log('|---|---|---|---|');
  console.log(`| exact (${exact.engine}) | ${(QUERIES / e.wall).toFixed(0)} | ${(QUERIES / e.cpu).toFixed(0)} | 1 |`);
  console.log(`| hnswlib | ${(QUERIES / a.wall).toFixed(0)} | ${(QUERIES / a.cpu).toFixed(0)} | ${recallAtK(a.value, e.value, K).toFixed(3)} |`);
  console.log(`hnswlib ÷ exact: ${(e.wall / a.wall).toFixed(1)}× by wall time, ${(e.cpu / a.cpu).toFixed(1)}× by CPU time`);
  hnsw.value.dispose();
  exact.dispose();
  encoder.dispose();
}

await main();
