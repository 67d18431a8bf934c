// Mistakes in a sweep found before any trial compiles: repeated values, paths swept twice, empty
// distributions; and random search read from the recipe, reproducible by its seed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentHasher } from '../../src/graph/content-hash.js';
import { RecipeError } from '../../src/recipe/diagnostic.js';
import { compileSweep } from '../../src/sweep/compile-sweep.js';

const COUNT = resolve('test/fixtures/plugins/count');
const recipe = (sweep: string) => `vars:
  seed: 1
  lr: 0.1
stages:
  train: { plugin: ${COUNT}, params: { value: "\${vars.lr}" } }
${sweep}`;

async function compile(sweep: string, overrides: string[] = [], multirun = false) {
  const file = join(mkdtempSync(join(tmpdir(), 'retort-sweep-spec-')), 'r.yaml');
  writeFileSync(file, recipe(sweep));
  return compileSweep(file, { overrides, multirun, hasher: new ContentHasher() });
}

async function diagnostics(sweep: string, overrides: string[] = [], multirun = false) {
  const err = await compile(sweep, overrides, multirun).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RecipeError);
  return (err as RecipeError).diagnostics.map((d) => ({ at: `${d.location.file.replace(/.*\//, '')}:${d.location.line}:${d.location.col}`, message: d.message, hint: d.hint }));
}

describe('sweep spec mistakes', () => {
  it('a value repeated in an axis', async () => {
    expect(await diagnostics('sweep:\n  grid:\n    vars.seed: [1, 2, 1]\n')).toEqual([
      { at: 'r.yaml:8:23', message: 'value 1 appears twice in this sweep axis (items 0 and 2)', hint: expect.stringMatching(/each value once/) },
    ]);
  });

  it('a path swept twice: in the grid and the random space', async () => {
    const d = await diagnostics('sweep:\n  grid:\n    vars.lr: [0.1]\n  random:\n    budget: 2\n    space:\n      vars.lr: uniform(0, 1)\n');
    expect(d).toEqual([{ at: 'r.yaml:12:7', message: "'vars.lr' is swept twice (sweep.grid and sweep.random.space)", hint: expect.any(String) }]);
  });

  it('a variant setting a path an axis sweeps', async () => {
    const d = await diagnostics('sweep:\n  grid:\n    vars.lr: [0.1, 0.2]\n  variants:\n    - { name: a, set: { vars.lr: 0.3 } }\n');
    expect(d[0]).toMatchObject({ at: 'r.yaml:10:25', message: "variant 'a' sets 'vars.lr', which sweep.grid sweeps" });
  });

  it('two variants of one name', async () => {
    const d = await diagnostics('sweep:\n  variants:\n    - { name: a, set: { vars.lr: 0.3 } }\n    - { name: a, set: { vars.lr: 0.4 } }\n');
    expect(d[0]).toMatchObject({ message: "two variants are named 'a'" });
  });

  it('distributions with no values, low ≥ high, or a log-uniform from 0', async () => {
    const d = await diagnostics('sweep:\n  random:\n    budget: 2\n    space:\n      vars.lr: loguniform(0, 1)\n      vars.seed: { int: [5, 2] }\n');
    expect(d.map((x) => x.message)).toEqual(['loguniform needs low > 0, got 0', 'int(5, 2) is empty']);
  });

  it('an empty range', async () => {
    expect((await diagnostics('sweep:\n  grid:\n    vars.seed: { range: [3, 1] }\n'))[0]).toMatchObject({ message: 'range(3, 1, 1) is empty', hint: expect.stringMatching(/start < stop/) });
  });

  it('an empty value in a command-line comma list', async () => {
    expect((await diagnostics('', ['vars.seed=1,,3'], true))[0]).toMatchObject({ at: '<command line>:1:16', message: "empty value in the comma list of 'vars.seed'" });
  });
});

describe('random search in a recipe', () => {
  const block = (seed: number) => `sweep:\n  random:\n    budget: 5\n    seed: ${seed}\n    space:\n      vars.lr: { loguniform: [1.0e-4, 1.0e-1] }\n      vars.seed: int(1, 1000)\n`;

  it('draws the same trials from the same seed and others from another', async () => {
    const ids = async (seed: number) => (await compile(block(seed)))!.recipe.sweep!.trials.map((t) => t.id);
    const a = await ids(3);
    expect(a).toHaveLength(5);
    expect(await ids(3)).toEqual(a);
    expect(await ids(4)).not.toEqual(a);
    const trial = (await compile(block(3)))!.recipe.sweep!.trials[0]!;
    expect(trial.id).toBe(`lr=${trial.assignments['vars.lr']},seed=${trial.assignments['vars.seed']}`);
  });
});
