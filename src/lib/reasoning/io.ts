// The suite on disk: one JSON Lines file per split (`<split>.jsonl`, one ArithProblem a line) and
// `suite.json` (the params, the splits and their sizes). Reading checks every row and names
// file:line on a bad one.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../data/errors.js';
import { readJsonLines } from '../data/jsonl.js';
import type { Suite } from './suite.js';
import type { ArithProblem, ChainStep } from './types.js';

export const SUITE_INDEX = 'suite.json';

export interface SuiteIndex {
  format: 'retort-arith-suite/1';
  params: Record<string, unknown>;
  splits: { name: string; file: string; rows: number }[];
}

export async function writeSuiteFiles(dir: string, suite: Suite, params: Record<string, unknown>): Promise<SuiteIndex> {
  const splits: SuiteIndex['splits'] = [];
  for (const [name, rows] of Object.entries(suite)) {
    const file = `${name}.jsonl`;
    await writeFile(join(dir, file), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
    splits.push({ name, file, rows: rows.length });
  }
  const index: SuiteIndex = { format: 'retort-arith-suite/1', params, splits };
  await writeFile(join(dir, SUITE_INDEX), JSON.stringify(index, null, 2) + '\n');
  return index;
}

export async function readSuiteIndex(dir: string): Promise<SuiteIndex> {
  const file = join(dir, SUITE_INDEX);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new DataError(file, 0, 'not found: the input is not an arith-suite output');
  }
  let index: SuiteIndex;
  try {
    index = JSON.parse(text) as SuiteIndex;
  } catch (e) {
    throw new DataError(file, 0, `invalid JSON: ${(e as Error).message}`);
  }
  if (index.format !== 'retort-arith-suite/1' || !Array.isArray(index.splits)) throw new DataError(file, 0, 'not a retort-arith-suite/1 index');
  return index;
}

const OPS = new Set(['+', '-', '*', '/']);

function problemOf(v: unknown, file: string, line: number): ArithProblem {
  const bad = (what: string) => new DataError(file, line, what);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('a row must be a JSON object');
  const r = v as Record<string, unknown>;
  for (const k of ['id', 'split', 'template', 'subject', 'question', 'startPhrase', 'rationale']) {
    if (typeof r[k] !== 'string') throw bad(`"${k}" must be a string`);
  }
  for (const k of ['start', 'answer']) if (typeof r[k] !== 'number') throw bad(`"${k}" must be a number`);
  if (!Array.isArray(r.steps)) throw bad('"steps" must be a list');
  r.steps.forEach((s: unknown, i: number) => {
    const st = s as Partial<ChainStep>;
    if (typeof st !== 'object' || st === null || !OPS.has(st.op as string) || typeof st.operand !== 'number' || typeof st.phrase !== 'string' || typeof st.sentence !== 'string') {
      throw bad(`steps[${i}] must be {op: + - * /, operand: number, sentence, phrase}`);
    }
  });
  if (!Array.isArray(r.distractors) || !r.distractors.every((d) => typeof d === 'number')) throw bad('"distractors" must be a list of numbers');
  return r as unknown as ArithProblem;
}

export async function readProblems(file: string): Promise<ArithProblem[]> {
  const rows: ArithProblem[] = [];
  for await (const { value, line } of readJsonLines(file)) rows.push(problemOf(value, file, line));
  return rows;
}

/** The problems of one split of a suite folder. */
export async function readSplit(dir: string, split: string): Promise<ArithProblem[]> {
  const index = await readSuiteIndex(dir);
  const entry = index.splits.find((s) => s.name === split);
  if (!entry) throw new DataError(join(dir, SUITE_INDEX), 0, `no split "${split}" (splits: ${index.splits.map((s) => s.name).join(', ')})`);
  return readProblems(join(dir, entry.file));
}
