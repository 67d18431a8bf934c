// The BEIR layout of a retrieval data set, read and written:
//
//   <dir>/corpus.jsonl         {"_id": "d1", "title": "…", "text": "…"}   one document a line
//   <dir>/queries.jsonl        {"_id": "q1", "text": "…"}                 one query a line
//   <dir>/qrels/<split>.tsv    query-id \t corpus-id \t score             first line is the header
//
// as BEIR's GenericDataLoader reads it (a missing title is ""; `metadata` is kept when present).
// Two optional corpus fields carry the structure of passage corpora: `doc`, the id of the document
// a passage belongs to, and `next`, the id of the passage that follows it in that document (what
// LLaRA's next-passage task predicts); a `next` must name a passage of the corpus, of the same `doc`.
// Every problem of the data is a DataError located at file:line: malformed JSON, a missing or
// duplicate id, a qrels line without three columns or with a non-integer score, a judgment twice,
// and a qrels line naming a query or document the files do not hold.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { DataError } from '../data/errors.js';
import { readJsonLines } from '../data/jsonl.js';

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
  /** The document this passage belongs to (passage corpora). */
  doc?: string;
  /** The passage that follows this one in its document (passage corpora). */
  next?: string;
  metadata?: Record<string, unknown>;
}

export interface BeirQuery {
  id: string;
  text: string;
  metadata?: Record<string, unknown>;
}

/** query id → document id → grade, for one split. */
export type BeirQrels = Map<string, Map<string, number>>;

export interface BeirDataset {
  corpus: Map<string, BeirDocument>;
  queries: Map<string, BeirQuery>;
  /** split name (the qrels file's stem) → judgments. */
  qrels: Map<string, BeirQrels>;
}

export const CORPUS_FILE = 'corpus.jsonl';
export const QUERIES_FILE = 'queries.jsonl';
export const QRELS_DIR = 'qrels';
export const QRELS_HEADER = 'query-id\tcorpus-id\tscore';

export interface ReadBeirOptions {
  /** Only these splits' qrels (each must exist); default every `qrels/*.tsv`. */
  splits?: readonly string[];
}

/** Reads a BEIR folder, checking every line; the qrels may only name ids of the corpus and queries. */
export async function readBeirFolder(dir: string, options: ReadBeirOptions = {}): Promise<BeirDataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(dir, 0, 'not a folder: a BEIR data set is a folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv');
  const corpusFile = join(dir, CORPUS_FILE);
  const corpusLines = new Map<string, number>();
  const corpus = await readRecords(corpusFile, 'document', passageFields, corpusLines);
  checkNextLinks(corpusFile, corpus, corpusLines);
  const queries = await readRecords(join(dir, QUERIES_FILE), 'query', (o) => ({ text: requiredText(o, 'text') }));
  const qrelsDir = join(dir, QRELS_DIR);
  if (!existsSync(qrelsDir)) throw new DataError(qrelsDir, 0, 'no qrels folder: expected qrels/<split>.tsv (e.g. qrels/test.tsv)');
  const present = readdirSync(qrelsDir).filter((f) => f.endsWith('.tsv')).map((f) => f.slice(0, -4)).sort();
  const splits = options.splits ?? present;
  if (splits.length === 0) throw new DataError(qrelsDir, 0, 'no <split>.tsv files');
  const qrels = new Map<string, BeirQrels>();
  for (const split of splits) {
    if (!present.includes(split)) throw new DataError(join(qrelsDir, `${split}.tsv`), 0, `no qrels for split '${split}' (present: ${present.join(', ') || 'none'})`);
    qrels.set(split, await readQrels(join(qrelsDir, `${split}.tsv`), queries, corpus));
  }
  return { corpus: corpus as Map<string, BeirDocument>, queries: queries as Map<string, BeirQuery>, qrels };
}

type Fields = Record<string, unknown>;

class FieldError extends Error {}

