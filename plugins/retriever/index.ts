// The `retriever` stage: LLM-R's dense retriever (methods.md §1.5). A bi-encoder is distilled from
// teacher scores (the reward model's re-scoring, or LM scores), then encodes every task's pool into
// a vector index and retrieves candidates for every train and test query in the bm25 format.

import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure, type PluginContextOf } from '../../src/plugin/api.js';
import { DataError } from '../../src/lib/data/errors.js';
import { listTaskFolders, loadTaskFolder, splitFile, type LoadedTask } from '../../src/lib/data/task-folder.js';
import type { TaskRow } from '../../src/lib/data/task.js';
import { renderDemonstration, renderQuery, taskSpecFor } from '../../src/lib/tasks/registry.js';
import { Bm25Index } from '../../src/lib/ml/bm25.js';
import { BiEncoder } from '../../src/lib/llmr/bi-encoder.js';
import { hashString, isValidExample } from '../../src/lib/llmr/groups.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { loadPretrained, savePretrained } from '../../src/lib/nn/pretrained.js';
import { NEGATIVES_PARAM_SCHEMA } from '../../src/lib/negatives/for-examples.js';
import type { Tokenizer } from '../../src/lib/nn/tokenizer/core.js';
import { agreement, type ScoredForAgreement } from './agreement.js';
import { buildIndex, DEFAULT_QUANTIZE, searchExcluding } from './retrieve.js';
import { readTeacherScores, type TeacherQuery } from './scores.js';
import { NegativeRefresher, REMINE_PARAM_SCHEMA, checkRemine, type RemineParam } from './remine.js';
import { buildExamples, trainBiEncoder, type TaskTexts } from './training.js';
import { openTokenizerInput } from '../../src/lib/llmr/tokenizer-input.js';

/** One line of `<task>.jsonl`, as the bm25 stage writes it. */
interface CandidateLine {
  id: string;
  split: string;
  candidates: { id: string; score: number }[];
}

const int = (minimum: number, dflt: number, description: string) => ({ type: 'integer', minimum, default: dflt, description }) as const;
const num = (minimum: number, dflt: number, description: string) => ({ type: 'number', minimum, default: dflt, description }) as const;

/** The params run receives (defaults applied), read from the schema below. */
export type RetrieverParams = PluginParams<typeof self>;
type RetrieverContext = PluginContextOf<typeof self>;

