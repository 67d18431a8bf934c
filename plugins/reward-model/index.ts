// The `reward-model` stage (LLM-R §1.4): trains a cross-encoder on the LM's scores with group
// cross-entropy, then gives every candidate of every scored train query its reward logit, in the
// scores format the retriever distils from. Ablations: without the label y in text A, and the LM
// scores passed through as the reward (no model).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure, type PluginContextOf } from '../../src/plugin/api.js';
import { initBackend, backendRuntime } from '../../src/lib/nn/backend.js';
import { CrossEncoder } from '../../src/lib/nn/heads.js';
import { loadPretrained, savePretrained } from '../../src/lib/nn/pretrained.js';
import { loadTokenizer, resolveTokenizerFile, type Tokenizer } from '../../src/lib/nn/tokenizer/core.js';
import { checkPairTokenizer, rankingAccuracy, scorePairs, trainRewardModel, type RewardGroup } from '../../src/lib/llmr/cross-encoder.js';
import { groupForStep, type Group } from '../../src/lib/llmr/groups.js';
import { joinScores, splitHeldOut, type JoinedScores, type TrainingExample } from './queries.js';
import { readScoresFolder, writeIndex, writeScoresFile, type ScoresFile } from './scores-file.js';

/** The params run receives (defaults applied), read from the schema below. */
export type RewardModelParams = PluginParams<typeof self>;