function requiredText(o: Fields, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new FieldError(`"${key}" must be a string, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  return v;
}

function optionalText(o: Fields, key: string): string {
  return o[key] === undefined || o[key] === null ? '' : requiredText(o, key);
}

function passageFields(o: Fields): Omit<BeirDocument, 'id'> {
  const fields: Omit<BeirDocument, 'id'> = { title: optionalText(o, 'title'), text: requiredText(o, 'text') };
  for (const key of ['doc', 'next'] as const) {
    if (o[key] === undefined || o[key] === null) continue;
    const v = o[key];
    if (typeof v !== 'string' || v === '') throw new FieldError(`"${key}" must be a non-empty string when present, got ${JSON.stringify(v)}`);
    fields[key] = v;
  }
  return fields;
}

/** Every `next` names another passage of the corpus, and of the same document when both say which. */
function checkNextLinks(file: string, corpus: ReadonlyMap<string, BeirDocument>, lines: ReadonlyMap<string, number>): void {
  for (const passage of corpus.values()) {
    if (passage.next === undefined) continue;
    const line = lines.get(passage.id) ?? 0;
    const next = corpus.get(passage.next);
    if (next === undefined) throw new DataError(file, line, `"next" names passage "${passage.next}", which is not in the corpus`);
    if (next.id === passage.id) throw new DataError(file, line, `"next" of passage "${passage.id}" names the passage itself`);
    if (passage.doc !== undefined && next.doc !== undefined && passage.doc !== next.doc) {
      throw new DataError(file, line, `"next" of passage "${passage.id}" (document "${passage.doc}") names passage "${next.id}" of another document ("${next.doc}")`);
    }
  }
}

/** BEIR ids are strings; integer ids (some exports write them) are read as their decimal text. */
function idOf(o: Fields): string {
  const v = o._id;
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  throw new FieldError(`"_id" must be a non-empty string, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
}

/** `firstLine` (given or not) receives each record's line number. */
async function readRecords<T extends object>(file: string, what: string, fields: (o: Fields) => T,
  firstLine = new Map<string, number>()): Promise<Map<string, T & { id: string; metadata?: Record<string, unknown> }>> {
  if (!existsSync(file)) throw new DataError(file, 0, 'file not found');
  const out = new Map<string, T & { id: string; metadata?: Record<string, unknown> }>();
  for await (const { value, line } of readJsonLines(file)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError(file, line, `expected a JSON object per ${what}`);
    const o = value as Fields;
    try {
      const id = idOf(o);
      const seen = firstLine.get(id);
      if (seen !== undefined) throw new FieldError(`${what} id "${id}" repeats the one on line ${seen}`);
      const record = { id, ...fields(o) } as T & { id: string; metadata?: Record<string, unknown> };
      if (o.metadata !== undefined) {
        if (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata)) throw new FieldError('"metadata" must be an object');
        record.metadata = o.metadata as Record<string, unknown>;
      }
      out.set(id, record);
      firstLine.set(id, line);
    } catch (e) {
      if (e instanceof FieldError) throw new DataError(file, line, e.message);
      throw e;
    }
  }
  return out;
}

async function* textLines(file: string): AsyncGenerator<{ text: string; line: number }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) yield { text: line === 0 ? text.replace(/^\uFEFF/, '') : text, line: ++line };
}