export default definePlugin({
  id: 'retriever',
  version: '1.0.0',
  description: 'LLM-R\'s dense retriever: a bi-encoder distilled from teacher scores (KL over groups + α·in-batch InfoNCE), a vector index per task, and candidates for every train and test query.',
  runtime: backendRuntime,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      steps: int(0, 120, 'Optimizer steps (LLM-R: 6000 with E5-base).'),
      batchSize: int(1, 16, 'Queries per step, each with its group (LLM-R: 32).'),
      groupSize: int(2, 4, 'G: 1 positive + G−1 negatives per query (LLM-R train_n_passages: 4).'),
      lr: num(0, 5e-4, 'Peak learning rate (LLM-R: 3e-5 from E5; a small encoder from scratch needs more).'),
      warmupSteps: int(0, 10, 'Linear warmup, then linear decay to 0 (LLM-R: 400).'),
      weightDecay: num(0, 0.01, 'AdamW decoupled weight decay.'),
      clipNorm: num(0, 1, 'Clip the global gradient norm to this.'),
      temperature: { type: 'number', exclusiveMinimum: 0, default: 0.01, description: 'τ: scores are cos/τ (LLM-R: 0.01).' },
      alpha: num(0, 0.2, 'α, the weight of the contrastive term; the KL term has weight 1 (LLM-R kd_cont_loss_weight: 0.2).'),
      fullContrastive: { type: 'boolean', default: true, description: 'LLM-R\'s full InfoNCE (q–k, k–q, q–q, k–k) or only q–k and k–q.' },
      topkAsPositive: int(1, 3, 'Positives: the teacher\'s top k candidates (LLM-R: 3).'),
      negatives: NEGATIVES_PARAM_SCHEMA,
      // No default, as `seed`: recipes without it keep their keys.
      remine: REMINE_PARAM_SCHEMA,
      bottomkAsNegative: { type: 'integer', minimum: -1, default: 16, description: 'Negatives: the teacher\'s bottom k (−1: all non-positives; LLM-R: 16).' },
      freezePositionEmbeddings: { type: 'boolean', default: true, description: 'Keep the position embeddings fixed, as LLM-R does.' },
      maxLength: int(8, 64, 'Tokens per sequence, special tokens included (LLM-R: 256).'),
      hiddenSize: int(8, 64, 'Width of the encoder built from scratch (ignored with `init`).'),
      layers: int(1, 1, 'Transformer layers of the encoder built from scratch.'),
      heads: int(1, 2, 'Attention heads of the encoder built from scratch.'),
      intermediateSize: int(8, 256, 'Feed-forward width of the encoder built from scratch.'),
      dropout: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'Hidden and attention dropout of the encoder built from scratch.' },
      topK: int(1, 100, 'Candidates kept per query (LLM-R: 100).'),
      querySplits: { type: 'array', items: { type: 'string' }, default: ['train', 'test'], description: 'Splits whose rows are queries (missing splits are skipped).' },
      excludeSameQuery: { type: 'boolean', default: true, description: 'Also drop pool rows whose query text equals the query\'s (as the bm25 stage does).' },
      index: { enum: ['auto', 'hnsw', 'exact'], default: 'auto', description: 'Vector index per task: hnswlib, exact search, or exact below `exactBelow` pool rows.' },
      exactBelow: int(0, 1000, 'With index auto, pools smaller than this are searched exactly.'),
      M: int(2, 16, 'HNSW links per node.'),
      efConstruction: int(1, 200, 'HNSW candidate list while building.'),
      efSearch: int(1, 128, 'HNSW candidate list while searching (raised to k when smaller).'),
      quantize: {
        enum: ['int8', 'bf16', 'none'], default: DEFAULT_QUANTIZE,
        description: 'HNSW search: `int8` (default) walks the graph on uint8 codes (outlying values clipped, their rows walked in float) and re-ranks the candidates ' +
          'with hnswlib\'s float cosine (the float walk\'s recall at the same efSearch, about 1.6× faster); `bf16` walks bfloat16 rows; `none` walks float rows ' +
          '(answers equal to hnswlib-node\'s) (plugin README).',
      },
      encodeBatchSize: int(1, 64, 'Sequences per forward pass when encoding pools and queries.'),
      agreementHoldout: { type: 'number', minimum: 0, maximum: 0.9, default: 0.1, description: 'Share of scored queries kept out of training to measure agreement with the teacher.' },
      checkpointEvery: int(1, 100, 'Steps between training checkpoints (in the node\'s scratch; a killed node resumes).'),
      logEvery: int(1, 10, 'Steps between logged training metrics.'),
      // No default: recipes without it keep their keys (and their cached retrievers).
      seed: { type: 'integer', description: 'Seeds the weights, batches, negatives and held-out split; unset, a seed derived from the node key. A sweep axis of seeds repeats training alone.' },
    },
  },
  inputs: {
    tasks: { description: 'A directory of task folders (the tasks plugin\'s output).' },
    scores: { many: true, description: 'Teacher scores: one or more scores folders (reward-model re-scoring or llm-score output); several train on their union.' },
    tokenizer: { optional: true, description: 'A folder with tokenizer.json (the tokenizer plugin\'s output); optional when `init` holds one.' },
    init: { optional: true, description: 'A Hugging Face BERT-style encoder folder (config.json + model.safetensors), e.g. E5; else a small encoder is trained from scratch.' },
  },
  outputs: {
    model: { description: 'The trained encoder as a Hugging Face folder, with tokenizer.json and retriever.json.' },
    index: { description: 'Per task the pool embeddings in a saved vector index (<task>.hnsw or .bin plus <task>.json), and index.json.' },
    candidates: { description: 'The bm25 candidates format: <task>.jsonl, {id, split, candidates: [{id, score}]} best first, plus index.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const remine: RemineParam | undefined = p.remine;
    if (remine) checkRemine(remine, p.negatives);
    const backend = await initBackend();
    ctx.log.info(backend.summary);

    const loaded = await loadTasks(ctx.inputs.tasks);
    const texts = new Map<string, TaskTexts>([...loaded].map(([name, t]) => [name, taskTexts(t.task, t.pool)]));
    const { tokenizer, tokenizerFile } = await openTokenizer(ctx);
    const model = await buildModel(ctx, tokenizer);
    const biEncoder = new BiEncoder(model, tokenizer, { maxLength: p.maxLength });
    try {
      // Teacher scores → training examples; a seeded share is held out to measure agreement.
      const scoreDirs = ([] as string[]).concat(ctx.inputs.scores ?? []);
      if (scoreDirs.length === 0) throw new NodeFailure('the retriever needs a `scores` input (the reward model\'s re-scoring or the llm-score output)');
      const pools = new Map([...texts].map(([name, t]) => [name, new Set(t.poolIds)]));
      const { queries, unknownTasks } = readTeacherScores(scoreDirs, pools);
      if (unknownTasks.length > 0) ctx.log.warn(`scores for tasks not in the tasks input, ignored: ${unknownTasks.join(', ')}`);
      // By a hash of the query, so the same query is held out in every scores folder of a union.
      const heldOut = (q: TeacherQuery) => ((hashString(`${q.task}\u0000${q.id}`) ^ seedOf(ctx)) >>> 0) % 1000 < p.agreementHoldout * 1000;
      const trainQueries = queries.filter((q) => !heldOut(q));
      const built = buildExamples(
        trainQueries,
        texts,
        { topkAsPositive: p.topkAsPositive, bottomkAsNegative: p.bottomkAsNegative, seed: seedOf(ctx), negatives: p.negatives },
      );
      if (built.examples.length === 0) {
        throw new NodeFailure(`no usable training query in ${scoreDirs.join(', ')}: each needs more than ${p.topkAsPositive} scored candidates and a ${p.topkAsPositive}rd-best score above −100`);
      }
      ctx.log.info(`${built.examples.length} training queries (${built.dropped} dropped as invalid, ${queries.length - trainQueries.length} held out for agreement; ${built.sameLabelRemoved} same-label negatives removed)`);
      ctx.metric('retriever/train_queries', built.examples.length);

      const indexSettings = {
        index: p.index, exactBelow: p.exactBelow, M: p.M, efConstruction: p.efConstruction, efSearch: p.efSearch, quantize: p.quantize, seed: seedOf(ctx),
      };
      const examples = remine && remine.every > 0
        ? new NegativeRefresher(built.examples, built.queries, texts, biEncoder, {
            ...remine, negatives: p.negatives, seed: seedOf(ctx), temperature: p.temperature,
            encodeBatchSize: p.encodeBatchSize, excludeSameQuery: p.excludeSameQuery, index: indexSettings,
          }, { dir: ctx.scratch, metric: ctx.metric, log: ctx.log })
        : built.examples;
      const began = Date.now();
      const trained = await trainBiEncoder(biEncoder, examples, texts, {
        steps: p.steps, batchSize: p.batchSize, groupSize: p.groupSize, lr: p.lr, warmupSteps: p.warmupSteps,
        weightDecay: p.weightDecay, clipNorm: p.clipNorm, temperature: p.temperature, alpha: p.alpha,
        fullContrastive: p.fullContrastive, seed: seedOf(ctx), logEvery: p.logEvery,
        checkpoint: { dir: ctx.scratch, every: p.checkpointEvery, fingerprint: JSON.stringify({ params: p, scores: scoreDirs.length }) },
      }, { metric: ctx.metric, log: ctx.log, signal: ctx.signal, progress: (d, t) => ctx.progress(d, 2 * t) });
      const trainSeconds = (Date.now() - began) / 1000;
      const stepsRun = p.steps - trained.resumedFrom;
      if (stepsRun > 0) ctx.metric('retriever/train_examples_per_s', (stepsRun * p.batchSize) / trainSeconds);

      await saveModel(ctx.output('model'), biEncoder, tokenizerFile, p);
      // Agreement is measured on queries that have teacher positives at all.
      const measurable = queries.filter((q) => isValidExample(q, p.topkAsPositive));
      await retrieveAll(ctx, biEncoder, loaded, texts, measurable.filter(heldOut), p.agreementHoldout === 0 ? measurable : undefined);
    } finally {
      model.dispose();
    }
  },
});

