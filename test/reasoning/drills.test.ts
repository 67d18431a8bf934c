// Pretraining drills: bare equations, each right, walked as the suite's chains walk, the same for
// the same seed.
import { describe, expect, it } from 'vitest';
import { drillRows } from '../../src/lib/reasoning/drills.js';
import { checkSteps } from '../../src/lib/reasoning/step-check.js';

describe('drillRows', () => {
  it('writes right, chained equations within the scale, the same for the same seed', () => {
    const rows = drillRows({ seed: 5, rows: 30, numbers: 'tiny' });
    expect(rows).toHaveLength(30);
    expect(drillRows({ seed: 5, rows: 30, numbers: 'tiny' })).toEqual(rows);
    expect(drillRows({ seed: 6, rows: 30, numbers: 'tiny' })).not.toEqual(rows);
    for (const row of rows) {
      expect(row.split('\n')).toHaveLength(8);
      expect(checkSteps(row)).toEqual({ equations: 8, correct: 8, followers: 7, chained: 7 });
      for (const n of row.match(/\d+/g) ?? []) expect(Number(n)).toBeLessThan(100); // tiny: every value below 100
    }
    const ops = new Set(rows.flatMap((r) => r.match(/ [-+*/] /g) ?? []));
    expect([...ops].sort()).toEqual([' * ', ' + ', ' - ', ' / ']);
  });

  it('makes none when asked for none, and rows of the asked length', () => {
    expect(drillRows({ seed: 1, rows: 0, numbers: 'small' })).toEqual([]);
    expect(drillRows({ seed: 1, rows: 2, numbers: 'small', perRow: 3 })[0]!.split('\n')).toHaveLength(3);
  });
});
