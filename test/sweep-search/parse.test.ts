import { describe, expect, it } from 'vitest';
import { choice, int, loguniform, parseDimension, parseSpace, uniform } from '../../src/sweep/search/index.js';

describe('search spaces as recipes write them', () => {
  it('reads calls and one-key mappings alike', () => {
    expect(parseDimension('uniform(0, 1)')).toEqual({ dimension: uniform(0, 1) });
    expect(parseDimension(' loguniform(1e-5,1e-1) ')).toEqual({ dimension: loguniform(1e-5, 1e-1) });
    expect(parseDimension('int(1, 8)')).toEqual({ dimension: int(1, 8) });
    expect(parseDimension('int(16, 1024, log)')).toEqual({ dimension: int(16, 1024, { log: true }) });
    expect(parseDimension('choice(relu, "a, b", 3, true, null)')).toEqual({ dimension: choice(['relu', 'a, b', 3, true, null]) });
    expect(parseDimension({ loguniform: [1e-5, 1e-1] })).toEqual({ dimension: loguniform(1e-5, 1e-1) });
    expect(parseDimension({ int: [16, 1024], log: true })).toEqual({ dimension: int(16, 1024, { log: true }) });
    expect(parseDimension({ choice: ['relu', 'gelu'] })).toEqual({ dimension: choice(['relu', 'gelu']) });
  });

  it('says what is wrong, with a did-you-mean for near kinds', () => {
    expect(parseDimension('log_uniform(1, 2)')).toEqual({ problem: 'unknown dimension kind "log_uniform" (uniform, loguniform, int, choice); did you mean "loguniform"?' });
    expect(parseDimension('categorical(a, b)')).toEqual({ problem: 'unknown dimension kind "categorical" (uniform, loguniform, int, choice); did you mean "choice"?' });
    expect(parseDimension('uniform(0)')).toEqual({ problem: 'uniform takes two bounds (lo, hi), got 1 argument' });
    expect(parseDimension('uniform(a, 1)')).toEqual({ problem: 'uniform bounds must be numbers, got ("a", 1)' });
    expect(parseDimension('0.5')).toEqual({ problem: 'expected a call such as "uniform(0, 1)", got "0.5"' });
    expect(parseDimension({ uniform: [0, 1], log: true })).toEqual({ problem: 'unknown field "log" beside uniform (log is for int; use loguniform)' });
    expect(parseDimension({ uniform: [0, 1], int: [0, 1] })).toEqual({ problem: 'give one of uniform, loguniform, int, choice, not uniform and int' });
    expect(parseDimension({ choice: 'relu' })).toEqual({ problem: 'choice takes a list, e.g. [a, b]' });
    expect(parseDimension({ choice: [{ a: 1 }] })).toEqual({ problem: 'choice values must be strings, numbers, booleans or null, got {"a":1}' });
    expect(parseDimension(3)).toHaveProperty('problem');
  });

  it('parses a whole space and checks it, each problem under its dimension', () => {
    const { space, problems } = parseSpace({ lr: 'loguniform(0, 1)', act: 'choice()', depth: 'int(1, 4)', bad: 'normal(0, 1)' });
    expect(space).toEqual({ lr: loguniform(0, 1), act: choice([]), depth: int(1, 4) });
    expect(problems).toEqual([
      { dimension: 'bad', message: 'unknown dimension kind "normal" (uniform, loguniform, int, choice)' },
      { dimension: 'lr', message: 'loguniform needs lo > 0, got 0' },
      { dimension: 'act', message: 'choice needs at least one value' },
    ]);
    expect(parseSpace({}).problems).toEqual([{ dimension: '', message: 'the search space has no dimensions' }]);
  });
});
