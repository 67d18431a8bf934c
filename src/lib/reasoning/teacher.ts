// The built-in teacher: a seeded solver that re-solves a problem's chain step by step and, at
// configurable rates, makes the mistakes sampled LLM rationales make. A mistake is carried
// forward (later steps build on the wrong value), as in a real chain of thought, so the final
// answer is wrong unless the slip happens to cancel out. Each step makes at most one mistake.

import { NodeFailure } from '../../plugin/api.js';
import { hashString } from '../tasks/generated/rng.js';
import { deriveSeed, Rng } from '../nn/train/rng.js';
import { answerLine, applyOp, stepLine, type ArithProblem, type Op } from './types.js';

export interface TeacherErrorRates {
  /** Per step: the wrong operation ("+" for "−", "×" for "÷"…). */
  wrongOperation: number;
  /** Per step: the right operation, a wrong result (off by 1, 2 or 10). */
  arithmeticSlip: number;
  /** Per step: the step is left out. */
  skippedStep: number;
  /** Per step: the step is applied twice. */
  repeatedStep: number;
  /** Per step: a number of the question read wrong (digits swapped, off by one, or a distractor's number). */
  misreadNumber: number;
  /** Per rationale: it stops before stating a final answer. */
  missingAnswer: number;
}

export type TeacherError = keyof TeacherErrorRates;

export const DEFAULT_ERROR_RATES: TeacherErrorRates = {
  wrongOperation: 0.05,
  arithmeticSlip: 0.05,
  skippedStep: 0.03,
  repeatedStep: 0.03,
  misreadNumber: 0.04,
  missingAnswer: 0.02,
};

const STEP_ERRORS: Exclude<TeacherError, 'missingAnswer'>[] = ['wrongOperation', 'arithmeticSlip', 'skippedStep', 'repeatedStep', 'misreadNumber'];

export function checkErrorRates(rates: TeacherErrorRates): void {
  for (const [name, rate] of Object.entries(rates)) {
    if (!(typeof rate === 'number' && rate >= 0 && rate <= 1)) throw new NodeFailure(`teacher error rate ${name} must be in [0, 1], got ${rate}`);
  }
  const perStep = STEP_ERRORS.reduce((s, k) => s + rates[k], 0);
  if (perStep > 1) throw new NodeFailure(`the per-step teacher error rates add up to ${perStep}; at most one mistake per step needs a sum ≤ 1`);
}

export interface TeacherRationale {
  text: string;
  /** The mistakes made, in order (empty for a faithful rationale). */
  errors: TeacherError[];
}

/** Two decimals at most: a division by a misread number does not print 17 digits. */
const tidy = (x: number) => Math.round(x * 100) / 100;

function wrongOp(rng: Rng, op: Op): Op {
  switch (op) {
    case '+':
      return rng.next() < 0.5 ? '-' : '*';
    case '-':
      return '+';
    case '*':
      return '+';
    case '/':
      return '*';
  }
}

function slip(rng: Rng, value: number): number {
  const deltas = [-10, -2, -1, 1, 2, 10];
  return value + deltas[rng.int(deltas.length)]!;
}

function misread(rng: Rng, n: number, distractors: number[]): number {
  if (distractors.length > 0 && rng.next() < 0.5) {
    const other = distractors[rng.int(distractors.length)]!;
    if (other !== n) return other;
  }
  const digits = String(n);
  if (digits.length >= 2 && digits.at(-1) !== digits.at(-2) && digits.at(-1) !== '0') {
    return Number(digits.slice(0, -2) + digits.at(-1) + digits.at(-2));
  }
  return n <= 1 ? n + 1 : n + (rng.next() < 0.5 ? -1 : 1);
}

/** One rationale for a problem, drawn from `rng`. */
export function noisyRationale(problem: ArithProblem, rng: Rng, rates: TeacherErrorRates = DEFAULT_ERROR_RATES): TeacherRationale {
  const errors: TeacherError[] = [];
  const lines = [`${problem.startPhrase.replace('{n}', String(problem.start))}.`];
  let value = problem.start;
  for (const step of problem.steps) {
    let roll = rng.next();
    let kind: TeacherError | undefined;
    for (const k of STEP_ERRORS) {
      if (roll < rates[k]) {
        kind = k;
        break;
      }
      roll -= rates[k];
    }
    let op = step.op;
    let operand = step.operand;
    if (kind === 'skippedStep') {
      errors.push(kind);
      continue;
    }
    if (kind === 'wrongOperation') op = wrongOp(rng, op);
    if (kind === 'misreadNumber') operand = misread(rng, operand, problem.distractors);
    let after = tidy(applyOp(value, op, operand));
    if (kind === 'arithmeticSlip') after = slip(rng, after);
    lines.push(stepLine(step.phrase, value, op, operand, after));
    value = after;
    if (kind === 'repeatedStep') {
      after = tidy(applyOp(value, op, operand));
      lines.push(stepLine(step.phrase, value, op, operand, after));
      value = after;
    }
    if (kind) errors.push(kind);
  }
  if (rng.next() < rates.missingAnswer) errors.push('missingAnswer');
  else lines.push(answerLine(value));
  return { text: lines.join('\n'), errors };
}

export interface TeacherOptions {
  /** Rationales per question (the paper: 8). */
  samples: number;
  seed: number;
  rates?: TeacherErrorRates;
}

/**
 * `samples` rationales for each problem. Sample j of a problem depends only on (seed, the
 * problem's id, j), so taking a subset of the problems does not change their samples.
 */
export function teacherRationales(problems: ArithProblem[], options: TeacherOptions): TeacherRationale[][] {
  const rates = options.rates ?? DEFAULT_ERROR_RATES;
  checkErrorRates(rates);
  if (!Number.isInteger(options.samples) || options.samples < 1) throw new NodeFailure(`samples must be a positive integer, got ${options.samples}`);
  return problems.map((p) =>
    Array.from({ length: options.samples }, (_, j) => noisyRationale(p, new Rng(deriveSeed(options.seed, hashString(p.id), j)), rates)),
  );
}
