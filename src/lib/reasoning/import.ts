// Real reasoning datasets on disk: MATH and GSM8K rows read from JSONL/JSON/CSV/Parquet files or
// from a Hugging Face dataset repository (hf://datasets/…), each checked by mathRow / gsm8kRow
// (a MATH solution without \boxed{} is a located data error), and written as a reasoning set:
//
//   reasoning.json       {format: "retort-reasoning-set/1", answerFormat, splits: [{name, file, rows}]}
//   <split>.jsonl        {id, split, question, solution, answer} per line

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../data/errors.js';
import { fetchHfDataset, type HfOptions } from '../data/hf/index.js';
import { readJsonLines } from '../data/jsonl.js';
import { readRecords, type SourceFormat } from '../data/loaders.js';
import { canonicalNumber, extractMathAnswer, isMathEquiv } from './answers.js';
import { gsm8kRow, mathRow, type ReasoningRow } from './rows.js';

export type DatasetFormat = 'math' | 'gsm8k';

export interface ReasoningProblem extends ReasoningRow {
  id: string;
  split: string;
}

export const REASONING_INDEX = 'reasoning.json';
const INDEX_FORMAT = 'retort-reasoning-set/1';

export interface ReasoningIndex {
  format: typeof INDEX_FORMAT;
  /** How answers are written and compared: MATH's \boxed{} or GSM8K's "####". */
  answerFormat: DatasetFormat;
  splits: { name: string; file: string; rows: number }[];
}

const rowOf = (format: DatasetFormat) => (format === 'math' ? mathRow : gsm8kRow);

export interface ReadOptions {
  split: string;
  maxRows?: number;
  /** Override the format implied by a file's extension. */
  fileFormat?: SourceFormat;
}

/** The problems of one local file, checked row by row; a bad row names file:line. */
export async function readReasoningFile(file: string, format: DatasetFormat, o: ReadOptions): Promise<ReasoningProblem[]> {
  const toRow = rowOf(format);
  const out: ReasoningProblem[] = [];
  for await (const { record, line } of readRecords(file, { format: o.fileFormat, maxRows: o.maxRows })) {
    out.push({ id: `${o.split}-${out.length}`, split: o.split, ...toRow(record, file, line) });
  }
  return out;
}

/** The problems of the files an hf://datasets/… reference selects, in repository order. */
export async function readReasoningHf(url: string, format: DatasetFormat, o: ReadOptions & HfOptions): Promise<ReasoningProblem[]> {
  const { files } = await fetchHfDataset(url, o);
  const out: ReasoningProblem[] = [];
  const max = o.maxRows ?? Infinity;
  for (const f of files) {
    if (out.length >= max) break;
    const rows = await readReasoningFile(f.localPath, format, { split: o.split, maxRows: max - out.length });
    out.push(...rows.map((r, i) => ({ ...r, id: `${o.split}-${out.length + i}` })));
  }
  return out;
}

export async function writeReasoningSet(dir: string, answerFormat: DatasetFormat, splits: Record<string, ReasoningProblem[]>): Promise<ReasoningIndex> {
  const index: ReasoningIndex = { format: INDEX_FORMAT, answerFormat, splits: [] };
  for (const [name, rows] of Object.entries(splits)) {
    const file = `${name}.jsonl`;
    await writeFile(join(dir, file), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
    index.splits.push({ name, file, rows: rows.length });
  }
  await writeFile(join(dir, REASONING_INDEX), JSON.stringify(index, null, 2) + '\n');
  return index;
}

export async function readReasoningIndex(dir: string): Promise<ReasoningIndex> {
  const file = join(dir, REASONING_INDEX);
  let index: ReasoningIndex;
  try {
    index = JSON.parse(await readFile(file, 'utf8')) as ReasoningIndex;
  } catch (e) {
    throw new DataError(file, 0, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found: the input is not a reasoning-import output' : `invalid JSON: ${(e as Error).message}`);
  }
  if (index?.format !== INDEX_FORMAT || !Array.isArray(index.splits)) throw new DataError(file, 0, `not a ${INDEX_FORMAT} index`);
  return index;
}

/** The problems of one split of a reasoning set, checked. */
export async function readReasoningSplit(dir: string, split: string): Promise<ReasoningProblem[]> {
  const index = await readReasoningIndex(dir);
  const entry = index.splits.find((s) => s.name === split);
  if (!entry) throw new DataError(join(dir, REASONING_INDEX), 0, `no split "${split}" (splits: ${index.splits.map((s) => s.name).join(', ')})`);
  const file = join(dir, entry.file);
  const rows: ReasoningProblem[] = [];
  for await (const { value, line } of readJsonLines(file)) {
    const r = value as Partial<ReasoningProblem>;
    if (typeof r !== 'object' || r === null || !['id', 'split', 'question', 'solution', 'answer'].every((k) => typeof (r as Record<string, unknown>)[k] === 'string')) {
      throw new DataError(file, line, 'a row needs "id", "split", "question", "solution" and "answer" (strings)');
    }
    const bad = storedRowProblem(r as ReasoningProblem, index.answerFormat);
    if (bad !== null) throw new DataError(file, line, bad);
    rows.push(r as ReasoningProblem);
  }
  return rows;
}

/**
 * What is wrong with a stored row's answer, or null: a set written elsewhere or edited by hand
 * gets the checks reasoning-import makes, so a MATH solution without \boxed{} stays a located error.
 */
function storedRowProblem(r: ReasoningProblem, format: DatasetFormat): string | null {
  if (format === 'math') {
    const boxed = extractMathAnswer(r.solution);
    if (boxed === null) return 'the solution has no \\boxed{…} answer (or its braces do not close)';
    return isMathEquiv(boxed, r.answer) ? null : `"answer" is ${JSON.stringify(r.answer)}, but the solution's last \\boxed{} holds ${JSON.stringify(boxed)}`;
  }
  return canonicalNumber(r.answer) === null ? `"answer" must be a number (GSM8K), got ${JSON.stringify(r.answer).slice(0, 60)}` : null;
}
