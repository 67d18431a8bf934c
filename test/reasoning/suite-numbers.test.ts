// The suite's number scales: 'tiny' keeps every value of the in-distribution splits below 100,
// ood-numbers keeps its 3-digit numbers, and an unknown scale is a clear error.

import { describe, expect, it } from 'vitest';
import { generateSuite } from '../../src/lib/reasoning/suite.js';
import type { ArithProblem } from '../../src/lib/reasoning/types.js';
import { applyOp } from '../../src/lib/reasoning/types.js';

function values(p: ArithProblem): number[] {
  const out = [p.start];
  for (const s of p.steps) out.push(applyOp(out[out.length - 1]!, s.op, s.operand));
  return out;
}

describe('number scales', () => {
  it('tiny: every running value of train, test, ood-templates and ood-distractors is an integer in [1, 99]', () => {
    const suite = generateSuite({ seed: 4, trainSize: 300, testSize: 100, numbers: 'tiny' });
    for (const split of ['train', 'test', 'ood-templates', 'ood-distractors'] as const) {
      for (const p of suite[split]) for (const v of values(p)) expect(Number.isInteger(v) && v >= 1 && v <= 99, `${p.id}: ${v}`).toBe(true);
    }
    expect(Math.min(...suite['ood-numbers'].map((p) => p.start))).toBeGreaterThanOrEqual(100);
  });

  it('small stays the default (values up to 400 occur)', () => {
    const suite = generateSuite({ seed: 4, trainSize: 300, testSize: 0 });
    expect(Math.max(...suite.train.flatMap(values))).toBeGreaterThan(99);
  });

  it('an unknown scale is a clear error', () => {
    expect(() => generateSuite({ seed: 1, trainSize: 1, testSize: 1, numbers: 'huge' as 'tiny' })).toThrow(/numbers must be one of small, tiny, got "huge"/);
  });
});
