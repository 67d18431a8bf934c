// The `passage-corpus` stage: the passages LLaRA adapts on and the retrieval sets it is evaluated
// on, in the BEIR layout with each passage's document (`doc`) and next passage (`next`). From the
// built-in generator, from reading-comprehension task folders (passages cut into sentence chunks),
// or from a user's BEIR folder. corpus-info.json says whether any `next` link exists.

import { basename } from 'node:path';
import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure, type PluginContextOf } from '../../src/plugin/api.js';
import { listTaskFolders, loadTaskFolder, readTaskMeta, type LoadedTask } from '../../src/lib/data/task-folder.js';
import { readBeirFolder } from '../../src/lib/retrieval/beir.js';
import { measureName, parseMeasure } from '../../src/lib/retrieval/metrics.js';
import { bm25Scores } from '../../src/lib/retrieval/passages/bm25-baseline.js';
import { INFO_FILE, writePassageCorpus, type PassageCorpus, type SetInfo } from '../../src/lib/retrieval/passages/corpus.js';
import { passageCorpusFromBeir } from '../../src/lib/retrieval/passages/from-beir.js';
import { passageCorpusFromTasks } from '../../src/lib/retrieval/passages/from-tasks.js';
import { GENERATED_DEFAULTS, generatePassageCorpus } from '../../src/lib/retrieval/passages/generated.js';
import { didYouMean } from '../../src/util/suggest.js';

const g = GENERATED_DEFAULTS;
const size = (min: number, dflt: number, description: string) => ({ type: 'integer', minimum: min, default: dflt, description }) as const;

/** The params run receives (defaults applied), read from the schema below. */
export type PassageCorpusParams = PluginParams<typeof self>;

