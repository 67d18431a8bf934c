// Where a generated rationale goes wrong, line by line. Every step line of the arithmetic suite
// holds one equation, "… : 12 + 5 = 17."; checking each one separates the two skills a student
// needs: the arithmetic of a step (is 17 right for 12 + 5?) and the chaining (does the line start
// from the previous line's result?).

import { applyOp, type Op } from './types.js';

export interface StepCheck {
  /** Equations found in the text. */
  equations: number;
  /** Equations whose result is right for their own operands. */
  correct: number;
  /** Equations after the first. */
  followers: number;
  /** Of those, how many start from the result of the equation before. */
  chained: number;
}

const EQUATION = /(-?\d+) ([-+*/]) (-?\d+) = (-?\d+(?:\.\d+)?)/g;

export function checkSteps(text: string): StepCheck {
  const out: StepCheck = { equations: 0, correct: 0, followers: 0, chained: 0 };
  let previous: number | null = null;
  for (const m of text.matchAll(EQUATION)) {
    const [a, b, result] = [Number(m[1]), Number(m[3]), Number(m[4])];
    out.equations++;
    if (applyOp(a, m[2] as Op, b) === result) out.correct++;
    if (previous !== null) {
      out.followers++;
      if (a === previous) out.chained++;
    }
    previous = result;
  }
  return out;
}

/** The checks of many rationales added up. */
export function sumSteps(checks: StepCheck[]): StepCheck {
  const out: StepCheck = { equations: 0, correct: 0, followers: 0, chained: 0 };
  for (const c of checks) {
    out.equations += c.equations;
    out.correct += c.correct;
    out.followers += c.followers;
    out.chained += c.chained;
  }
  return out;
}

/** Percent, or NaN when there is nothing to count (no equation is not 0 % right). */
export const percent = (part: number, whole: number): number => (whole === 0 ? NaN : (100 * part) / whole);

/**
 * A split's step metrics: `steps/<split>/arithmetic` (percent of equations right) and
 * `steps/<split>/chained` (percent of lines that start from the result before), each only when
 * there is something to count.
 */
export function stepMetrics(split: string, texts: string[]): Record<string, number> {
  const c = sumSteps(texts.map(checkSteps));
  const out: Record<string, number> = {};
  if (c.equations > 0) out[`steps/${split}/arithmetic`] = percent(c.correct, c.equations);
  if (c.followers > 0) out[`steps/${split}/chained`] = percent(c.chained, c.followers);
  return out;
}
