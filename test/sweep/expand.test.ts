// Sweep axes and their trials: comma lists, range(), choice(), variants, random search by seed.
import { describe, expect, it } from 'vitest';
import { expandTrials, shortNames } from '../../src/sweep/expand.js';
import { randomDraws, seededRandom } from '../../src/sweep/random.js';
import { commandLineAxes, type RandomAxis, type SweepSpec } from '../../src/sweep/spec.js';
import { rangeValues, splitTopLevel } from '../../src/sweep/values.js';
import { recipeAxes } from '../../src/sweep/spec.js';
import { SourceMap } from '../../src/recipe/source-map.js';

const here = { file: 'r.yaml', line: 1, col: 1 };
const specOf = (block: Parameters<typeof recipeAxes>[0]) => {
  const read = recipeAxes(block, new SourceMap(), here);
  expect(read.errors).toEqual([]);
  return read.spec;
};

describe('sweep values', () => {
  it('split comma lists outside quotes and brackets', () => {
    expect(splitTopLevel('1, [2,3], "a,b", {x: 1, y: 2}').map((p) => p.text)).toEqual(['1', '[2,3]', '"a,b"', '{x: 1, y: 2}']);
    expect(splitTopLevel('a,b').map((p) => p.start)).toEqual([0, 2]);
  });

  it('range excludes stop, takes float and negative steps, and keeps values as written', () => {
    expect(rangeValues([3])).toEqual({ values: [0, 1, 2] });
    expect(rangeValues([0, 1, 0.1])).toEqual({ values: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] });
    expect(rangeValues([5, 0, -2])).toEqual({ values: [5, 3, 1] });
    expect(rangeValues([0, 1, 0])).toMatchObject({ error: expect.stringMatching(/step is 0/) });
    expect(rangeValues([2, 1])).toMatchObject({ error: 'range(2, 1, 1) is empty' });
  });
});

describe('grids', () => {
  it('are cross products, first axis outermost, with ids made of short axis names', () => {
    const spec = specOf({ grid: { 'stages.train.params.lr': [0.1, 0.2], 'vars.seed': 'range(1, 4)' } });
    const trials = expandTrials(spec);
    expect(trials.map((t) => t.id)).toEqual(['lr=0.1,seed=1', 'lr=0.1,seed=2', 'lr=0.1,seed=3', 'lr=0.2,seed=1', 'lr=0.2,seed=2', 'lr=0.2,seed=3']);
    expect(trials[4]!.assignments).toEqual({ 'stages.train.params.lr': 0.2, 'vars.seed': 2 });
    expect(trials[4]!.settings.map((s) => s.override.text)).toEqual(['stages.train.params.lr=0.2', 'vars.seed=2']);
  });

  it('take choice() and the mapping forms as lists', () => {
    const spec = specOf({ grid: { 'vars.opt': 'choice(adam, sgd)', 'vars.k': { range: [2, 8, 3] }, 'vars.m': { choice: ['x'] } } });
    expect(expandTrials(spec).map((t) => t.id)).toEqual(['opt=adam,k=2,m=x', 'opt=adam,k=5,m=x', 'opt=sgd,k=2,m=x', 'opt=sgd,k=5,m=x']);
  });

  it('name axes by the shortest tail no other axis shares', () => {
    expect([...shortNames(['stages.a.params.seed', 'stages.b.params.seed', 'vars.lr']).values()]).toEqual(['a.params.seed', 'b.params.seed', 'lr']);
  });
});

describe('variants', () => {
  it('are crossed with the grid and named in the trial id and the `variant` assignment', () => {
    const spec = specOf({
      variants: [{ name: 'small', set: { 'vars.dim': 8 } }, { name: 'large', set: { 'vars.dim': 64, 'vars.layers': 2 } }],
      grid: { 'vars.seed': [1, 2] },
    });
    const trials = expandTrials(spec);
    expect(trials.map((t) => t.id)).toEqual(['small,seed=1', 'small,seed=2', 'large,seed=1', 'large,seed=2']);
    expect(trials[2]!.assignments).toEqual({ variant: 'large', 'vars.dim': 64, 'vars.layers': 2, 'vars.seed': 1 });
  });
});