export default definePlugin({
  id: 'passage-corpus',
  version: '1.1.0',
  description: 'Passage corpora for LLaRA in the BEIR layout, with each passage\'s document and next passage: generated, built from SQuAD/BoolQ/MultiRC task folders (sentence chunks), or a user\'s BEIR folder; train/test queries and a held-out zero-shot set.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      source: { enum: ['generated', 'tasks', 'beir-folder'], default: 'generated', description: 'generated: the built-in corpus (no data files); tasks: task folders on the `tasks` input; beir-folder: the BEIR folder on the `beir` input.' },
      seed: { type: 'integer', default: 1, description: 'Seed of the generator and of the query and document caps.' },
      documents: size(1, g.documents, 'generated: in-domain documents.'),
      passagesPerDocument: size(1, g.passagesPerDocument, 'generated: passages per document (each links to the next).'),
      trainQueries: size(0, g.trainQueries, 'generated: train queries (one passage each; a passage is asked about at most once).'),
      testQueries: size(0, g.testQueries, 'generated: in-domain test queries.'),
      topics: size(1, g.topics, 'generated: in-domain topics.'),
      zeroShotDocuments: size(0, g.zeroShotDocuments, 'generated: documents of the held-out set on topics of its own (0: none).'),
      zeroShotQueries: size(0, g.zeroShotQueries, 'generated: test queries of the held-out set.'),
      zeroShotTopics: size(1, g.zeroShotTopics, 'generated: topics of the held-out set.'),
      paraphraseRate: { type: 'number', minimum: 0, maximum: 1, default: g.paraphraseRate, description: 'generated: how often a query writes a concept or relation as its paraphrase (higher: harder for BM25).' },
      tasks: { type: 'array', items: { type: 'string' }, uniqueItems: true, default: ['squad_v1', 'boolq'], description: 'tasks: the in-domain tasks (their questions per split become the queries).' },
      zeroShotTasks: { type: 'array', items: { type: 'string' }, uniqueItems: true, default: ['multirc'], description: 'tasks: the held-out tasks (test questions only, over their own passages); [] for none.' },
      splits: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true, default: ['train', 'test'], description: 'tasks: the in-domain splits whose questions become queries (a split a task lacks is skipped).' },
      chunkSentences: size(0, 2, 'tasks: sentences per passage; a document\'s passages link in order. 0 keeps each task passage whole (no next links).'),
      maxQueries: { type: 'integer', minimum: 1, description: 'tasks: at most this many queries per split of each task (a seeded sample).' },
      maxDocuments: { type: 'integer', minimum: 1, description: 'tasks: at most this many documents per set, judged ones first (whole documents, so links stay intact).' },
      baseline: { enum: ['bm25', 'none'], default: 'bm25', description: 'Score BM25 (title + text) on every split of both sets.' },
      measures: { type: 'array', items: { type: 'string', pattern: '^(ndcg|mrr|recall)@[1-9][0-9]*$' }, default: ['ndcg@10', 'mrr@10', 'recall@100'], description: 'Measures of the baseline.' },
    },
  },
  inputs: {
    tasks: { optional: true, description: 'source: tasks. A directory of task folders (real ones, or the tasks plugin\'s output).' },
    beir: { optional: true, description: 'source: beir-folder. A BEIR folder (corpus.jsonl with optional doc/next fields, queries.jsonl, qrels/).' },
    zeroShot: { optional: true, description: 'source: beir-folder. A second BEIR folder, written as the held-out zero-shot set.' },
  },
  outputs: {
    corpus: { description: 'The in-domain BEIR folder (corpus.jsonl with doc and next, queries.jsonl, qrels/train.tsv and test.tsv), zero-shot/ (the held-out BEIR folder, qrels/test.tsv) and corpus-info.json (counts, hasNextPassages).' },
  },
  async run(ctx) {
    const p = ctx.params;
    checkInputs(p, ctx.inputs);
    const measures = p.measures.map(parseMeasure);
    const corpus = await build(ctx);
    const info = await writePassageCorpus(ctx.output('corpus'), corpus);
    report(ctx, 'in_domain', info.inDomain);
    if (info.zeroShot) report(ctx, 'zero_shot', info.zeroShot);
    if (p.baseline === 'bm25') {
      const sets = [['in_domain', corpus.inDomain], ...(corpus.zeroShot ? [['zero_shot', corpus.zeroShot] as const] : [])] as const;
      for (const [name, data] of sets) {
        for (const [split, values] of Object.entries(bm25Scores(data, measures))) {
          for (const [measure, v] of Object.entries(values)) ctx.metric(`bm25/${name}/${split}/${measure.replace('@', '_at_')}`, v);
          ctx.log.info(`${name} ${split} BM25: ${measures.map(measureName).map((m) => `${m} ${values[m]!.toFixed(4)}`).join(', ')}`);
        }
      }
    }
  },
});

function checkInputs(p: PassageCorpusParams, inputs: Record<string, string | string[]>): void {
  const wanted: Record<PassageCorpusParams['source'], string[]> = { generated: [], tasks: ['tasks'], 'beir-folder': ['beir', 'zeroShot'] };
  for (const port of Object.keys(inputs)) {
    if (!wanted[p.source].includes(port)) throw new NodeFailure(`the \`${port}\` input is not read with source: ${p.source}${port === 'tasks' ? ' (it is with source: tasks)' : port === 'beir' || port === 'zeroShot' ? ' (it is with source: beir-folder)' : ''}`);
  }
  if (p.source === 'tasks' && inputs.tasks === undefined) throw new NodeFailure('source: tasks needs the `tasks` input: a directory of task folders (e.g. squad_v1/, boolq/, multirc/)');
  if (p.source === 'beir-folder' && inputs.beir === undefined) throw new NodeFailure('source: beir-folder needs the `beir` input: a BEIR folder (corpus.jsonl, queries.jsonl, qrels/)');
}

