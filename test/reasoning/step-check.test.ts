// Checking a rationale line by line: each equation's arithmetic, and whether it starts from the
// result before it.
import { describe, expect, it } from 'vitest';
import { checkSteps, percent, stepMetrics, sumSteps } from '../../src/lib/reasoning/step-check.js';

describe('checkSteps', () => {
  it('counts right results and chained lines on a hand-checked rationale', () => {
    const text = [
      'Sofia bakes 21 pies.',
      'Taking one of 3 trays: 21 / 3 = 7.', // right
      'With 2 times as many: 7 * 2 = 15.', // wrong result, chained
      'After Lena eats 11: 14 - 11 = 3.', // right, not chained (15 before)
      'The answer is 3.',
    ].join('\n');
    expect(checkSteps(text)).toEqual({ equations: 3, correct: 2, followers: 2, chained: 1 });
  });

  it('finds nothing in a text without equations, and a division must be exact', () => {
    expect(checkSteps('The answer is 4.')).toEqual({ equations: 0, correct: 0, followers: 0, chained: 0 });
    expect(checkSteps('x: 7 / 2 = 3.')).toMatchObject({ equations: 1, correct: 0 });
  });

  it('adds checks up; a percentage of nothing is NaN, not 0', () => {
    const a = checkSteps('1 + 1 = 2. 2 + 2 = 4.');
    const b = checkSteps('5 - 1 = 3.');
    expect(sumSteps([a, b])).toEqual({ equations: 3, correct: 2, followers: 1, chained: 1 });
    expect(percent(1, 4)).toBe(25);
    expect(percent(0, 0)).toBeNaN();
  });
});

describe('stepMetrics', () => {
  it('names a split\'s percentages and leaves out what cannot be counted', () => {
    expect(stepMetrics('test', ['a: 2 + 3 = 5. b: 5 * 2 = 11.', 'The answer is 1.'])).toEqual({ 'steps/test/arithmetic': 50, 'steps/test/chained': 100 });
    expect(stepMetrics('test', ['x: 2 + 3 = 5.'])).toEqual({ 'steps/test/arithmetic': 100 });
    expect(stepMetrics('test', ['The answer is 1.'])).toEqual({});
  });
});
