// The `beir-retriever` stage: a small dense retriever trained on mined groups of a BEIR set (the
// negatives stage's output) and evaluated on a qrels split with nDCG/MRR/Recall, so negative
// strategies can be compared on the retriever's own metrics. The encoder and its WordPiece
// tokenizer are built from scratch on the set (nothing is downloaded), or opened from the `init`
// input (e.g. the dense-encoder stage's model output) and fine-tuned from there.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure } from '../../src/plugin/api.js';
import { DataError } from '../../src/lib/data/errors.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { readBeirFolder } from '../../src/lib/retrieval/beir.js';
import { evaluateDense, trainDense, type TrainingGroup } from '../../src/lib/retrieval/dense.js';
import { measureName, parseMeasure } from '../../src/lib/retrieval/metrics.js';
import { beirFolders } from '../negatives/beir.js';
import { buildFromScratch, openInit, SCRATCH_ARCHITECTURE, type ArchitectureParams } from './init.js';

const int = (minimum: number, dflt: number, description: string) => ({ type: 'integer', minimum, default: dflt, description }) as const;
// No schema default: with `init` a param left out takes the folder's value (init.ts).
const arch = (minimum: number, name: keyof ArchitectureParams, description: string) =>
  ({ type: 'integer', minimum, description: `${description} Without init: ${SCRATCH_ARCHITECTURE[name]}; with init: the folder's, and a value given must match it.` }) as const;

/** The params run receives (defaults applied), read from the schema below. */
export type BeirRetrieverParams = PluginParams<typeof self>;

export default definePlugin({
  id: 'beir-retriever',
  version: '1.1.0',
  description: 'A small dense retriever trained on mined groups of a BEIR set (in-batch or group InfoNCE, or the weighted loss for soft labels), from scratch or from an encoder folder (init), evaluated with nDCG/MRR/Recall.',
  runtime: backendRuntime,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      set: { type: 'string', description: 'Which BEIR set of the input (default: the only one).' },
      evalSplit: { type: 'string', default: 'test', description: 'The qrels split evaluated.' },
      steps: int(0, 100, 'Optimizer steps.'),
      batchSize: int(1, 16, 'Queries per step.'),
      groupSize: int(2, 4, '1 positive + G−1 mined negatives per query.'),
      lr: { type: 'number', exclusiveMinimum: 0, default: 1e-3, description: 'Peak learning rate.' },
      warmupSteps: int(0, 10, 'Linear warmup, then linear decay to 0.'),
      weightDecay: { type: 'number', minimum: 0, default: 0.01, description: 'AdamW weight decay.' },
      clipNorm: { type: 'number', minimum: 0, default: 1, description: 'Clip the global gradient norm.' },
      temperature: { type: 'number', exclusiveMinimum: 0, default: 0.05, description: 'τ: scores are cos/τ.' },
      negatives: { enum: ['in-batch', 'group'], default: 'in-batch', description: 'Negatives of a query: every document of the batch (in-batch) or its own group only.' },
      maxLength: int(8, 64, 'Tokens per sequence.'),
      hiddenSize: arch(8, 'hiddenSize', 'Encoder width.'),
      layers: arch(1, 'layers', 'Transformer layers.'),
      heads: arch(1, 'heads', 'Attention heads.'),
      intermediateSize: arch(8, 'intermediateSize', 'Feed-forward width.'),
      vocabSize: arch(100, 'vocabSize', 'WordPiece vocabulary trained on the corpus and queries (with init: the encoder\'s vocabulary).'),
      measures: { type: 'array', items: { type: 'string', pattern: '^(ndcg|mrr|recall)@[1-9][0-9]*$' }, default: ['ndcg@10', 'mrr@10', 'recall@10', 'recall@100'] },
      depth: int(1, 100, 'Documents retrieved per evaluated query.'),
      seed: int(0, 1, 'Seeds the weights, the batches and dropout.'),
      logEvery: int(1, 10, 'Steps between logged training metrics.'),
    },
  },
  inputs: {
    beir: { description: 'BEIR sets (the beir stage\'s output, or one BEIR folder).' },
    groups: { description: 'Mined groups of that set (the negatives stage\'s `groups` output, mined with its beir input).' },
    init: { optional: true, description: 'An encoder folder to start from (the dense-encoder stage\'s model output, or a BERT-style Hugging Face folder with tokenizer.json): its weights and tokenizer replace the from-scratch ones.' },
  },
  outputs: {
    metrics: { description: 'evaluation.json: the means and per-query values of the measures on evalSplit.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const measures = p.measures.map(parseMeasure);
    ctx.log.info((await initBackend()).summary);
    const folders = beirFolders(ctx.inputs.beir);
    const folder = p.set === undefined ? folders.length === 1 ? folders[0] : undefined : folders.find((f) => f.endsWith(`/${p.set}`));
    if (folder === undefined) throw new NodeFailure(p.set === undefined ? `the beir input holds ${folders.length} sets: name one with \`set\`` : `no BEIR set named ${p.set} in the beir input`);
    const name = folder.split('/').pop()!;
    const data = await readBeirFolder(folder);
    const qrels = data.qrels.get(p.evalSplit);
    if (!qrels) throw new NodeFailure(`set ${name} has no qrels for split ${p.evalSplit} (has ${[...data.qrels.keys()].join(', ')})`);
    const groups = readGroups(join(ctx.inputs.groups, `${name}.jsonl`), data);
    ctx.log.info(`${name}: ${data.corpus.size} documents, ${groups.length} training queries, ${qrels.size} evaluated (${p.evalSplit})`);

    const { hiddenSize, layers, heads, intermediateSize, vocabSize } = p;
    const architecture: ArchitectureParams = { hiddenSize, layers, heads, intermediateSize, vocabSize };
    const init = ctx.inputs.init;
    const started = init !== undefined
      ? await openInit(init, architecture, p.maxLength, p.seed)
      : buildFromScratch(architecture, [
          ...[...data.corpus.values()].map((d) => `${d.title} ${d.text}`),
          ...groups.map((g) => data.queries.get(g.queryId)!.text),
        ], p.maxLength, p.seed);
    const { model } = started;
    const encoder = model.encoder;
    ctx.log.info(`encoder ${started.origin}`);
    try {
      if (p.steps > 0) {
        await trainDense(model, data, groups, {
          steps: p.steps, batchSize: p.batchSize, groupSize: p.groupSize, lr: p.lr, warmupSteps: p.warmupSteps, weightDecay: p.weightDecay,
          clipNorm: p.clipNorm, temperature: p.temperature, negatives: p.negatives, seed: p.seed, logEvery: p.logEvery,
        }, { metric: ctx.metric, log: ctx.log, signal: ctx.signal, progress: (d, t) => ctx.progress(d, t + 1) });
      }
      const evaluation = evaluateDense(model, data, qrels, measures, p.depth);
      const means = measures.map((m) => meanOf(evaluation.mean, measureName(m)));
      for (const { name: measure, value } of means) ctx.metric(`retrieval/${measure.replace('@', '_at_')}`, value);
      ctx.log.info(`${name} ${p.evalSplit}: ${means.map(({ name: measure, value }) => `${measure} ${value.toFixed(4)}`).join(', ')} over ${evaluation.queries} queries`);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(ctx.output('metrics'), 'evaluation.json'), JSON.stringify({ set: name, split: p.evalSplit, queries: evaluation.queries, mean: evaluation.mean, perQuery: Object.fromEntries(evaluation.perQuery) }, null, 2) + '\n');
      ctx.progress(1, 1);
    } finally {
      encoder.dispose();
    }
  },
});