export default definePlugin({
  id: 'reward-model',
  version: '1.0.0',
  description: 'LLM-R reward model: a cross-encoder trained on LM scores with group cross-entropy, then reward logits for every scored candidate.',
  runtime: backendRuntime,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      useLabel: { type: 'boolean', default: true, description: 'Text A = x + "\\n" + y (LLM-R); false: x alone (the "without label" ablation).' },
      llmScoreAsReward: { type: 'boolean', default: false, description: 'No reward model: the LM scores pass through as the reward (the "LLM score as reward" ablation).' },
      groupSize: { type: 'integer', minimum: 2, default: 8, description: 'G: one positive and G−1 negatives per query (LLM-R: 8).' },
      topkAsPositive: { type: 'integer', minimum: 1, default: 3, description: 'Positives come from the top k by LM score (LLM-R: 3).' },
      bottomkAsNegative: { type: 'integer', minimum: -1, default: 16, description: 'Negatives come from the bottom k (LLM-R: 16; −1 = all the rest).' },
      steps: { type: 'integer', minimum: 0, default: 100, description: 'Optimizer steps (LLM-R: 3000).' },
      batchSize: { type: 'integer', minimum: 1, default: 8, description: 'Queries per step, each with its G candidates (LLM-R: 16).' },
      lr: { type: 'number', exclusiveMinimum: 0, default: 5e-4, description: 'Peak learning rate (LLM-R, ELECTRA-base: 1e-5; a small model from scratch needs more).' },
      warmupSteps: { type: 'integer', minimum: 0, default: 10, description: 'Linear warmup, then linear decay to 0 (LLM-R: 400 of 3000).' },
      weightDecay: { type: 'number', minimum: 0, default: 0.01, description: 'AdamW weight decay (not on biases and LayerNorm).' },
      clipNorm: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Global gradient-norm clip.' },
      maxLength: { type: 'integer', minimum: 8, default: 96, description: '[CLS] A [SEP] B [SEP] is cut to this many tokens, longest text first (LLM-R: 384).' },
      hiddenSize: { type: 'integer', minimum: 8, default: 64, description: 'Width of the encoder trained from scratch (ignored with `init`).' },
      numLayers: { type: 'integer', minimum: 1, default: 2, description: 'Transformer layers (from scratch).' },
      numHeads: { type: 'integer', minimum: 1, default: 2, description: 'Attention heads (from scratch); must divide hiddenSize.' },
      intermediateSize: { type: 'integer', minimum: 8, default: 128, description: 'Feed-forward width (from scratch).' },
      dropout: { type: 'number', minimum: 0, maximum: 0.9, default: 0.1, description: 'Hidden and attention dropout (from scratch).' },
      heldOutFraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the scored train queries kept out of training to measure ranking accuracy.' },
      scoreBatchSize: { type: 'integer', minimum: 1, default: 64, description: 'Pairs per forward pass when scoring.' },
      checkpointEvery: { type: 'integer', minimum: 1, default: 50, description: 'Steps between checkpoints in the node\'s scratch (a killed node resumes).' },
      seed: { type: 'integer', default: 987, description: 'Seeds the initial weights, groups, sampling, dropout and the held-out split (LLM-R: 987).' },
    },
  },
  inputs: {
    tasks: { description: 'The task folders the scores refer to (the tasks plugin\'s output).' },
    scores: { description: 'The llm-score output: <task>.jsonl of scored train queries and index.json.' },
    tokenizer: { optional: true, description: 'A folder with tokenizer.json (the tokenizer plugin, WordPiece); optional when `init` holds one.' },
    init: { optional: true, description: 'A Hugging Face BERT/ELECTRA folder (config.json + model.safetensors) to start from instead of a small encoder from scratch.' },
    candidates: { optional: true, description: 'The bm25 output, to compare the reward model\'s ranking of held-out queries with BM25\'s.' },
  },
  outputs: {
    model: { description: 'The trained cross-encoder as a Hugging Face folder (config.json, model.safetensors, tokenizer.json) and metrics.json.' },
    scores: { description: 'Reward logits of every candidate of every scored train query: <task>.jsonl (sorted descending) and index.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    if (p.bottomkAsNegative === 0) throw new NodeFailure('bottomkAsNegative must be −1 (all non-positives) or at least 1');
    const scoresDir = ctx.inputs.scores;
    const files = await readScoresFolder(scoresDir);
    const outScores = ctx.output('scores');
    const outModel = ctx.output('model');

    if (p.llmScoreAsReward) {
      await passThrough(files, outScores, scoresDir);
      await writeFile(join(outModel, 'metrics.json'), JSON.stringify({ llmScoreAsReward: true, note: 'no reward model: the LM scores are the reward' }, null, 2) + '\n');
      ctx.log.info('llmScoreAsReward: the LM scores pass through unchanged, no model is trained');
      ctx.progress(1, 1);
      return;
    }

    const backend = await initBackend();
    ctx.log.info(backend.summary);
    const joined = await joinScores(ctx.inputs.tasks, files, p);
    reportCounts(ctx, joined, p.topkAsPositive);
    const { train, heldOut } = splitHeldOut(joined.examples, p.heldOutFraction, p.seed);
    ctx.log.info(`${joined.examples.length} queries form groups: ${train.length} to train on, ${heldOut.length} held out`);

    const { model, tokenizer, tokenizerJson, source } = await openModel(ctx.inputs, p);
    try {
      const groupOf = (e: TrainingExample, epoch: number): Group =>
        groupForStep(e.example, { groupSize: p.groupSize, epoch, seed: p.seed, pool: joined.pools.get(e.query.task)!.ids });
      const textsOf = (e: TrainingExample, g: Group): RewardGroup => {
        // Group members are the query's candidates or fillers from its own pool.
        const own = joined.pools.get(e.query.task)!.contents;
        const scored = new Map(e.query.line.candidates.map((c, i) => [c.id, e.query.contents[i]]));
        return { a: e.query.a, candidates: g.ids.map((id) => scored.get(id) ?? own.get(id)!) };
      };
      const pairsToScore = joined.queries.reduce((n, q) => n + q.line.candidates.length, 0) + heldOut.length * p.groupSize;
      const scoreBatches = Math.ceil(pairsToScore / p.scoreBatchSize);
      const total = p.steps + scoreBatches;

      const began = Date.now();
      const result = await trainRewardModel({
        model, tokenizer, examples: train.length,
        groupOf: (i, epoch) => textsOf(train[i]!, groupOf(train[i]!, epoch)), // i < examples
        batchSize: p.batchSize, steps: p.steps, lr: p.lr, warmupSteps: p.warmupSteps, weightDecay: p.weightDecay,
        clipNorm: p.clipNorm, maxLength: p.maxLength, seed: p.seed,
        checkpoint: { dir: join(ctx.scratch, 'train'), every: p.checkpointEvery, fingerprint: JSON.stringify({ params: p, source, queries: train.length }) },
        ctx: { metric: (n, v, s) => ctx.metric(`reward/${n}`, v, s), progress: (d) => ctx.progress(d, total), log: ctx.log, signal: ctx.signal },
      });
      const seconds = (Date.now() - began) / 1000;
      const trainedGroups = (result.steps - result.resumedFrom) * p.batchSize;
      ctx.log.info(`trained ${result.steps} steps (${trainedGroups} groups in ${seconds.toFixed(1)} s, ${(trainedGroups / Math.max(seconds, 1e-3)).toFixed(1)} groups/s), last loss ${result.lastLoss.toPrecision(4)}`);

      let scored = 0;
      const onBatch = (pairs: number) => {
        scored += pairs;
        ctx.progress(p.steps + Math.ceil(scored / p.scoreBatchSize), total);
      };
      const metrics = await heldOutMetrics(heldOut, (e) => groupOf(e, 0), textsOf, async (a, b) => {
        const s = await scorePairs(model, tokenizer, a, b, { maxLength: p.maxLength, batchSize: p.scoreBatchSize });
        onBatch(a.length);
        return s;
      }, ctx.inputs.candidates, p.groupSize);
      for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') ctx.metric(`reward/${k}`, v);
      ctx.log.info(describeMetrics(metrics));

      await writeRewardScores(joined, files, outScores, async (a, b) => {
        const s = await scorePairs(model, tokenizer, a, b, { maxLength: p.maxLength, batchSize: p.scoreBatchSize });
        onBatch(a.length);
        return s;
      }, { scorer: 'reward-model', init: source, useLabel: p.useLabel, scoresFrom: await scorerOf(scoresDir) });
      ctx.metric('reward/scored_queries', joined.queries.length);

      await savePretrained(outModel, model, { tokenizerJson });
      // What the model is, not how this run went: throughput and resumes are metrics only, so the
      // same key always yields byte-identical outputs.
      const summary = { ...metrics, init: source, steps: result.steps, lastLoss: result.lastLoss, trainQueries: train.length, droppedQueries: joined.dropped };
      await writeFile(join(outModel, 'metrics.json'), JSON.stringify(summary, null, 2) + '\n');
      ctx.metric('reward/groups_per_second', trainedGroups / Math.max(seconds, 1e-3));
      if (result.resumedFrom > 0) ctx.metric('reward/resumed_from_step', result.resumedFrom);
      ctx.progress(total, total);
    } finally {
      model.dispose();
    }
  },
});

