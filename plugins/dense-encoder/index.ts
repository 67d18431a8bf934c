// The `dense-encoder` stage: LLM-R's "Dense (unsupervised)" baseline, where the paper uses E5. An
// encoder is trained on the train pools without LM feedback (SimCSE by default, or BM25 pairs),
// or a pretrained one is taken as it is; then each task's pool goes into a vector index and every
// train and test query gets its candidates from its own task's pool, in the bm25 format.

import { readFileSync } from 'node:fs';
import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure, type PluginContextOf } from '../../src/plugin/api.js';
import { BiEncoder } from '../../src/lib/llmr/bi-encoder.js';
import { openEncoderFolder, saveEncoderFolder, SentenceEncoder } from '../../src/lib/llmr/encoder-folder.js';
import { loadTaskPools, type TaskPool } from '../../src/lib/llmr/pools.js';
import { bm25Pairs, simcsePairs, SIMCSE_TEMPERATURE, trainUnsupervised, type TextPair } from '../../src/lib/llmr/unsupervised.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import type { Tokenizer } from '../../src/lib/nn/tokenizer/core.js';
import { writeDenseCandidates } from './search.js';
import { DEFAULT_QUANTIZE } from '../retriever/retrieve.js';
import { openTokenizerInput } from '../../src/lib/llmr/tokenizer-input.js';

const int = (minimum: number, dflt: number, description: string) => ({ type: 'integer', minimum, default: dflt, description }) as const;
const num = (minimum: number, dflt: number, description: string) => ({ type: 'number', minimum, default: dflt, description }) as const;

/** The params run receives (defaults applied), read from the schema below. */
export type DenseEncoderParams = PluginParams<typeof self>;