/** The mined groups of a set, every id checked against it; queries without negatives are left out. */
function readGroups(file: string, data: { corpus: Map<string, unknown>; queries: Map<string, unknown> }): TrainingGroup[] {
  if (!existsSync(file)) throw new DataError(file, 0, 'no groups for this set: mine it with the negatives stage and its beir input');
  const out: TrainingGroup[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    let v: { id?: unknown; positives?: { id: string }[]; negatives?: { id: string }[]; weights?: number[] };
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new DataError(file, i + 1, `invalid JSON: ${(e as Error).message}`);
    }
    if (typeof v.id !== 'string' || !Array.isArray(v.positives) || !Array.isArray(v.negatives)) throw new DataError(file, i + 1, 'expected {"id", "positives": [{"id"}], "negatives": [{"id"}]}');
    if (!data.queries.has(v.id)) throw new DataError(file, i + 1, `query "${v.id}" is not in the set`);
    for (const d of [...v.positives, ...v.negatives]) if (!data.corpus.has(d.id)) throw new DataError(file, i + 1, `document "${d.id}" is not in the set's corpus`);
    if (v.positives.length === 0 || v.negatives.length === 0) return;
    out.push({ queryId: v.id, positives: v.positives.map((x) => x.id), negatives: v.negatives.map((x) => x.id), weights: v.weights });
  });
  if (out.length === 0) throw new DataError(file, 0, 'no group with a positive and a negative');
  return out;
}

/** A mean the evaluation was asked for: it computes every measure it is given. */
function meanOf(means: Record<string, number>, name: string): { name: string; value: number } {
  const value = means[name];
  if (value === undefined) throw new NodeFailure(`the evaluation gave no ${name}`);
  return { name, value };
}
