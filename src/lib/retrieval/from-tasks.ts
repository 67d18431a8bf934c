// A retrieval data set from a reading-comprehension task: each question is a query, its passage
// (SQuAD's context, BoolQ's passage, MultiRC's paragraph) the one relevant document (grade 1).
//
// Documents are the task's distinct passages (exact text), numbered in first-seen order over the
// splits as given; every split of the task shares one corpus, so test questions are searched among
// every passage. A query is a distinct (question, passage) pair: MultiRC repeats a question once per
// candidate answer, those rows become one query whose id is the first row's id. Each split's
// queries are judged in qrels/<split>.tsv.

import type { LoadedTask } from '../data/task-folder.js';
import { Rng, deriveSeed } from '../nn/train/rng.js';
import type { BeirDataset, BeirDocument, BeirQrels, BeirQuery } from './beir.js';

/** Which row fields hold the passage and the question. */
export interface PassageFields {
  passage: string;
  question: string;
}

const PASSAGE_NAMES = ['context', 'passage', 'paragraph', 'document', 'article'];
const QUESTION_NAMES = ['question', 'query'];

/** The passage and question fields of a task: named explicitly, or found among the usual names. */
export function passageFieldsOf(task: LoadedTask, given?: PassageFields): PassageFields {
  const fields = task.meta.fields;
  if (given) {
    for (const f of [given.passage, given.question]) {
      if (!fields.includes(f)) throw new Error(`task ${task.meta.name} has no field "${f}" (fields: ${fields.join(', ')})`);
    }
    return given;
  }
  const passage = PASSAGE_NAMES.find((n) => fields.includes(n));
  const question = QUESTION_NAMES.find((n) => fields.includes(n));
  if (!passage || !question) {
    throw new Error(`task ${task.meta.name} has no shared passage and question fields (fields: ${fields.join(', ')}); expected a passage field (${PASSAGE_NAMES.join(', ')}) and a question field (${QUESTION_NAMES.join(', ')}), or name them`);
  }
  return { passage, question };
}

export interface FromTaskOptions {
  fields?: PassageFields;
  /** Splits to turn into qrels, in this order (default every loaded split). */
  splits?: readonly string[];
  /** At most this many queries per split: a seeded sample, in file order. */
  maxQueries?: number;
  seed?: number;
}

/** The task as a BEIR data set; document metadata name the task, query metadata the rows they merge. */
export function retrievalSetFromTask(task: LoadedTask, options: FromTaskOptions = {}): BeirDataset {
  const { passage, question } = passageFieldsOf(task, options.fields);
  const splits = options.splits ?? Object.keys(task.splits);
  const corpus = new Map<string, BeirDocument>();
  const docOfText = new Map<string, string>();
  const queries = new Map<string, BeirQuery>();
  const qrels = new Map<string, BeirQrels>();
  const name = task.meta.name;
  for (const split of splits) {
    const rows = task.splits[split];
    if (rows === undefined) throw new Error(`task ${name} has no loaded split "${split}"`);
    const judged: BeirQrels = new Map();
    const queryOfPair = new Map<string, BeirQuery>();
    for (const row of rows) {
      // Loaded rows hold every field of task.json, and passageFieldsOf picked two of those.
      const text = row.fields[passage]!;
      const asked = row.fields[question]!;
      if (text.trim() === '' || asked.trim() === '') continue; // nothing to retrieve or to ask
      let doc = docOfText.get(text);
      if (doc === undefined) {
        doc = `${name}-doc-${corpus.size}`;
        docOfText.set(text, doc);
        corpus.set(doc, { id: doc, title: '', text, metadata: { task: name } });
      }
      const pair = `${doc}\u0000${asked}`;
      const known = queryOfPair.get(pair);
      if (known) {
        (known.metadata!.rows as string[]).push(row.id);
        continue;
      }
      const query: BeirQuery = { id: row.id, text: asked, metadata: { task: name, split, rows: [row.id] } };
      queryOfPair.set(pair, query);
      judged.set(row.id, new Map([[doc, 1]]));
    }
    const kept = sampleKeys([...judged.keys()], options.maxQueries, deriveSeed(options.seed ?? 1, splits.indexOf(split)));
    const capped: BeirQrels = new Map(kept.map((id) => [id, judged.get(id)!]));
    for (const q of queryOfPair.values()) if (capped.has(q.id)) queries.set(q.id, q);
    qrels.set(split, capped);
  }
  return { corpus, queries, qrels };
}

function sampleKeys(keys: string[], cap: number | undefined, seed: number): string[] {
  if (cap === undefined || keys.length <= cap) return keys;
  const order = keys.map((_, i) => i);
  new Rng(seed).shuffle(order);
  const keep = new Set(order.slice(0, cap));
  return keys.filter((_, i) => keep.has(i));
}