function reportCounts(ctx: { log: { warn(m: string): void; info(m: string): void }; metric(n: string, v: number): void }, j: JoinedScores, topk: number): void {
  const dropped = Object.values(j.dropped).reduce((a, b) => a + b, 0);
  if (dropped > 0) {
    const per = Object.entries(j.dropped).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ');
    ctx.log.warn(`${dropped} of ${j.queries.length} scored queries have ${topk} or fewer candidates or no positive above the −100 penalty: not trained on, still scored (${per})`);
  }
  if (j.otherSplits > 0) ctx.log.info(`${j.otherSplits} lines of other splits ignored (only train queries are scored)`);
  ctx.metric('reward/scored_train_queries', j.queries.length);
  ctx.metric('reward/dropped_queries', dropped);
}

interface ModelParts { model: CrossEncoder; tokenizer: Tokenizer; tokenizerJson: string; source: string }

async function openModel(inputs: PluginContextOf<typeof self>['inputs'], p: RewardModelParams): Promise<ModelParts> {
  const initDir = inputs.init;
  const tokInput = inputs.tokenizer;
  if (!initDir && !tokInput) throw new NodeFailure('the reward model needs a `tokenizer` input (or an `init` model folder holding tokenizer.json)');
  let model: CrossEncoder;
  let tokFile: string;
  let source: string;
  if (initDir) {
    const pre = await loadPretrained(initDir, { as: 'cross-encoder', seed: p.seed });
    if (!(pre.model instanceof CrossEncoder)) {
      pre.model.dispose();
      throw new NodeFailure(`${initDir}: a ${pre.arch.family} model cannot be a cross-encoder (use a BERT or ELECTRA folder)`);
    }
    model = pre.model;
    // The embeddings fit the checkpoint's own vocabulary, so its tokenizer wins when it has one.
    tokFile = pre.tokenizerPath ?? await resolveTokenizerFile(tokInput!);
    source = `pretrained:${pre.architecture ?? pre.arch.family}`;
  } else {
    tokFile = await resolveTokenizerFile(tokInput!);
    source = 'scratch';
  }
  const tokenizer = await loadTokenizer(tokFile);
  try {
    checkPairTokenizer(tokenizer, tokFile);
    if (!initDir) {
      if (p.hiddenSize % p.numHeads !== 0) throw new NodeFailure(`numHeads ${p.numHeads} does not divide hiddenSize ${p.hiddenSize}`);
      model = new CrossEncoder({
        vocabSize: tokenizer.vocabSize, hiddenSize: p.hiddenSize, embeddingSize: p.hiddenSize, numLayers: p.numLayers, numHeads: p.numHeads,
        intermediateSize: p.intermediateSize, maxPositions: Math.max(p.maxLength, 8), hiddenDropout: p.dropout, attentionDropout: p.dropout,
        padTokenId: tokenizer.tokenToId('[PAD]') ?? 0,
      }, p.seed);
    }
    const c = model!.encoder.config;
    if (tokenizer.vocabSize > c.vocabSize) throw new NodeFailure(`${tokFile}: ${tokenizer.vocabSize} tokens, but the model's embeddings hold ${c.vocabSize}`);
    if (p.maxLength > c.maxPositions) throw new NodeFailure(`maxLength ${p.maxLength} exceeds the model's ${c.maxPositions} positions`);
  } catch (e) {
    if (initDir) model!.dispose();
    throw e;
  }
  return { model: model!, tokenizer, tokenizerJson: await readFile(tokFile, 'utf8'), source };
}