interface TaskEntry {
  task: LoadedTask;
  dir: string;
  /** The task's train rows: what the retriever indexes and trains on (never empty). */
  pool: TaskRow[];
}

async function loadTasks(root: string): Promise<Map<string, TaskEntry>> {
  const out = new Map<string, TaskEntry>();
  for (const dir of await listTaskFolders(root)) {
    const task = await loadTaskFolder(dir);
    const pool = task.splits.train ?? [];
    if (pool.length === 0) {
      throw new DataError(splitFile(dir, 'train'), 0, `task ${task.meta.name} has an empty train pool: the retriever has nothing to index or train on`);
    }
    out.set(task.meta.name, { task, dir, pool });
  }
  if (out.size === 0) throw new DataError(root, 0, 'no task folders');
  return out;
}

function taskTexts(t: LoadedTask, pool: readonly TaskRow[]): TaskTexts {
  const spec = taskSpecFor(t.meta);
  return {
    poolIds: pool.map((r) => r.id),
    query: new Map(pool.map((r) => [r.id, renderQuery(spec, r)])),
    demonstration: new Map(pool.map((r) => [r.id, renderDemonstration(spec, r)])),
    label: t.meta.type === 'classification' ? new Map(pool.map((r) => [r.id, r.output])) : undefined,
  };
}

