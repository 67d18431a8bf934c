// What a sweep's trials keep for themselves and what belongs to the whole sweep: each trial's vars
// and track tags are its own (the merged recipe has those every trial shares); tables, the
// experiment and the executor cannot depend on a swept value: a located error at that value.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentHasher } from '../../src/graph/content-hash.js';
import { RecipeError } from '../../src/recipe/diagnostic.js';
import { compileSweep } from '../../src/sweep/compile-sweep.js';
import { at } from '../util/at.js';

const COUNT = resolve('test/fixtures/plugins/count');
const recipe = (extra: string) => `vars:
  seed: 1
  label: base
stages:
  train: { plugin: ${COUNT}, params: { value: "\${vars.seed}" } }
${extra}sweep:
  grid:
    vars.seed: [1, 2]
`;

async function compile(extra: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'retort-trial-context-')), 'r.yaml');
  writeFileSync(file, recipe(extra));
  return compileSweep(file, { overrides: [], multirun: false, hasher: new ContentHasher() });
}

async function diagnostic(extra: string) {
  const err = await compile(extra).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RecipeError);
  const d = at((err as RecipeError).diagnostics, 0);
  return { at: `${d.location.line}:${d.location.col}`, keyPath: d.keyPath, message: d.message, hint: d.hint };
}

describe("a sweep's trials", () => {
  it('keep their own vars; the sweep has the vars every trial shares', async () => {
    const sweep = (await compile(''))!;
    expect(sweep.recipe.vars).toEqual({ label: 'base' });
    expect(sweep.contexts.get('seed=1')!.vars).toEqual({ seed: 1, label: 'base' });
    expect(sweep.contexts.get('seed=2')!.vars).toEqual({ seed: 2, label: 'base' });
  });

  it('keep their own track tags; the sweep has the tags every trial shares', async () => {
    const sweep = (await compile('track:\n  tags: { seed: "s${vars.seed}", team: ir }\n'))!;
    expect(sweep.recipe.track.tags).toEqual({ team: 'ir' });
    expect(sweep.contexts.get('seed=2')!.tags).toEqual({ seed: 's2', team: 'ir' });
  });

  it('cannot have tables that depend on a swept value', async () => {
    // Located at the value that makes the second trial's tables differ: seed 2 of the grid.
    const d = await diagnostic('report:\n  tables:\n    - { title: "seed ${vars.seed}", stage: train, metrics: [total] }\n');
    expect(d).toEqual({
      at: '11:20', keyPath: 'vars.seed',
      message: "report.tables differs between trials seed=1 and seed=2 (it depends on 'vars.seed'): a sweep's tables pool the nodes of every trial, so they cannot depend on a swept value",
      hint: expect.stringMatching(/label rows or columns by the axis instead \(row: trial\.<axis path>, e\.g\. trial\.vars\.seed\)/),
    });
  });

  it('cannot log to an experiment that depends on a swept value', async () => {
    const d = await diagnostic('track:\n  experiment: "exp-${vars.seed}"\n');
    expect(d.message).toBe("track differs between trials seed=1 and seed=2 (it depends on 'vars.seed'): a sweep logs to one MLflow server and experiment");
    expect(d.hint).toMatch(/track\.tags may differ/);
  });

  it('cannot run on an executor that depends on a swept value', async () => {
    const d = await diagnostic('executor:\n  type: slurm\n  partition: "p${vars.seed}"\n');
    expect(d.message).toMatch(/^executor differs between trials seed=1 and seed=2 .*: one run of a sweep uses one executor$/);
  });
});