export interface HeldOutMetrics {
  heldout_queries: number;
  /** The reward model: share of held-out groups whose positive scores above all G−1 negatives. */
  heldout_group_accuracy?: number;
  heldout_pairwise_accuracy?: number;
  /** A random order: 1/G and 1/2. */
  chance_group_accuracy: number;
  chance_pairwise_accuracy: number;
  /** BM25's order of the same groups (when the bm25 candidates are given). */
  bm25_group_accuracy?: number;
  bm25_pairwise_accuracy?: number;
}

type PairScorer = (a: string[], b: string[]) => Promise<Float32Array>;

/**
 * Ranking quality on held-out queries: each gets the group it would have trained on at epoch 0
 * (a positive from the top k, negatives from the bottom), scored by the model and, if given, by
 * BM25's rank (a candidate BM25 did not return ranks below all it did).
 */
async function heldOutMetrics(
  heldOut: readonly TrainingExample[],
  groupOf: (e: TrainingExample) => Group,
  textsOf: (e: TrainingExample, g: Group) => RewardGroup,
  score: PairScorer,
  candidatesDir: string | undefined,
  groupSize: number,
): Promise<HeldOutMetrics> {
  const out: HeldOutMetrics = { heldout_queries: heldOut.length, chance_group_accuracy: 1 / groupSize, chance_pairwise_accuracy: 0.5 };
  if (heldOut.length === 0) return out;
  const groups = heldOut.map(groupOf);
  const a: string[] = [];
  const b: string[] = [];
  // One group per held-out example, in order.
  heldOut.forEach((e, i) => {
    const t = textsOf(e, groups[i]!);
    for (const c of t.candidates) {
      a.push(t.a);
      b.push(c);
    }
  });
  const logits = await score(a, b);
  const model = rankingAccuracy(groups.map((g, i) => Array.from(logits.subarray(i * g.ids.length, (i + 1) * g.ids.length))));
  out.heldout_group_accuracy = model.groupAccuracy;
  out.heldout_pairwise_accuracy = model.pairwiseAccuracy;
  if (candidatesDir) {
    const ranks = new Map<string, Map<string, number>>();
    for (const f of await readScoresFolder(candidatesDir)) {
      for (const l of f.lines) ranks.set(`${f.task}\u0000${l.id}`, new Map(l.candidates.map((c, r) => [c.id, r])));
    }
    const bm25 = rankingAccuracy(heldOut.map((e, i) => {
      const r = ranks.get(`${e.query.task}\u0000${e.query.line.id}`);
      return groups[i]!.ids.map((id) => -(r?.get(id) ?? Infinity));
    }));
    out.bm25_group_accuracy = bm25.groupAccuracy;
    out.bm25_pairwise_accuracy = bm25.pairwiseAccuracy;
  }
  return out;
}

