// Benchmark: reward-model training throughput (groups of G = 8 pairs per second) at the plugin's
// default sizes, ours (tfjs, the backend initBackend picks) against the same cross-encoder in
// plain PyTorch trained on exactly the same token batches, in the same run; plus our scoring
// throughput (pairs per second, forward only).
//
//   npx vite-node bench/reward-model.ts [--steps 40] [--tasks gen_reviews,gen_nli_travel,gen_open_book,gen_headline]

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import plugin from '../plugins/reward-model/index.js';
import { joinScores, splitHeldOut } from '../plugins/reward-model/queries.js';
import { readScoresFolder } from '../plugins/reward-model/scores-file.js';
import { encodeGroups, scorePairs, trainRewardModel, type RewardGroup } from '../src/lib/llmr/cross-encoder.js';
import { groupForStep } from '../src/lib/llmr/groups.js';
import { initBackend } from '../src/lib/nn/backend.js';
import { CrossEncoder } from '../src/lib/nn/heads.js';
import { loadTokenizer } from '../src/lib/nn/tokenizer/core.js';
import { buildRewardFixture } from '../test/llmr/reward-fixtures.js';
import { withDefaults } from '../test/plugins/ctx.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}

const steps = Number(arg('steps', '40'));
const untimed = 3; // first steps warm the kernels up on both sides
const taskNames = arg('tasks', 'gen_reviews,gen_nli_travel,gen_open_book,gen_headline').split(',');
const python = process.env.RETORT_TORCH_PYTHON ?? '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));

const root = await mkdtemp(join(tmpdir(), 'retort-bench-reward-'));
try {
  const backend = await initBackend();
  const p = withDefaults(plugin, {});
  const fx = await buildRewardFixture(root, { trainSize: 200, vocabSize: 4000, tasks: taskNames });
  const joined = await joinScores(fx.tasks, await readScoresFolder(fx.scores), p);
  const { train } = splitHeldOut(joined.examples, p.heldOutFraction, p.seed);
  const tok = await loadTokenizer(join(fx.tokenizer, 'tokenizer.json'));
  const config = {
    vocabSize: tok.vocabSize, hiddenSize: p.hiddenSize, embeddingSize: p.hiddenSize, numLayers: p.numLayers, numHeads: p.numHeads,
    intermediateSize: p.intermediateSize, maxPositions: p.maxLength, hiddenDropout: p.dropout, attentionDropout: p.dropout,
  };
  const model = new CrossEncoder(config, p.seed);

  // Record the groups each step trains on, to hand PyTorch the same batches.
  const seen: RewardGroup[] = [];
  const groupOf = (i: number, epoch: number): RewardGroup => {
    const e = train[i]!; // i < examples (train.length)
    const g = groupForStep(e.example, { groupSize: p.groupSize, epoch, seed: p.seed, pool: joined.pools.get(e.query.task)!.ids });
    const scored = new Map(e.query.line.candidates.map((c, k) => [c.id, e.query.contents[k]]));
    const group = { a: e.query.a, candidates: g.ids.map((id) => scored.get(id) ?? joined.pools.get(e.query.task)!.contents.get(id)!) };
    seen.push(group);
    return group;
  };
  let timedFrom = 0;
  const began = performance.now();
  const result = await trainRewardModel({
    model, tokenizer: tok, examples: train.length, groupOf, batchSize: p.batchSize, steps, lr: p.lr, warmupSteps: p.warmupSteps,
    weightDecay: p.weightDecay, clipNorm: p.clipNorm, maxLength: p.maxLength, seed: p.seed,
    ctx: { progress: (done) => { if (done === untimed) timedFrom = performance.now(); } },
  });
  const oursSeconds = (performance.now() - timedFrom) / 1000;
  const oursRate = ((steps - untimed) * p.batchSize) / oursSeconds;
  console.log(`${backend.summary}; ${train.length} training queries of ${taskNames.length} tasks; defaults: hidden ${p.hiddenSize}, ${p.numLayers} layers, maxLength ${p.maxLength}, B ${p.batchSize} × G ${p.groupSize}`);
  console.log(`ours:    ${steps} steps in ${((performance.now() - began) / 1000).toFixed(1)} s, ${oursRate.toFixed(1)} groups/s (${(oursRate * p.groupSize).toFixed(0)} pairs/s) after ${untimed} warm-up steps; loss ${result.lastLoss.toFixed(3)}`);

  // Scoring: forward passes only, as the plugin scores every candidate after training.
  const pairs = joined.queries.slice(0, 100).flatMap((q) => q.contents.map((c) => [q.a, c] as const));
  const s0 = performance.now();
  await scorePairs(model, tok, pairs.map((x) => x[0]), pairs.map((x) => x[1]), { maxLength: p.maxLength, batchSize: p.scoreBatchSize });
  const scoreRate = pairs.length / ((performance.now() - s0) / 1000);
  console.log(`ours:    scoring ${pairs.length} pairs at ${scoreRate.toFixed(0)} pairs/s`);
  model.dispose();

  const batches = [];
  for (let s = 0; s < steps; s++) {
    const b = encodeGroups(tok, seen.slice(s * p.batchSize, (s + 1) * p.batchSize), p.maxLength);
    batches.push({ ids: await b.inputIds.array(), mask: await b.attentionMask.array(), types: await b.tokenTypeIds.array() });
    tf.dispose([b.inputIds, b.attentionMask, b.tokenTypeIds]);
  }
  const file = join(root, 'batches.json');
  await writeFile(file, JSON.stringify({
    config: {
      vocab: tok.vocabSize, hidden: p.hiddenSize, layers: p.numLayers, heads: p.numHeads, inner: p.intermediateSize, positions: p.maxLength,
      dropout: p.dropout, lr: p.lr, warmup: p.warmupSteps, weightDecay: p.weightDecay, clipNorm: p.clipNorm, groupSize: p.groupSize,
      batchSize: p.batchSize, untimed,
    },
    batches,
  }));
  for (const threads of [1, 2]) {
    const out = execFileSync(python, [join(here, 'reward_model_torch.py'), file, String(threads)], { encoding: 'utf8' });
    const torch = JSON.parse(out.trim().split('\n').pop()!) as { groupsPerSecond: number; lastLoss: number; torch: string };
    console.log(`PyTorch ${torch.torch}, ${threads} thread${threads > 1 ? 's' : ''}: ${torch.groupsPerSecond.toFixed(1)} groups/s; loss ${torch.lastLoss.toFixed(3)}; ours / PyTorch = ${(oursRate / torch.groupsPerSecond).toFixed(2)}`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
