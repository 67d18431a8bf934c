// Arithmetic drills for pretraining: bare equations, "12 + 5 = 17", one per line, walked as a
// chain the way the suite's problems walk (the same operations, operands and running values), so
// the base model sees many more facts per token than worked problems give it. They are made from
// a seed of their own and hold no question, so they never repeat the distillation data.

import { Rng } from '../nn/train/rng.js';
import { nextStep, NUMBER_SCALES, type NumberScale } from './suite.js';
import { applyOp } from './types.js';

export interface DrillOptions {
  seed: number;
  rows: number;
  numbers: NumberScale;
  /** Equations per row (default 8). */
  perRow?: number;
}

export function drillRows(o: DrillOptions): string[] {
  const range = NUMBER_SCALES[o.numbers];
  const rng = new Rng(o.seed);
  const perRow = o.perRow ?? 8;
  const rows: string[] = [];
  for (let r = 0; r < o.rows; r++) {
    let value = range.start[0] + rng.int(range.start[1] - range.start[0] + 1);
    const lines: string[] = [];
    for (let i = 0; i < perRow; i++) {
      const { op, operand } = nextStep(rng, value, range);
      const after = applyOp(value, op, operand);
      lines.push(`${value} ${op} ${operand} = ${after}.`);
      value = after;
    }
    rows.push(lines.join('\n'));
  }
  return rows;
}