function describeMetrics(m: HeldOutMetrics): string {
  if (m.heldout_group_accuracy === undefined) return 'no held-out queries: ranking accuracy not measured (heldOutFraction is 0 or too few queries)';
  const f = (x: number) => x.toFixed(3);
  const bm25 = m.bm25_group_accuracy !== undefined ? `, BM25 ${f(m.bm25_group_accuracy)} / ${f(m.bm25_pairwise_accuracy!)}` : '';
  return `held-out ranking (${m.heldout_queries} queries), group / pairwise accuracy: reward model ${f(m.heldout_group_accuracy)} / ${f(m.heldout_pairwise_accuracy!)}, chance ${f(m.chance_group_accuracy)} / 0.500${bm25}`;
}

/** Reward logits for every candidate of every scored train query, one scores file per task. */
async function writeRewardScores(j: JoinedScores, files: readonly ScoresFile[], dir: string, score: PairScorer, index: Record<string, unknown>): Promise<void> {
  const tasks: { task: string; file: string; queries: number }[] = [];
  for (const f of files) {
    const queries = j.queries.filter((q) => q.task === f.task);
    const a: string[] = [];
    const b: string[] = [];
    for (const q of queries) for (const c of q.contents) {
      a.push(q.a);
      b.push(c);
    }
    const logits = await score(a, b);
    let at = 0;
    const lines = queries.map((q) => ({
      id: q.line.id, split: 'train',
      candidates: q.line.candidates.map((c) => ({ id: c.id, score: logits[at++]! })), // a logit per pair scored
    }));
    const file = `${f.task}.jsonl`;
    await writeScoresFile(join(dir, file), lines);
    tasks.push({ task: f.task, file, queries: lines.length });
  }
  await writeIndex(dir, { ...index, tasks });
}

/** The LM scores as the reward: the same lines, re-sorted (already sorted when well formed). */
async function passThrough(files: readonly ScoresFile[], dir: string, scoresDir: string): Promise<void> {
  const tasks: { task: string; file: string; queries: number }[] = [];
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    const lines = f.lines.filter((l) => l.split === 'train');
    const file = `${f.task}.jsonl`;
    await writeScoresFile(join(dir, file), lines);
    tasks.push({ task: f.task, file, queries: lines.length });
  }
  await writeIndex(dir, { scorer: 'llm-score-as-reward', scoresFrom: await scorerOf(scoresDir), tasks });
}

/** The scorer index.json names, for provenance (absent or unreadable: null). */
async function scorerOf(dir: string): Promise<unknown> {
  try {
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { scorer?: unknown };
    return index.scorer ?? null;
  } catch {
    return null;
  }
}