/** The `seed` param when given, else the node's own seed. */
function seedOf(ctx: RetrieverContext): number {
  return ctx.params.seed ?? ctx.seed;
}

async function openTokenizer(ctx: RetrieverContext): Promise<{ tokenizer: Tokenizer; tokenizerFile: string }> {
  const given = ctx.inputs.tokenizer ?? ctx.inputs.init;
  if (given === undefined) throw new NodeFailure('the retriever needs a `tokenizer` input (the tokenizer plugin\'s output) or an `init` folder holding tokenizer.json');
  return openTokenizerInput(given);
}

async function buildModel(ctx: RetrieverContext, tokenizer: Tokenizer): Promise<BertEncoder> {
  const p = ctx.params;
  let model: BertEncoder;
  const init = ctx.inputs.init;
  if (init !== undefined) {
    const loaded = await loadPretrained(init, { as: 'encoder', seed: seedOf(ctx) });
    if (!(loaded.model instanceof BertEncoder)) {
      loaded.model.dispose();
      throw new NodeFailure(`${init}: a ${loaded.arch.family} model; the retriever needs a BERT-style encoder`);
    }
    model = loaded.model;
    ctx.log.info(`encoder from ${init}: ${model.config.numLayers} layers, width ${model.config.hiddenSize}`);
  } else {
    const padId = tokenizer.tokenToId('[PAD]') ?? tokenizer.tokenToId('<pad>') ?? 0;
    model = new BertEncoder({
      vocabSize: tokenizer.vocabSize, hiddenSize: p.hiddenSize, embeddingSize: p.hiddenSize, numLayers: p.layers, numHeads: p.heads,
      intermediateSize: p.intermediateSize, maxPositions: p.maxLength, hiddenDropout: p.dropout, attentionDropout: p.dropout,
      padTokenId: padId, pooler: false,
    }, seedOf(ctx));
  }
  if (tokenizer.vocabSize > model.config.vocabSize) {
    model.dispose();
    throw new NodeFailure(`the tokenizer has ${tokenizer.vocabSize} tokens but the encoder's vocabulary holds ${model.config.vocabSize}`);
  }
  if (p.maxLength > model.config.maxPositions) {
    const max = model.config.maxPositions;
    model.dispose();
    throw new NodeFailure(`maxLength ${p.maxLength} exceeds the encoder's ${max} positions`);
  }
  if (p.freezePositionEmbeddings) model.setTrainable('embeddings.position_embeddings.weight', false);
  return model;
}

