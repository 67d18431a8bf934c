// The `llara-eval` stage: embeds each BEIR set's corpus and judged queries with a model folder
// (LLaRA prompts, last token or mean pooling, as the folder's retrieval.json says), searches the
// vector index and records MRR@10, nDCG@10 and Recall@k per set. `bm25` scores BM25 instead, so
// the baseline row is measured by the same code on the same queries.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { Bm25Index } from '../../src/lib/ml/bm25.js';
import { readBeirFolder, type BeirDataset, type BeirQrels } from '../../src/lib/retrieval/beir.js';
import { evaluateRun, measureName, parseMeasure, type Evaluation, type Measure } from '../../src/lib/retrieval/metrics.js';
import { evaluateRetrieval } from '../../src/lib/llara/evaluate.js';
import { passageText } from '../../src/lib/llara/passages.js';
import { embedFnOf, openModel } from '../../src/lib/llara/retrieval-model.js';
import { beirFolders } from '../negatives/beir.js';
import { ZERO_SHOT_DIR } from '../../src/lib/retrieval/passages/index.js';
import { CORPUS_FILE } from '../../src/lib/retrieval/beir.js';

export default definePlugin({
  id: 'llara-eval',
  version: '1.1.0',
  description: 'Retrieval evaluation of a model folder (or BM25) on BEIR sets through the vector index: MRR@10, nDCG@10, Recall@k per set.',
  runtime: backendRuntime,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      retriever: { enum: ['model', 'bm25'], default: 'model', description: "'model': the `model` input (or `base`); 'bm25': Okapi BM25 over the passages." },
      base: { type: 'string', description: 'The model when the `model` input is not given: a folder or hf://owner/name.' },
      split: { type: 'string', default: 'test', description: 'The qrels split evaluated in every set.' },
      measures: { type: 'array', items: { type: 'string', pattern: '^(ndcg|mrr|recall)@[1-9][0-9]*$' }, default: ['mrr@10', 'ndcg@10', 'recall@100'] },
      depth: { type: 'integer', minimum: 1, default: 100, description: 'Passages retrieved per query.' },
      batchSize: { type: 'integer', minimum: 1, default: 32, description: 'Texts embedded at once.' },
    },
  },
  inputs: {
    beir: { many: true, description: 'BEIR folders (or folders of them, or passage-corpus outputs); each set is named by its folder, its metrics `<set>/<measure>`; a passage-corpus output gives the sets `in-domain` and `zero-shot`.' },
    model: { optional: true, description: 'The model folder to evaluate.' },
  },
  outputs: { metrics: { description: 'evaluation.json: per set, the means and per-query values.' } },
  async run(ctx) {
    const p = ctx.params;
    const measures = p.measures.map(parseMeasure);
    const given = ctx.inputs.beir;
    const sets = (Array.isArray(given) ? given : [given]).flatMap(evaluationSets);
    const folders = sets.map((s) => s.folder);
    const names = sets.map((s) => s.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new NodeFailure(`two BEIR sets are named ${dup}: each set's metrics are named by its folder`);
    let scorer: (data: BeirDataset, qrels: BeirQrels) => Evaluation;
    let dispose = () => {};
    if (p.retriever === 'bm25') {
      scorer = (data, qrels) => bm25Evaluation(data, qrels, measures, p.depth);
    } else {
      ctx.log.info((await initBackend()).summary);
      const loaded = await openModel(ctx.inputs.model, p.base, 'llara-eval');
      const { embed, dim } = embedFnOf(loaded, loaded.source, p.batchSize);
      scorer = (data, qrels) => evaluateRetrieval(embed, dim, data, qrels, measures, p.depth);
      dispose = () => loaded.model.dispose();
    }
    const out: Record<string, unknown> = {};
    try {
      for (const [i, folder] of folders.entries()) {
        const name = names[i]!; // a name per folder
        const data = await readBeirFolder(folder, { splits: [p.split] });
        const evaluation = scorer(data, data.qrels.get(p.split)!);
        const means = measures.map((m) => meanOf(evaluation.mean, measureName(m)));
        for (const { name: measure, value } of means) ctx.metric(`${name}/${measure.replace('@', '_at_')}`, value);
        ctx.log.info(`${name} ${p.split}: ${means.map(({ name: measure, value }) => `${measure} ${value.toFixed(4)}`).join(', ')} over ${evaluation.queries} queries`);
        out[name] = { split: p.split, queries: evaluation.queries, mean: evaluation.mean, perQuery: Object.fromEntries(evaluation.perQuery) };
        ctx.progress(i + 1, folders.length);
      }
    } finally {
      dispose();
    }
    await writeFile(join(ctx.output('metrics'), 'evaluation.json'), JSON.stringify(out, null, 2) + '\n');
  },
});

/** The sets of one `beir` input: a passage-corpus output is its in-domain set and, when it has one, its
 *  zero-shot set (its own folder names would be the store's); any other folder is named by itself. */
function evaluationSets(dir: string): { name: string; folder: string }[] {
  const zeroShot = join(dir, ZERO_SHOT_DIR);
  if (existsSync(join(dir, CORPUS_FILE)) && existsSync(join(zeroShot, CORPUS_FILE))) {
    return [{ name: 'in-domain', folder: dir }, { name: 'zero-shot', folder: zeroShot }];
  }
  return beirFolders(dir).map((folder) => ({ name: basename(folder), folder }));
}

function bm25Evaluation(data: BeirDataset, qrels: BeirQrels, measures: readonly Measure[], depth: number): Evaluation {
  const docs = [...data.corpus.values()];
  const bm25 = Bm25Index.build(docs.map(passageText));
  const run = new Map<string, Map<string, number>>();
  // A hit is an index of the docs.
  for (const query of qrels.keys()) run.set(query, new Map(bm25.search(data.queries.get(query)!.text, depth).map((h) => [docs[h.doc]!.id, h.score])));
  return evaluateRun(qrels, run, measures);
}

/** A mean the evaluation was asked for: it computes every measure it is given. */
function meanOf(means: Record<string, number>, name: string): { name: string; value: number } {
  const value = means[name];
  if (value === undefined) throw new NodeFailure(`the evaluation gave no ${name}`);
  return { name, value };
}