export default definePlugin({
  id: 'dense-encoder',
  version: '1.0.0',
  description: 'An unsupervised dense encoder (SimCSE, or BM25 pairs) trained on the train pools without LM feedback, or a pretrained one (E5 in LLM-R); candidates for every train and test query through a vector index.',
  runtime: backendRuntime,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      objective: { enum: ['simcse', 'bm25-pairs'], default: 'simcse', description: 'simcse: a text and itself under another dropout mask are a pair; bm25-pairs: a query and its BM25 top-1 demonstration. In-batch negatives either way.' },
      seed: { type: 'integer', description: 'Seed of the initial weights, batches and dropout (default: derived from the node key).' },
      steps: int(0, 150, 'Optimizer steps (0: keep the initial weights).'),
      batchSize: int(2, 32, 'Pairs per step (SimCSE: 64).'),
      lr: num(0, 5e-4, 'Peak learning rate (SimCSE from BERT: 3e-5; a small encoder from scratch needs more).'),
      warmupSteps: int(0, 10, 'Linear warmup, then linear decay to 0.'),
      weightDecay: num(0, 0.01, 'AdamW decoupled weight decay.'),
      clipNorm: num(0, 1, 'Clip the global gradient norm to this.'),
      temperature: { type: 'number', exclusiveMinimum: 0, default: SIMCSE_TEMPERATURE, description: 'τ of the InfoNCE loss: scores are cos/τ (SimCSE: 0.05).' },
      sameTaskBatches: { type: 'boolean', default: true, description: 'Draw each batch from one task, so negatives are the task\'s own texts (retrieval is within a task); false mixes tasks.' },
      maxLength: int(8, 64, 'Tokens per sequence, special tokens included (for `init`: used when its folder does not say).'),
      prefix: { type: 'string', default: '', description: 'Put before every query and demonstration (E5 expects "query: "); a folder\'s encoder.json wins.' },
      hiddenSize: int(8, 64, 'Width of the encoder built from scratch (ignored with `init`).'),
      layers: int(1, 1, 'Transformer layers of the encoder built from scratch.'),
      heads: int(1, 2, 'Attention heads of the encoder built from scratch.'),
      intermediateSize: int(8, 256, 'Feed-forward width of the encoder built from scratch.'),
      dropout: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'Hidden and attention dropout of the encoder built from scratch (SimCSE\'s only augmentation: must be above 0 for simcse).' },
      freezePositionEmbeddings: { type: 'boolean', default: false, description: 'Keep the position embeddings at their initial values while training.' },
      topK: int(1, 100, 'Candidates kept per query.'),
      querySplits: { type: 'array', items: { type: 'string' }, default: ['train', 'test'], description: 'Splits whose rows are queries (missing splits are skipped).' },
      excludeSameQuery: { type: 'boolean', default: true, description: 'Also drop pool rows whose query text equals the query\'s (as the bm25 stage does); bm25-pairs excludes them from positives too.' },
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
      checkpointEvery: int(1, 100, 'Steps between training checkpoints (in the node\'s scratch; a killed node resumes).'),
      logEvery: int(1, 10, 'Steps between logged training metrics.'),
    },
  },
  inputs: {
    tasks: { description: 'A directory of task folders (the tasks plugin\'s output).' },
    tokenizer: { optional: true, description: 'A folder with tokenizer.json (the tokenizer plugin\'s output); needed unless `init` is given.' },
    init: { optional: true, description: 'A pretrained encoder folder (config.json, model.safetensors, tokenizer.json; e.g. E5 converted to safetensors, or another dense-encoder model): used as it is, without training.' },
  },
  outputs: {
    model: { description: 'The encoder: a Hugging Face folder (config.json, model.safetensors, tokenizer.json) plus encoder.json (pooling, maxLength, prefix).' },
    candidates: { description: 'The bm25 candidates format: <task>.jsonl, {id, split, candidates: [{id, score}]} best first (score: cosine), plus index.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend();
    ctx.log.info(backend.summary);
    const pools = await loadTaskPools(ctx.inputs.tasks, 'dense-encoder');
    const init = ctx.inputs.init;
    const { encoder, tokenizerFile } = init !== undefined ? await openInit(ctx, init) : await buildAndTrain(ctx, pools);
    try {
      await saveEncoderFolder(ctx.output('model'), encoder, readFileSync(tokenizerFile, 'utf8'));
      const stats = await writeDenseCandidates(ctx.output('candidates'), encoder, pools, {
        topK: p.topK, querySplits: p.querySplits, excludeSameQuery: p.excludeSameQuery, encodeBatchSize: p.encodeBatchSize,
        index: p.index, exactBelow: p.exactBelow, M: p.M, efConstruction: p.efConstruction, efSearch: p.efSearch, quantize: p.quantize, seed: ctx.seed,
      }, {
        signal: ctx.signal,
        progress: (done, total) => ctx.progress(1 + done / total, 2), // training was the first half
        about: { retriever: `dense-encoder (${encoder.info.origin ?? p.objective})` },
      });
      ctx.metric('dense/tasks', pools.length);
      ctx.metric('dense/queries', stats.queries);
      if (stats.encodeMs > 0) ctx.metric('dense/encode_seqs_per_s', stats.encoded / (stats.encodeMs / 1000));
      if (stats.searchMs > 0) ctx.metric('dense/queries_per_s', stats.queries / (stats.searchMs / 1000));
      ctx.progress(2, 2);
    } finally {
      encoder.dispose();
    }
  },
});

/** A pretrained encoder, used as it is. */
async function openInit(ctx: PluginContextOf<typeof self>, dir: string): Promise<{ encoder: SentenceEncoder; tokenizerFile: string }> {
  const p = ctx.params;
  const opened = await openEncoderFolder(dir, { seed: ctx.seed, maxLength: p.maxLength, prefix: p.prefix, who: 'the dense-encoder stage' });
  opened.encoder.info.origin = `pretrained, from ${dir}`;
  ctx.log.info(`encoder from ${dir} (${opened.encoder.model.encoder.config.numLayers} layers, width ${opened.encoder.dim}), used without training`);
  ctx.metric('dense/trained_steps', 0);
  ctx.progress(1, 2);
  return opened;
}