async function saveModel(dir: string, model: BiEncoder, tokenizerFile: string, p: RetrieverParams): Promise<void> {
  await savePretrained(dir, model.encoder, { tokenizerJson: readFileSync(tokenizerFile, 'utf8') });
  const info = { pooling: 'mean', normalize: true, temperature: p.temperature, maxLength: p.maxLength, query: 'x', candidate: 'x\\ny' };
  await writeFile(join(dir, 'retriever.json'), JSON.stringify(info, null, 2) + '\n');
}

/**
 * Encodes each pool into its index, retrieves for every query and measures agreement with the
 * teacher on the held-out scored queries (on all of them when nothing is held out).
 */
async function retrieveAll(
  ctx: RetrieverContext,
  model: BiEncoder,
  loaded: Map<string, TaskEntry>,
  texts: Map<string, TaskTexts>,
  heldOut: TeacherQuery[],
  allQueries: TeacherQuery[] | undefined,
): Promise<void> {
  const p = ctx.params;
  const candidatesDir = ctx.output('candidates');
  const indexDir = ctx.output('index');
  await mkdir(indexDir, { recursive: true });
  const evaluated = allQueries ?? heldOut;
  const byTask = new Map<string, TeacherQuery[]>();
  for (const q of evaluated) byTask.set(q.task, [...(byTask.get(q.task) ?? []), q]);

  const totalSeqs = [...loaded.values()].reduce(
    (n, { task, pool }) => n + pool.length + p.querySplits.reduce((m, s) => m + (task.splits[s]?.length ?? 0), 0),
    0,
  );
  let encoded = 0;
  let encodeMs = 0;
  let searchMs = 0;
  let searched = 0;
  const forAgreement: ScoredForAgreement[] = [];
  const retrieverScores: number[][] = [];
  const bm25Scores: number[][] = [];
  const taskIndex: { task: string; file: string; queries: number; pool: number; index: string }[] = [];
  const dim = model.dim;

  for (const [name, { task, pool }] of loaded) {
    ctx.signal.throwIfAborted();
    const t = texts.get(name)!;
    const spec = taskSpecFor(task.meta);
    let start = Date.now();
    const poolVectors = model.embedAll(pool.map((r) => t.demonstration.get(r.id)!), p.encodeBatchSize);
    encodeMs += Date.now() - start;
    encoded += pool.length;
    const index = buildIndex(
      poolVectors,
      dim,
      t.poolIds,
      { index: p.index, exactBelow: p.exactBelow, M: p.M, efConstruction: p.efConstruction, efSearch: p.efSearch, quantize: p.quantize, seed: seedOf(ctx) },
    );
    index.save(indexDir, name);
    const rowOf = new Map(t.poolIds.map((id, i) => [id, i]));
    const byQueryText = new Map<string, number[]>();
    pool.forEach((r, i) => {
      const q = t.query.get(r.id)!;
      byQueryText.set(q, [...(byQueryText.get(q) ?? []), i]);
    });

    const file = `${name}.jsonl`;
    const stream = createWriteStream(join(candidatesDir, file));
    let queries = 0;
    let trainVectors: Float32Array | undefined;
    for (const split of p.querySplits) {
      const rows = task.splits[split] ?? [];
      if (rows.length === 0) continue;
      const queryTexts = rows.map((r) => renderQuery(spec, r));
      start = Date.now();
      const vectors = model.embedAll(queryTexts, p.encodeBatchSize);
      encodeMs += Date.now() - start;
      encoded += rows.length;
      if (split === 'train') trainVectors = vectors;
      const wanted = rows.map((_, i) => {
        const exclude = new Set<number>(p.excludeSameQuery ? byQueryText.get(queryTexts[i]!) ?? [] : []); // a text per row
        if (split === 'train') exclude.add(i); // the query's own row
        return { vector: vectors.subarray(i * dim, (i + 1) * dim), exclude };
      });
      start = Date.now();
      const hits = searchExcluding(index, wanted, p.topK);
      searchMs += Date.now() - start;
      searched += rows.length;
      // One hit list per row; its rows index the pool, with a score each.
      for (const [i, row] of rows.entries()) {
        const hit = hits[i]!;
        const line: CandidateLine = { id: row.id, split, candidates: hit.rows.map((r, j) => ({ id: t.poolIds[r]!, score: round(hit.scores[j]!) })) };
        if (!stream.write(JSON.stringify(line) + '\n')) await once(stream, 'drain');
        queries++;
      }
      ctx.progress(1 + encoded / totalSeqs, 2); // training was the first half
    }
    stream.end();
    await once(stream, 'finish');
    taskIndex.push({ task: name, file, queries, pool: pool.length, index: index.kind });
    index.dispose();

    // Agreement with the teacher on this task's evaluated scored queries.
    const scored = byTask.get(name) ?? [];
    if (scored.length > 0) {
      const trainRow = new Map(t.poolIds.map((id, i) => [id, i]));
      const vectorsOfTrain = trainVectors ?? model.embedAll(pool.map((r) => t.query.get(r.id)!), p.encodeBatchSize);
      const bm25 = Bm25Index.build(pool.map((r) => t.demonstration.get(r.id)!));
      for (const q of scored) {
        const rows = q.candidates.map((c) => rowOf.get(c.id)!);
        const qi = trainRow.get(q.id)!;
        const qv = vectorsOfTrain.subarray(qi * dim, (qi + 1) * dim);
        forAgreement.push({ rows, teacher: q.candidates.map((c) => c.score) });
        retrieverScores.push(rows.map((r) => dot(qv, poolVectors.subarray(r * dim, (r + 1) * dim))));
        const queryText = t.query.get(q.id)!;
        bm25Scores.push(rows.map((r) => bm25.score(queryText, r)));
      }
    }
  }

  await writeFile(join(candidatesDir, 'index.json'), JSON.stringify({ retriever: 'llm-r bi-encoder', topK: p.topK, tasks: taskIndex.map(({ index: _, ...rest }) => rest) }, null, 2) + '\n');
  await writeFile(join(indexDir, 'index.json'), JSON.stringify({ metric: 'cosine', dim, tasks: taskIndex.map((e) => ({ task: e.task, name: e.task, kind: e.index, pool: e.pool })) }, null, 2) + '\n');

  ctx.metric('retriever/tasks', taskIndex.length);
  ctx.metric('retriever/queries', searched);
  if (encodeMs > 0) ctx.metric('retriever/encode_seqs_per_s', encoded / (encodeMs / 1000));
  if (searchMs > 0) ctx.metric('retriever/queries_per_s', searched / (searchMs / 1000));
  if (forAgreement.length > 0) {
    // Both score tables have a row per query of forAgreement and a score per candidate.
    const ours = agreement(forAgreement, (qi, i) => retrieverScores[qi]![i]!, p.topkAsPositive, p.bottomkAsNegative < 0 ? Infinity : p.bottomkAsNegative);
    const bm25 = agreement(forAgreement, (qi, i) => bm25Scores[qi]![i]!, p.topkAsPositive, p.bottomkAsNegative < 0 ? Infinity : p.bottomkAsNegative);
    ctx.metric('retriever/agreement_queries', ours.queries);
    ctx.metric('retriever/agreement_top1', ours.top1);
    ctx.metric('retriever/agreement_pairwise', ours.pairwise);
    ctx.metric('retriever/bm25_agreement_top1', bm25.top1);
    ctx.metric('retriever/bm25_agreement_pairwise', bm25.pairwise);
    ctx.metric('retriever/random_agreement_top1', ours.randomTop1);
    ctx.log.info(`agreement with the teacher on ${ours.queries} ${allQueries ? 'scored' : 'held-out'} queries: top-1 is a positive ${pct(ours.top1)} (BM25 ${pct(bm25.top1)}, random ${pct(ours.randomTop1)}); pairs ordered right ${pct(ours.pairwise)} (BM25 ${pct(bm25.pairwise)})`);
  } else {
    ctx.log.warn('no scored queries to measure agreement with the teacher on');
  }
  ctx.progress(2, 2);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; // vectors of one dimension
  return s;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