async function build(ctx: PluginContextOf<typeof self>): Promise<PassageCorpus> {
  const p = ctx.params;
  try {
    if (p.source === 'generated') {
      return generatePassageCorpus({
        seed: p.seed, documents: p.documents, passagesPerDocument: p.passagesPerDocument, trainQueries: p.trainQueries, testQueries: p.testQueries,
        topics: p.topics, zeroShotDocuments: p.zeroShotDocuments, zeroShotQueries: p.zeroShotQueries, zeroShotTopics: p.zeroShotTopics,
        paraphraseRate: p.paraphraseRate,
      });
    }
    if (p.source === 'beir-folder') {
      const zeroShot = ctx.inputs.zeroShot === undefined ? undefined : await readBeirFolder(ctx.inputs.zeroShot);
      return passageCorpusFromBeir(await readBeirFolder(ctx.inputs.beir!), zeroShot);
    }
    const root = ctx.inputs.tasks!;
    const overlap = p.tasks.filter((t) => p.zeroShotTasks.includes(t));
    if (overlap.length > 0) throw new NodeFailure(`${overlap.join(', ')} cannot be both an in-domain task and a zero-shot task`);
    const folders = new Map((await listTaskFolders(root)).map((d) => [basename(d), d]));
    const load = async (names: readonly string[], splits?: readonly string[]) => Promise.all(names.map((name) => loadTask(folders, root, name, splits)));
    return passageCorpusFromTasks(
      { inDomain: await load(p.tasks, p.splits), zeroShot: await load(p.zeroShotTasks, ['test']) },
      { chunkSentences: p.chunkSentences, splits: p.splits, maxQueries: p.maxQueries, maxDocuments: p.maxDocuments, seed: p.seed },
    );
  } catch (e) {
    if (e instanceof NodeFailure) throw e;
    throw new NodeFailure((e as Error).message);
  }
}

async function loadTask(folders: ReadonlyMap<string, string>, root: string, name: string, splits?: readonly string[]): Promise<LoadedTask> {
  const dir = folders.get(name);
  if (dir === undefined) {
    const hint = didYouMean(name, folders.keys());
    throw new NodeFailure(`unknown task '${name}': not a task folder in ${root}${hint ? `; ${hint}` : ''} (tasks there: ${[...folders.keys()].join(', ') || 'none'})`);
  }
  const meta = await readTaskMeta(dir);
  return loadTaskFolder(dir, { splits: splits ? splits.filter((s) => s in meta.splits) : undefined });
}

/** Counts as log lines and metrics; skipped passages and a corpus without links are warned about. */
function report(ctx: PluginContextOf<typeof self>, name: string, info: SetInfo): void {
  const queries = Object.entries(info.queries).map(([split, n]) => `${n} ${split}`).join(', ') || 'none';
  ctx.log.info(`${name}: ${info.passages} passages in ${info.documents} documents, ${info.nextLinks} next links; queries ${queries}`);
  ctx.metric(`${name}/passages`, info.passages);
  ctx.metric(`${name}/documents`, info.documents);
  ctx.metric(`${name}/next_links`, info.nextLinks);
  ctx.metric(`${name}/has_next_passages`, info.hasNextPassages ? 1 : 0);
  for (const [split, n] of Object.entries(info.queries)) ctx.metric(`${name}/queries/${split}`, n);
  for (const [count, n] of Object.entries(info.counts)) ctx.metric(`${name}/${snake(count)}`, n);
  const detail = Object.entries(info.counts).filter(([, n]) => n > 0).map(([count, n]) => `${count} ${n}`).join(', ');
  if (detail) ctx.log.info(`${name}: ${detail}`);
  if ((info.counts.skippedEmptyPassages ?? 0) > 0) ctx.log.warn(`${name}: ${info.counts.skippedEmptyPassages} passages were empty after cleaning and are skipped`);
  if (!info.hasNextPassages) ctx.log.warn(`${name}: no passage has a next passage, so a next-passage objective (LLaRA's EBAR) has nothing to learn from; ${INFO_FILE} says hasNextPassages: false`);
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