async function openTokenizer(ctx: PluginContextOf<typeof self>): Promise<{ tokenizer: Tokenizer; tokenizerFile: string }> {
  const given = ctx.inputs.tokenizer;
  if (given === undefined) throw new NodeFailure('the dense-encoder stage needs a `tokenizer` input (the tokenizer plugin\'s output) to build an encoder, or an `init` folder holding a pretrained one');
  return openTokenizerInput(given);
}

function trainingPairs(p: DenseEncoderParams, pools: readonly TaskPool[]): TextPair[][] {
  return pools.map((pool) => (p.objective === 'simcse' ? simcsePairs(pool) : bm25Pairs(pool, { excludeSameQuery: p.excludeSameQuery })));
}

/** A small encoder from scratch, trained on the pools. */
async function buildAndTrain(ctx: PluginContextOf<typeof self>, pools: readonly TaskPool[]): Promise<{ encoder: SentenceEncoder; tokenizerFile: string }> {
  const p = ctx.params;
  if (p.objective === 'simcse' && p.dropout === 0 && p.steps > 0) {
    throw new NodeFailure('objective simcse needs dropout above 0: dropout is what makes a text and its copy differ');
  }
  const { tokenizer, tokenizerFile } = await openTokenizer(ctx);
  const padId = tokenizer.tokenToId('[PAD]') ?? tokenizer.tokenToId('<pad>') ?? 0;
  const model = new BertEncoder({
    vocabSize: tokenizer.vocabSize, hiddenSize: p.hiddenSize, embeddingSize: p.hiddenSize, numLayers: p.layers, numHeads: p.heads,
    intermediateSize: p.intermediateSize, maxPositions: p.maxLength, hiddenDropout: p.dropout, attentionDropout: p.dropout,
    padTokenId: padId, pooler: false,
  }, ctx.seed);
  if (p.freezePositionEmbeddings) model.setTrainable('embeddings.position_embeddings.weight', false);
  const encoder = new SentenceEncoder(new BiEncoder(model, tokenizer, { maxLength: p.maxLength }), {
    pooling: 'mean', normalize: true, maxLength: p.maxLength, prefix: p.prefix, origin: `${p.objective}, ${p.steps} steps on the train pools`,
  });
  try {
    const pairs = trainingPairs(p, pools);
    const count = pairs.reduce((n, list) => n + list.length, 0);
    if (count === 0) throw new NodeFailure(`no training pairs: with bm25-pairs, no query shares a word with another row of its pool (${pools.map((x) => x.name).join(', ')})`);
    ctx.log.info(`${p.objective}: ${count} training pairs over ${pools.length} tasks, ${p.steps} steps of ${p.batchSize}`);
    ctx.metric('dense/train_pairs', count);
    const began = Date.now();
    const trained = await trainUnsupervised(encoder.model, pairs, {
      steps: p.steps, batchSize: p.batchSize, lr: p.lr, warmupSteps: p.warmupSteps, weightDecay: p.weightDecay,
      clipNorm: p.clipNorm, temperature: p.temperature, sameTaskBatches: p.sameTaskBatches, seed: ctx.seed, logEvery: p.logEvery,
      checkpoint: { dir: ctx.scratch, every: p.checkpointEvery, fingerprint: JSON.stringify({ params: p, seed: ctx.seed, pairs: count }) },
    }, { metric: ctx.metric, log: ctx.log, signal: ctx.signal, progress: (d, t) => ctx.progress(d, 2 * t) });
    const seconds = (Date.now() - began) / 1000;
    const stepsRun = p.steps - trained.resumedFrom;
    ctx.metric('dense/trained_steps', p.steps);
    if (stepsRun > 0) ctx.metric('dense/train_pairs_per_s', (stepsRun * p.batchSize) / seconds);
    ctx.progress(1, 2);
    return { encoder, tokenizerFile };
  } catch (e) {
    encoder.dispose();
    throw e;
  }
}
