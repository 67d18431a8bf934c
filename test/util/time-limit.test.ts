import { describe, expect, it } from 'vitest';
import { formatLimit, parseTimeLimit } from '../../src/util/time-limit.js';

describe('time limits', () => {
  it("reads Slurm's forms and numbers with a unit", () => {
    const min = 60_000;
    expect(parseTimeLimit('30')).toBe(30 * min);
    expect(parseTimeLimit('30:15')).toBe(30 * min + 15_000);
    expect(parseTimeLimit('01:00:00')).toBe(60 * min);
    expect(parseTimeLimit('2-12')).toBe((2 * 24 + 12) * 60 * min);
    expect(parseTimeLimit('1-00:30')).toBe((24 * 60 + 30) * min);
    expect(parseTimeLimit('1-00:00:05')).toBe(24 * 60 * min + 5000);
    expect(parseTimeLimit('90s')).toBe(90_000);
    expect(parseTimeLimit('1.5h')).toBe(90 * min);
    expect(parseTimeLimit(' 2d ')).toBe(2 * 24 * 60 * min);
  });

  it('rejects anything else, and zero', () => {
    for (const bad of ['', 'soon', '1 hour', '1:2:3:4', '-5', '0', '0s', '1.5', '5x', '1-']) expect(parseTimeLimit(bad), bad).toBeUndefined();
  });

  it('formats a limit in the largest whole unit', () => {
    expect(formatLimit(7_200_000)).toBe('2h');
    expect(formatLimit(90_000)).toBe('90s');
    expect(formatLimit(120_000)).toBe('2m');
  });
});