describe('random search', () => {
  const axes: RandomAxis[] = [
    { path: 'vars.lr', parsedPath: ['vars', 'lr'], dist: { kind: 'loguniform', low: 1e-4, high: 1e-1 }, keyLocation: here, valueLocation: here },
    { path: 'vars.p', parsedPath: ['vars', 'p'], dist: { kind: 'uniform', low: 0, high: 1 }, keyLocation: here, valueLocation: here },
    { path: 'vars.dim', parsedPath: ['vars', 'dim'], dist: { kind: 'int', low: 1, high: 3 }, keyLocation: here, valueLocation: here },
    { path: 'vars.opt', parsedPath: ['vars', 'opt'], dist: { kind: 'choice', values: ['adam', 'sgd'] }, keyLocation: here, valueLocation: here },
  ];
  const values = (seed: number, budget = 50) => randomDraws(axes, budget, seed).map((d) => d.map((s) => s.value));

  it('draws the same trials from the same seed, other trials from another', () => {
    expect(values(7)).toEqual(values(7));
    expect(values(7)).not.toEqual(values(8));
    expect(values(7)).toHaveLength(50);
  });

  it('keeps every draw inside its distribution, both ends of int included', () => {
    const draws = values(3, 200);
    for (const [lr, p, dim, opt] of draws as [number, number, number, string][]) {
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1e-1);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(1);
      expect(['adam', 'sgd']).toContain(opt);
      expect(Number.isInteger(dim)).toBe(true);
    }
    expect(new Set(draws.map((d) => d[2]))).toEqual(new Set([1, 2, 3]));
    // Log-uniform: about as many draws below 1e-2.5 as above.
    const low = draws.filter((d) => (d[0] as number) < 10 ** -2.5).length;
    expect(low).toBeGreaterThan(60);
    expect(low).toBeLessThan(140);
  });

  it('stops short of the budget when the space has fewer points, without repeats', () => {
    const small = randomDraws([axes[3]!], 10, 1).map((d) => d[0]!.value);
    expect(small.sort()).toEqual(['adam', 'sgd']);
  });

  it('is crossed with the grid: each draw runs every seed', () => {
    const spec: SweepSpec = { ...specOf({ grid: { 'vars.seed': [1, 2] } }), random: { budget: 3, seed: 0, axes: [axes[2]!] } };
    const trials = expandTrials(spec);
    expect(trials).toHaveLength(6);
    expect(trials.map((t) => t.assignments['vars.seed'])).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('has a generator spread evenly over [0, 1)', () => {
    const next = seededRandom(42);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) bins[Math.floor(next() * 10)]++;
    for (const b of bins) expect(Math.abs(b - 1000)).toBeLessThan(120);
  });
});

describe('-m on the command line', () => {
  it('makes comma lists, range() and choice() axes; a quoted comma and a bracket list stay one value', () => {
    const { fixed, axes, errors } = commandLineAxes(['vars.seed=1,2,3', 'vars.lr=range(0, 0.3, 0.1)', 'vars.opt=choice(adam,sgd)', 'vars.label="a,b"', 'vars.dims=[1,2]']);
    expect(errors).toEqual([]);
    expect(axes.map((a) => [a.path, a.values.map((v) => v.value)])).toEqual([
      ['vars.seed', [1, 2, 3]], ['vars.lr', [0, 0.1, 0.2]], ['vars.opt', ['adam', 'sgd']],
    ]);
    expect(fixed).toEqual(['vars.label=a,b', 'vars.dims=[1,2]']);
    // Each value is located under its own place in the -S text.
    expect(axes[0]!.values.map((v) => v.override.valueLocation?.col)).toEqual([14, 16, 18]);
  });
});
