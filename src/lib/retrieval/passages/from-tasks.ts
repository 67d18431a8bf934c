// A passage corpus from reading-comprehension task folders (SQuAD, BoolQ, MultiRC).
//
// Documents are a task's distinct passages (after cleaning; SQuAD repeats a paragraph once per
// question). Each document is split into sentences and cut into passages of `chunkSentences`
// sentences; passage i links to passage i+1 of the same document through `next` (the last has
// none), which is the consecutive-text structure a next-passage objective learns from.
//
// Which passage a question is judged against:
//   * the passages that contain one of its answer texts (case-insensitive, at word boundaries):
//     SQuAD's gold answer span, MultiRC's candidate answers labelled true;
//   * every passage of its document when no passage contains an answer: BoolQ's yes/no answers,
//     answers that are only "yes"/"no"/"true"/"false", or a span that crosses a passage boundary.
// The whole document stands as the evidence then, as it does for the question in the task itself;
// judging a guessed passage (say, the one sharing most words with the question) would build BM25's
// own bias into the labels. The counts of each case are reported. A passage whose text another
// document holds too (BoolQ and MultiRC have a few overlapping paragraphs) is kept in both, since
// their next passages differ, and a question judging one judges its copies alike: a copy ranked
// first is as right as the original.
//
// BoolQ's SuperGLUE passages start with "<Wikipedia title> -- "; that prefix becomes the title of
// the document's passages (also when the paragraph came first without it). A passage empty after
// cleaning is skipped and counted, with its questions. Ids: documents `<task>-d<n>` in first-seen order, passages `<task>-d<n>-p<i>`,
// queries the row id of the question's first row (MultiRC repeats a question per candidate answer).

import type { LoadedTask } from '../../data/task-folder.js';
import type { TaskRow } from '../../data/task.js';
import { Rng, deriveSeed } from '../../nn/train/rng.js';
import { passageFieldsOf, type PassageFields } from '../from-tasks.js';
import type { BeirDataset, BeirDocument, BeirQrels, BeirQuery } from '../beir.js';
import { capDocuments } from './cap.js';
import { linkChain, type PassageCorpus } from './corpus.js';
import { chunkSentences, cleanText, splitSentences } from './sentences.js';

export interface TaskCorpusOptions {
  /** Sentences per passage; 0 keeps each document whole (then there are no `next` links). */
  chunkSentences: number;
  /** Splits whose questions become queries (default every loaded split); a split a task lacks is skipped. */
  splits?: readonly string[];
  /** At most this many queries per split of each task: a seeded sample, in file order. */
  maxQueries?: number;
  seed?: number;
  /** Per task, the fields holding the passage and the question (default: the usual names). */
  fields?: Readonly<Record<string, PassageFields>>;
}

/** What the build skipped or decided, summed over the tasks. */
export interface TaskCorpusCounts {
  skippedEmptyPassages: number;
  queriesWithoutPassage: number;
  /** Rows whose passage is one the corpus holds already (merged, not repeated). */
  repeatedPassageRows: number;
  /** Passages whose text is also a passage of another document. */
  identicalPassages: number;
  answerInOnePassage: number;
  answerInSeveralPassages: number;
  judgedWholeDocument: number;
  [name: string]: number;
}

export function emptyCounts(): TaskCorpusCounts {
  return { skippedEmptyPassages: 0, queriesWithoutPassage: 0, repeatedPassageRows: 0, identicalPassages: 0,
    answerInOnePassage: 0, answerInSeveralPassages: 0, judgedWholeDocument: 0 };
}

interface Question {
  id: string;
  text: string;
  docId: string;
  answers: string[];
}

const NO_SPAN_ANSWERS = new Set(['yes', 'no', 'true', 'false']);
const TITLE_PREFIX = /^(.{1,120}?) -- (?=\S)/;
// Only BoolQ writes its title that way; MultiRC's news passages open with a "(CNN) -- " dateline.
const TITLED_TASKS = new Set(['boolq']);

