// The questions a distillation stage reads, whichever stage made them: the built-in arithmetic
// suite (arith-suite, `suite.json`) or a real dataset (reasoning-import, `reasoning.json`: MATH or
// GSM8K). Each problem is a question, a gold worked solution ending in the answer in the set's own
// format, and that answer; samples and predictions are compared in the same format. Every stage
// that reads questions (teacher-samples, nat-student, nce-student, asc-vote) reads them here, and
// real rows are checked as they are read, so a MATH solution without \boxed{} is a located data
// error in each of them.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeFailure } from '../../plugin/api.js';
import { DataError } from '../data/errors.js';
import type { AnswerFormat } from './answers.js';
import { REASONING_INDEX, readReasoningIndex, readReasoningSplit, type ReasoningProblem } from './import.js';
import { readSplit, readSuiteIndex, SUITE_INDEX } from './io.js';
import type { ArithProblem } from './types.js';

export interface WorkedProblem {
  id: string;
  split: string;
  question: string;
  /** The gold chain of thought, ending in the final answer as the set writes it. */
  rationale: string;
  answer: string;
}

export interface ProblemSet {
  kind: 'arith-suite' | 'math' | 'gsm8k';
  /** How final answers are written, extracted and compared. */
  answerFormat: AnswerFormat;
  splits: string[];
  read(split: string): Promise<WorkedProblem[]>;
  /** The suite's problems with their chains; a clear error for a real dataset. */
  arith(split: string, why: string): Promise<ArithProblem[]>;
}

/**
 * The gold rationale of a real row: a MATH solution already ends in its \boxed{} answer; a GSM8K
 * solution gets its `#### answer` line back, the form a GSM8K answer is extracted from.
 */
export function goldRationale(row: ReasoningProblem, format: 'math' | 'gsm8k'): string {
  return format === 'math' ? row.solution : `${row.solution}\n#### ${row.answer}`;
}

export async function openProblemSet(dir: string): Promise<ProblemSet> {
  if (existsSync(join(dir, SUITE_INDEX))) {
    const index = await readSuiteIndex(dir);
    return {
      kind: 'arith-suite',
      answerFormat: 'model',
      splits: index.splits.map((s) => s.name),
      read: async (split) =>
        (await readSplit(dir, split)).map((q) => ({ id: q.id, split: q.split, question: q.question, rationale: q.rationale, answer: String(q.answer) })),
      arith: (split) => readSplit(dir, split),
    };
  }
  if (existsSync(join(dir, REASONING_INDEX))) {
    const index = await readReasoningIndex(dir);
    const format = index.answerFormat;
    return {
      kind: format,
      answerFormat: format,
      splits: index.splits.map((s) => s.name),
      read: async (split) =>
        (await readReasoningSplit(dir, split)).map((r) => ({
          id: r.id, split: r.split, question: r.question, rationale: goldRationale(r, format), answer: r.answer,
        })),
      arith: async (_split, why) => {
        throw new NodeFailure(`${why} needs the arithmetic suite's chains (an arith-suite output); this input is a ${format} set from reasoning-import`);
      },
    };
  }
  throw new DataError(dir, 0, `neither an arith-suite output (${SUITE_INDEX}) nor a reasoning-import output (${REASONING_INDEX})`);
}
