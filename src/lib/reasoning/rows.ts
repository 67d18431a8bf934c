// Gold answers of real reasoning datasets, row by row, with located errors:
//   MATH  {"problem", "solution", "level", "type"}: the answer is the last \boxed{} of the solution;
//   GSM8K {"question", "answer"}: the answer follows "####".

import { DataError } from '../data/errors.js';
import { extractGsm8kAnswer, extractMathAnswer } from './answers.js';

export interface ReasoningRow {
  question: string;
  /** Reference solution (its chain of thought). */
  solution: string;
  answer: string;
}

function field(row: unknown, name: string, file: string, line: number): string {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new DataError(file, line, 'a row must be a JSON object');
  const v = (row as Record<string, unknown>)[name];
  if (typeof v !== 'string') throw new DataError(file, line, `"${name}" must be a string, got ${v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 60)}`);
  return v;
}

export function mathRow(row: unknown, file: string, line: number): ReasoningRow {
  const question = field(row, 'problem', file, line);
  const solution = field(row, 'solution', file, line);
  const answer = extractMathAnswer(solution);
  if (answer === null) throw new DataError(file, line, 'the solution has no \\boxed{…} answer (or its braces do not close)');
  return { question, solution, answer };
}

export function gsm8kRow(row: unknown, file: string, line: number): ReasoningRow {
  const question = field(row, 'question', file, line);
  const solution = field(row, 'answer', file, line);
  const answer = extractGsm8kAnswer(solution);
  if (answer === null) throw new DataError(file, line, 'the answer has no "#### <number>" line');
  return { question, solution: solution.slice(0, solution.lastIndexOf('####')).trim(), answer };
}