/** The tasks' passages and questions as one BEIR set; counts are added to `counts`. */
export function passageSetFromTasks(tasks: readonly LoadedTask[], options: TaskCorpusOptions, counts: TaskCorpusCounts = emptyCounts()): BeirDataset {
  const corpus = new Map<string, BeirDocument>();
  const queries = new Map<string, BeirQuery>();
  const qrels = new Map<string, BeirQrels>();
  const copies = new TextCopies();
  // Questions are judged once every task's passages are in, so copies in later tasks count too.
  const pending: { split: string; question: Question; passageIds: string[] }[] = [];
  tasks.forEach((task, taskIndex) => {
    const fields = passageFieldsOf(task, options.fields?.[task.meta.name]);
    const passagesOf = new Map<string, string[]>();
    const docOfText = new Map<string, string>();
    const splits = (options.splits ?? Object.keys(task.splits)).filter((s) => task.splits[s] !== undefined);
    for (const split of splits) {
      const asked = collectQuestions(task, split, fields, corpus, passagesOf, docOfText, copies, options.chunkSentences, counts);
      for (const question of sampleInOrder(asked, options.maxQueries, deriveSeed(options.seed ?? 1, taskIndex, splits.indexOf(split)))) {
        queries.set(question.id, { id: question.id, text: question.text, metadata: { task: task.meta.name, split } });
        pending.push({ split, question, passageIds: passagesOf.get(question.docId)! });
      }
      if (!qrels.has(split)) qrels.set(split, new Map());
    }
  });
  for (const { split, question, passageIds } of pending) qrels.get(split)!.set(question.id, judge(question, passageIds, corpus, copies, counts));
  return { corpus, queries, qrels };
}

/** The split's questions, one per distinct (document, question); new documents join the corpus. */
function collectQuestions(
  task: LoadedTask, split: string, fields: PassageFields, corpus: Map<string, BeirDocument>, passagesOf: Map<string, string[]>,
  docOfText: Map<string, string>, copies: TextCopies, chunkSize: number, counts: TaskCorpusCounts,
): Question[] {
  const name = task.meta.name;
  const questions = new Map<string, Question>();
  const rows = task.splits[split];
  if (rows === undefined) throw new Error(`task ${name} has no loaded split "${split}"`);
  for (const row of rows) {
    const passage = cleanText(row.fields[fields.passage] ?? '');
    const { title, body } = TITLED_TASKS.has(name) ? splitTitle(passage) : { title: '', body: passage };
    const text = cleanText(row.fields[fields.question] ?? '');
    let docId = docOfText.get(body);
    if (docId === undefined) {
      const chunks = chunkSentences(splitSentences(body), chunkSize);
      if (chunks.length === 0) {
        counts.skippedEmptyPassages++;
        if (text !== '') counts.queriesWithoutPassage++;
        continue;
      }
      docId = `${name}-d${passagesOf.size}`;
      docOfText.set(body, docId);
      const passages: BeirDocument[] = chunks.map((chunk, i) => ({ id: `${docId}-p${i}`, title, text: chunk, doc: docId, metadata: { task: name } }));
      linkChain(passages);
      for (const p of passages) {
        corpus.set(p.id, p);
        if (copies.add(p)) counts.identicalPassages++;
      }
      passagesOf.set(docId, passages.map((p) => p.id));
    } else {
      counts.repeatedPassageRows++;
      // BoolQ's train rows lack the title its test rows carry: the passages take it when it comes.
      for (const id of passagesOf.get(docId)!) if (corpus.get(id)!.title === '') corpus.get(id)!.title = title;
    }
    if (text === '') continue;
    const key = `${docId}\u0000${text}`;
    const question = questions.get(key) ?? { id: row.id, text, docId, answers: [] };
    questions.set(key, question);
    question.answers.push(...answerTexts(task, row));
  }
  return [...questions.values()];
}

/** BoolQ's "Title -- passage" form: the title apart, the rest as the body. */
function splitTitle(text: string): { title: string; body: string } {
  const match = TITLE_PREFIX.exec(text);
  return match ? { title: match[1]!, body: text.slice(match[0].length) } : { title: '', body: text };
}