async function readQrels(file: string, queries: ReadonlyMap<string, unknown>, corpus: ReadonlyMap<string, unknown>): Promise<BeirQrels> {
  const qrels: BeirQrels = new Map();
  for await (const { text, line } of textLines(file)) {
    if (text.trim() === '') continue;
    const cols = text.split('\t');
    if (line === 1) {
      // BEIR always skips the first line; a judgment there would be lost, so it must be the header.
      if (cols.length === 3 && /^-?[0-9]+$/.test(cols[2]!.trim())) throw new DataError(file, line, `the first line must be the header "${QRELS_HEADER.replace(/\t/g, '\\t')}", found a judgment`);
      continue;
    }
    const [query, doc, scoreText, ...extra] = cols.map((c) => c.trim());
    if (query === undefined || doc === undefined || scoreText === undefined || extra.length > 0) {
      throw new DataError(file, line, `expected 3 tab-separated columns (query-id, corpus-id, score), found ${cols.length}`);
    }
    if (!/^-?[0-9]+$/.test(scoreText)) throw new DataError(file, line, `score must be an integer, got "${scoreText}"`);
    if (!queries.has(query)) throw new DataError(file, line, `query "${query}" is not in ${QUERIES_FILE}`);
    if (!corpus.has(doc)) throw new DataError(file, line, `document "${doc}" is not in ${CORPUS_FILE}`);
    const judged = qrels.get(query) ?? new Map<string, number>();
    if (judged.has(doc)) throw new DataError(file, line, `query "${query}" judges document "${doc}" twice`);
    judged.set(doc, Number(scoreText));
    qrels.set(query, judged);
  }
  return qrels;
}

function checkId(kind: string, id: string): void {
  if (id === '' || /[\t\r\n]/.test(id)) throw new Error(`${kind} id ${JSON.stringify(id)} cannot be written to a qrels file (empty, or holds a tab or line break)`);
}

/** Writes a data set in the BEIR layout (creating `dir`); the qrels and `next` links are checked against the corpus and queries first. */
export async function writeBeirFolder(dir: string, data: BeirDataset): Promise<void> {
  for (const d of data.corpus.values()) {
    if (d.next !== undefined && !data.corpus.has(d.next)) throw new Error(`passage "${d.id}": its next passage "${d.next}" is not in the corpus`);
  }
  for (const [split, qrels] of data.qrels) {
    if (!/^[A-Za-z0-9._-]+$/.test(split)) throw new Error(`split name ${JSON.stringify(split)} is not a plain file name`);
    for (const [query, judged] of qrels) {
      if (!data.queries.has(query)) throw new Error(`qrels ${split}: query "${query}" is not among the queries`);
      checkId('query', query);
      for (const [doc, grade] of judged) {
        if (!data.corpus.has(doc)) throw new Error(`qrels ${split}: document "${doc}" is not in the corpus`);
        checkId('document', doc);
        if (!Number.isInteger(grade)) throw new Error(`qrels ${split}: grade ${grade} of (${query}, ${doc}) is not an integer`);
      }
    }
  }
  await mkdir(join(dir, QRELS_DIR), { recursive: true });
  const corpus = [...data.corpus.values()].map((d) => JSON.stringify({
    _id: d.id, title: d.title, text: d.text,
    ...(d.doc !== undefined ? { doc: d.doc } : {}), ...(d.next !== undefined ? { next: d.next } : {}), ...(d.metadata ? { metadata: d.metadata } : {}),
  }));
  const queries = [...data.queries.values()].map((q) => JSON.stringify({ _id: q.id, text: q.text, ...(q.metadata ? { metadata: q.metadata } : {}) }));
  await writeFile(join(dir, CORPUS_FILE), lines(corpus));
  await writeFile(join(dir, QUERIES_FILE), lines(queries));
  for (const [split, qrels] of data.qrels) {
    const rows = [QRELS_HEADER];
    for (const [query, judged] of qrels) for (const [doc, grade] of judged) rows.push(`${query}\t${doc}\t${grade}`);
    await writeFile(join(dir, QRELS_DIR, `${split}.tsv`), lines(rows));
  }
}

function lines(items: readonly string[]): string {
  return items.length === 0 ? '' : items.join('\n') + '\n';
}

/** Counts for logs and metrics. */
export function describeBeir(data: BeirDataset): { documents: number; queries: number; judgments: Record<string, number> } {
  const judgments: Record<string, number> = {};
  for (const [split, qrels] of data.qrels) judgments[split] = [...qrels.values()].reduce((n, m) => n + m.size, 0);
  return { documents: data.corpus.size, queries: data.queries.size, judgments };
}
