// The `beir` stage: retrieval data sets in the BEIR layout. It checks and passes on a user's BEIR
// folder (or a folder of them), and builds sets from reading-comprehension task folders (each
// question a query, its passage the relevant document). Every set gets a BM25 baseline scored
// with the trec_eval-style metrics, so a data set arrives with a reference point.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { listTaskFolders, loadTaskFolder, readTaskMeta } from '../../src/lib/data/task-folder.js';
import { Bm25Index } from '../../src/lib/ml/bm25.js';
import { CORPUS_FILE, describeBeir, readBeirFolder, writeBeirFolder, type BeirDataset } from '../../src/lib/retrieval/beir.js';
import { retrievalSetFromTask } from '../../src/lib/retrieval/from-tasks.js';
import { evaluateRun, measureName, parseMeasure, type Measure } from '../../src/lib/retrieval/metrics.js';

export default definePlugin({
  id: 'beir',
  version: '1.0.0',
  description: 'Retrieval data sets in the BEIR layout (corpus.jsonl, queries.jsonl, qrels/<split>.tsv): a user\'s BEIR folders checked and passed on, or sets built from reading-comprehension task folders; each with a BM25 baseline scored by nDCG/MRR/Recall.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tasks: { type: 'array', items: { type: 'string' }, default: ['squad_v1', 'boolq', 'multirc'], description: 'Task folders (by name) turned into retrieval sets when the `tasks` input is given.' },
      splits: { type: 'array', items: { type: 'string' }, minItems: 1, default: ['train', 'test'], description: 'Task splits whose questions become queries, one qrels file each (splits a task lacks are skipped).' },
      fields: {
        type: 'object', default: {},
        additionalProperties: { type: 'object', additionalProperties: false, required: ['passage', 'question'], properties: { passage: { type: 'string' }, question: { type: 'string' } } },
        description: 'Per task, the fields holding the passage and the question; default: found among the usual names (context, passage, paragraph / question).',
      },
      maxQueries: { type: 'integer', minimum: 1, description: 'At most this many queries per split of a task (a seeded sample).' },
      baseline: { enum: ['bm25', 'none'], default: 'bm25', description: 'Score a BM25 baseline on every set and split.' },
      measures: { type: 'array', items: { type: 'string', pattern: '^(ndcg|mrr|recall)@[1-9][0-9]*$' }, default: ['ndcg@10', 'mrr@10', 'recall@10', 'recall@100'], description: 'Retrieval measures of the baseline.' },
      depth: { type: 'integer', minimum: 1, default: 100, description: 'Documents the baseline retrieves per query.' },
    },
  },
  inputs: {
    beir: { optional: true, description: 'A BEIR folder (corpus.jsonl, queries.jsonl, qrels/), or a folder whose sub-folders are BEIR folders.' },
    tasks: { optional: true, description: 'A directory of task folders (the tasks plugin\'s output, or real task folders).' },
  },
  outputs: {
    datasets: { description: 'One BEIR folder per set (<name>/corpus.jsonl, queries.jsonl, qrels/<split>.tsv) and index.json listing them with their counts.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const measures = p.measures.map(parseMeasure);
    const sets = new Map<string, BeirDataset>();
    const given = ctx.inputs.beir;
    const taskRoot = ctx.inputs.tasks;
    if (given === undefined && taskRoot === undefined) throw new NodeFailure('the beir stage needs a `beir` input (BEIR folders) or a `tasks` input (task folders to convert)');
    if (given !== undefined) {
      for (const dir of beirFolders(given)) {
        const name = basename(dir);
        if (sets.has(name)) throw new NodeFailure(`two BEIR folders are named ${name}`);
        sets.set(name, await readBeirFolder(dir));
      }
    }
    if (taskRoot !== undefined) {
      const byName = new Map((await listTaskFolders(taskRoot)).map((d) => [basename(d), d]));
      for (const name of p.tasks) {
        const dir = byName.get(name);
        if (dir === undefined) throw new NodeFailure(`task ${name} is not in ${taskRoot} (has ${[...byName.keys()].join(', ') || 'none'})`);
        const meta = await readTaskMeta(dir);
        const loaded = await loadTaskFolder(dir, { splits: p.splits.filter((s) => s in meta.splits) });
        if (sets.has(name)) throw new NodeFailure(`a BEIR folder and a task are both named ${name}`);
        try {
          sets.set(name, retrievalSetFromTask(loaded, { fields: p.fields[name], maxQueries: p.maxQueries, seed: ctx.seed }));
        } catch (e) {
          throw new NodeFailure((e as Error).message);
        }
      }
    }
    const out = ctx.output('datasets');
    const index: Record<string, unknown>[] = [];
    let done = 0;
    for (const [name, data] of sets) {
      await writeBeirFolder(join(out, name), data);
      const counts = describeBeir(data);
      ctx.log.info(`${name}: ${counts.documents} documents, ${counts.queries} queries, judgments ${JSON.stringify(counts.judgments)}`);
      ctx.metric(`beir/${name}/documents`, counts.documents);
      ctx.metric(`beir/${name}/queries`, counts.queries);
      const entry: Record<string, unknown> = { name, dir: name, ...counts };
      if (p.baseline === 'bm25') {
        const scores = bm25Baseline(data, measures, p.depth);
        for (const [split, values] of Object.entries(scores)) {
          for (const [measure, v] of Object.entries(values)) ctx.metric(`bm25/${name}/${split}/${metricKey(measure)}`, v);
          ctx.log.info(`${name} ${split} BM25: ${Object.entries(values).map(([m, v]) => `${m} ${v.toFixed(4)}`).join(', ')}`);
        }
        entry.bm25 = scores;
      }
      index.push(entry);
      ctx.progress(++done, sets.size);
    }
    await writeFile(join(out, 'index.json'), JSON.stringify({ sets: index, measures: measures.map(measureName) }, null, 2) + '\n');
  },
});

/** `given` itself when it holds corpus.jsonl, else its sub-folders that do. */
function beirFolders(given: string): string[] {
  if (!existsSync(given)) throw new NodeFailure(`${given}: not found`);
  if (existsSync(join(given, CORPUS_FILE))) return [given];
  const subs = readdirSync(given).filter((n) => !n.startsWith('.')).map((n) => join(given, n))
    .filter((d) => statSync(d).isDirectory() && existsSync(join(d, CORPUS_FILE))).sort();
  if (subs.length === 0) throw new NodeFailure(`${given}: neither a BEIR folder (no ${CORPUS_FILE}) nor a folder of BEIR folders`);
  return subs;
}

/** Metric names keep to MLflow's alphabet: ndcg@10 → ndcg_at_10. */
export function metricKey(measure: string): string {
  return measure.replace('@', '_at_');
}

/** BM25 over title + text, every split's queries, scored with `measures`. */
function bm25Baseline(data: BeirDataset, measures: readonly Measure[], depth: number): Record<string, Record<string, number>> {
  const docs = [...data.corpus.values()];
  const bm25 = Bm25Index.build(docs.map((d) => (d.title ? `${d.title} ${d.text}` : d.text)));
  const out: Record<string, Record<string, number>> = {};
  for (const [split, qrels] of data.qrels) {
    const run = new Map<string, Map<string, number>>();
    for (const query of qrels.keys()) {
      const hits = bm25.search(data.queries.get(query)!.text, depth);
      run.set(query, new Map(hits.map((h) => [docs[h.doc]!.id, h.score]))); // a hit is an index of the indexed docs
    }
    out[split] = evaluateRun(qrels, run, measures).mean;
  }
  return out;
}