/** Texts that locate the evidence: a generation task's gold answer, or a candidate answer labelled true. */
function answerTexts(task: LoadedTask, row: TaskRow): string[] {
  if (task.meta.type === 'generation') return [row.output];
  if (row.fields.answer !== undefined && row.output === 'true') return [row.fields.answer];
  return [];
}

/** Passage ids by text, to judge identical passages of different documents alike. */
class TextCopies {
  private readonly idsOfText = new Map<string, string[]>();

  /** Records the passage; true when its text was seen before. */
  add(p: BeirDocument): boolean {
    const ids = this.idsOfText.get(p.text);
    if (ids) ids.push(p.id);
    else this.idsOfText.set(p.text, [p.id]);
    return ids !== undefined;
  }

  /** `ids` and every passage with the text of one of them, in first-seen order. */
  withCopies(ids: readonly string[], corpus: ReadonlyMap<string, BeirDocument>): string[] {
    const out = new Set<string>();
    for (const id of ids) for (const copy of this.idsOfText.get(corpus.get(id)!.text)!) out.add(copy);
    return [...out];
  }
}

function judge(q: Question, passageIds: readonly string[], corpus: ReadonlyMap<string, BeirDocument>,
  copies: TextCopies, counts: TaskCorpusCounts): Map<string, number> {
  const needles = q.answers.map((a) => cleanText(a).toLowerCase()).filter((a) => a !== '' && !NO_SPAN_ANSWERS.has(a));
  const hits = needles.length === 0 ? [] : passageIds.filter((id) => needles.some((n) => containsPhrase(corpus.get(id)!.text.toLowerCase(), n)));
  if (hits.length === 0) counts.judgedWholeDocument++;
  else if (hits.length === 1) counts.answerInOnePassage++;
  else counts.answerInSeveralPassages++;
  return new Map(copies.withCopies(hits.length > 0 ? hits : passageIds, corpus).map((id) => [id, 1]));
}

/** Whether `needle` occurs in `text` with no letter or digit right before or after it. */
export function containsPhrase(text: string, needle: string): boolean {
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = at === 0 ? '' : text[at - 1]!;
    const after = text[at + needle.length] ?? '';
    if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after)) return true;
  }
  return false;
}

export interface TaskCorpusInput {
  /** Tasks of the in-domain set: their questions per split become train/test queries. */
  inDomain: readonly LoadedTask[];
  /** Tasks of the held-out set: their test questions only, over their own passages. */
  zeroShot: readonly LoadedTask[];
}

/** The in-domain and zero-shot sets of a passage corpus built from task folders. */
export function passageCorpusFromTasks(input: TaskCorpusInput, options: TaskCorpusOptions & { maxDocuments?: number }): PassageCorpus {
  const counts = emptyCounts();
  let inDomain = passageSetFromTasks(input.inDomain, options, counts);
  if (options.maxDocuments !== undefined) inDomain = capDocuments(inDomain, options.maxDocuments, options.seed ?? 1, counts);
  const corpus: PassageCorpus = { source: 'tasks', inDomain, counts };
  if (input.zeroShot.length > 0) {
    for (const task of input.zeroShot) {
      if (task.splits.test === undefined) throw new Error(`zero-shot task ${task.meta.name} has no test split (splits: ${Object.keys(task.splits).join(', ')})`);
    }
    const zeroShotCounts = emptyCounts();
    let zeroShot = passageSetFromTasks(input.zeroShot, { ...options, splits: ['test'] }, zeroShotCounts);
    if (options.maxDocuments !== undefined) zeroShot = capDocuments(zeroShot, options.maxDocuments, options.seed ?? 1, zeroShotCounts);
    corpus.zeroShot = zeroShot;
    corpus.zeroShotCounts = zeroShotCounts;
  }
  return corpus;
}

function sampleInOrder<T>(items: T[], cap: number | undefined, seed: number): T[] {
  if (cap === undefined || items.length <= cap) return items;
  const order = items.map((_, i) => i);
  new Rng(seed).shuffle(order);
  const keep = new Set(order.slice(0, cap));
  return items.filter((_, i) => keep.has(i));
}
