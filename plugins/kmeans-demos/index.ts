// The `kmeans-demos` stage: LLM-R's K-means baseline. Each task's pool demonstrations are embedded
// by an encoder (the dense-encoder stage's model), clustered into k clusters (seeded k-means++,
// then Lloyd), and the member nearest each centre is a demonstration: the same k for every query
// of the task, written in the bm25 candidates format so icl-eval reads them.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { DataError } from '../../src/lib/data/errors.js';
import { splitFile } from '../../src/lib/data/task-folder.js';
import { roundScore, writeCandidateIndex, writeCandidateLines, type CandidateLine } from '../../src/lib/llmr/candidates-file.js';
import { openEncoderFolder } from '../../src/lib/llmr/encoder-folder.js';
import { hashString } from '../../src/lib/llmr/groups.js';
import { loadTaskPools, splitQueries } from '../../src/lib/llmr/pools.js';
import { kmeans, nearestToCentres } from '../../src/lib/ml/kmeans.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { deriveSeed } from '../../src/lib/nn/train/rng.js';

/** What `demos.json` records per task. */
interface TaskClusters {
  task: string;
  pool: number;
  demos: { id: string; cluster: number; clusterSize: number; distance: number }[];
  iterations: number;
  converged: boolean;
  inertia: number;
  emptyRefills: number;
}

export default definePlugin({
  id: 'kmeans-demos',
  version: '1.0.0',
  description: 'K-means demonstrations: per task, the k pool rows nearest the cluster centres of the pool in an encoder\'s space (seeded k-means++, then Lloyd), the same for every query, in the bm25 candidates format.',
  runtime: backendRuntime,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      k: { type: 'integer', minimum: 1, default: 8, description: 'Clusters, and so demonstrations per task (LLM-R: 8, as many as the prompt holds).' },
      seed: { type: 'integer', description: 'Seed of the k-means++ draws (default: derived from the node key); each task mixes in its name.' },
      maxIterations: { type: 'integer', minimum: 1, default: 100, description: 'Lloyd iterations at most (they stop earlier when no point changes cluster).' },
      querySplits: { type: 'array', items: { type: 'string' }, default: ['train', 'test'], description: 'Splits whose rows get a candidates line (missing splits are skipped).' },
      encodeBatchSize: { type: 'integer', minimum: 1, default: 64, description: 'Sequences per forward pass when embedding the pools.' },
      maxLength: { type: 'integer', minimum: 2, default: 128, description: 'Tokens per sequence, only when the model folder does not say (a plain Hugging Face folder).' },
      prefix: { type: 'string', default: '', description: 'Text put before every demonstration, only when the model folder does not say (E5: "query: ").' },
    },
  },
  inputs: {
    tasks: { description: 'A directory of task folders (the tasks plugin\'s output).' },
    model: { description: 'An encoder folder: the dense-encoder stage\'s (or the retriever stage\'s) model output, or a Hugging Face BERT-style folder with tokenizer.json.' },
  },
  outputs: {
    candidates: { description: 'The bm25 candidates format: <task>.jsonl with the task\'s k demonstrations for every query, nearest its centre first; index.json; demos.json (clusters per task).' },
  },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend();
    ctx.log.info(backend.summary);
    const pools = await loadTaskPools(ctx.inputs.tasks, 'kmeans-demos');
    for (const pool of pools) {
      if (pool.pool.length < p.k) throw new DataError(splitFile(pool.dir, 'train'), 0, `task ${pool.name} has ${pool.pool.length} train rows, fewer than k = ${p.k} clusters`);
    }
    const modelDir = ctx.inputs.model;
    if (modelDir === undefined) throw new NodeFailure('the kmeans-demos stage needs a `model` input (the dense-encoder stage\'s model output)');
    const { encoder } = await openEncoderFolder(modelDir, { maxLength: p.maxLength, prefix: p.prefix, who: 'the kmeans-demos stage' });
    const out = ctx.output('candidates');
    const dim = encoder.dim;
    const entries: { task: string; file: string; queries: number; pool: number }[] = [];
    const clusters: TaskClusters[] = [];
    let encodeMs = 0;
    let clusterMs = 0;
    try {
      for (const [t, pool] of pools.entries()) {
        ctx.signal.throwIfAborted();
        let start = Date.now();
        const vectors = encoder.embedAll(pool.demonstrations, p.encodeBatchSize); // [n·D], unit rows
        encodeMs += Date.now() - start;
        start = Date.now();
        const result = kmeans(vectors, dim, p.k, { seed: deriveSeed(ctx.seed, hashString(pool.name)), maxIterations: p.maxIterations });
        const reps = nearestToCentres(vectors, dim, result); // nearest its centre first
        clusterMs += Date.now() - start;
        const sizes = new Array<number>(p.k).fill(0);
        for (const c of result.assignment) sizes[c] = sizes[c]! + 1; // clusters are numbered below k
        const demos = reps.map((r) => ({ id: pool.pool[r.point]!.id, score: roundScore(-r.distance) })); // points index the pool
        const lines: CandidateLine[] = [];
        for (const split of p.querySplits) {
          // A train query is never its own demonstration (icl-eval and the scoring stage expect that).
          for (const row of splitQueries(pool, split).rows) lines.push({ id: row.id, split, candidates: split === 'train' ? demos.filter((d) => d.id !== row.id) : demos });
        }
        const file = await writeCandidateLines(out, pool.name, lines);
        entries.push({ task: pool.name, file, queries: lines.length, pool: pool.pool.length });
        clusters.push({
          task: pool.name, pool: pool.pool.length, iterations: result.iterations, converged: result.converged,
          inertia: roundScore(result.inertia), emptyRefills: result.emptyRefills,
          demos: reps.map((r) => ({ id: pool.pool[r.point]!.id, cluster: r.cluster, clusterSize: sizes[r.cluster]!, distance: roundScore(r.distance) })),
        });
        if (!result.converged) ctx.log.warn(`${pool.name}: k-means stopped at ${p.maxIterations} iterations before converging`);
        ctx.progress(t + 1, pools.length);
      }
    } finally {
      encoder.dispose();
    }
    await writeCandidateIndex(out, { retriever: 'kmeans-demos', k: p.k, model: modelDir }, entries);
    await writeFile(join(out, 'demos.json'), JSON.stringify({ k: p.k, order: 'nearest its centre first (icl-eval puts it last in the prompt)', tasks: clusters }, null, 2) + '\n');
    ctx.metric('kmeans/tasks', pools.length);
    ctx.metric('kmeans/iterations_mean', clusters.reduce((s, c) => s + c.iterations, 0) / clusters.length);
    ctx.metric('kmeans/unconverged_tasks', clusters.filter((c) => !c.converged).length);
    ctx.metric('kmeans/empty_refills', clusters.reduce((s, c) => s + c.emptyRefills, 0));
    ctx.metric('kmeans/encode_seconds', encodeMs / 1000);
    ctx.metric('kmeans/cluster_seconds', clusterMs / 1000);
  },
});
