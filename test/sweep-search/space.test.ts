import { describe, expect, it } from 'vitest';
import { assignmentId, choice, contains, int, loguniform, uniform, validateSpace } from '../../src/sweep/search/index.js';

describe('search space validation', () => {
  it('accepts a well-formed space', () => {
    expect(validateSpace({ lr: loguniform(1e-5, 1e-1), alpha: uniform(0, 1), layers: int(1, 8), width: int(16, 512, { log: true }), act: choice(['relu', 'gelu']), fixed: int(3, 3) })).toEqual([]);
  });

  it('names the dimension of each problem', () => {
    const problems = validateSpace({
      alpha: uniform(1, 1),
      beta: uniform(2, 1),
      lr: loguniform(0, 1),
      tau: loguniform(-1, -0.5),
      act: choice([]),
      layers: int(5, 2),
      half: int(1.5, 4),
      width: int(0, 64, { log: true }),
      inf: uniform(0, Infinity),
      twice: choice(['a', 'b', 'a']),
      ok: uniform(0, 1),
    });
    const byName = (name: string) => problems.filter((p) => p.dimension === name).map((p) => p.message);
    expect(byName('alpha')).toEqual(['uniform needs lo < hi, got lo 1 ≥ hi 1']);
    expect(byName('beta')).toEqual(['uniform needs lo < hi, got lo 2 ≥ hi 1']);
    expect(byName('lr')).toEqual(['loguniform needs lo > 0, got 0']);
    expect(byName('tau')).toEqual(['loguniform needs lo > 0, got -1']);
    expect(byName('act')).toEqual(['choice needs at least one value']);
    expect(byName('layers')).toEqual(['int needs lo ≤ hi, got lo 5 > hi 2']);
    expect(byName('half')).toEqual(['int bounds must be integers, got (1.5, 4)']);
    expect(byName('width')).toEqual(['int with log needs lo ≥ 1, got 0']);
    expect(byName('inf')).toEqual(['uniform bounds must be finite numbers, got (0, Infinity)']);
    expect(byName('twice')).toEqual(['choice lists a value twice']);
    expect(byName('ok')).toEqual([]);
  });

  it('an empty space is a problem of the space itself', () => {
    expect(validateSpace({})).toEqual([{ dimension: '', message: 'the search space has no dimensions' }]);
  });

  it('contains() checks kind, bounds and integrality; assignmentId ignores key order', () => {
    expect(contains(int(1, 4), 2)).toBe(true);
    expect(contains(int(1, 4), 2.5)).toBe(false);
    expect(contains(uniform(0, 1), 1.5)).toBe(false);
    expect(contains(choice(['a', 1]), 1)).toBe(true);
    expect(contains(choice(['a', 1]), '1')).toBe(false);
    const space = { a: uniform(0, 1), b: choice(['x', 'y']) };
    expect(assignmentId(space, { a: 0.5, b: 'x' })).toBe(assignmentId(space, { b: 'x', a: 0.5 }));
    expect(assignmentId(space, { a: 0.5, b: 'x' })).not.toBe(assignmentId(space, { a: 0.5, b: 'y' }));
  });
});
