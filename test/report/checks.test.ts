// Located errors of the table keys: at compile time (forms, a pivot's one metric, `best` keys,
// summary tables), and once the sweep is compiled (trial axes).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRecipe } from '../../src/graph/compile.js';
import { sweepTableProblems } from '../../src/graph/report-checks.js';
import { RecipeError } from '../../src/recipe/diagnostic.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'retort-table-checks-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function recipe(table: string): string {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, ['stages:', '  sample:', '    plugin: numbers', '    foreach: [1, 2]', '    params: { count: 10, seed: "${item}" }', 'report:', '  tables:', table].join('\n') + '\n');
  return file;
}

async function problems(file: string): Promise<{ keyPath?: string; message: string; hint?: string; line?: number }[]> {
  try {
    await compileRecipe(file);
  } catch (err) {
    if (err instanceof RecipeError) return err.diagnostics.map((d) => ({ keyPath: d.keyPath, message: d.message, hint: d.hint, line: d.location?.line }));
    throw err;
  }
  return [];
}

describe('table checks at compile time', () => {
  it('a pivot takes one metric, not several or a glob', async () => {
    const found = await problems(recipe('    - { stage: sample, row: item, column: params.seed, metrics: [mean, std] }'));
    expect(found).toEqual([{ keyPath: 'report.tables[0].metrics', message: 'a table with `column: params.seed` takes one metric (its cells), got 2: mean, std', hint: 'name one metric, or drop `column` to get one column per metric', line: 8 }]);
  });

  it('an unknown column form or param is named with the closest one', async () => {
    expect(await problems(recipe('    - { stage: sample, column: parms.seed, metrics: [mean] }'))).toMatchObject([{ keyPath: 'report.tables[0].column', message: "unknown column form 'parms.seed'", hint: "did you mean 'params'?" }]);
    expect(await problems(recipe('    - { stage: sample, column: params.seeed, metrics: [mean] }'))).toMatchObject([{ message: "column 'params.seeed': plugin 'numbers' of stage 'sample' has no param 'seeed'", hint: "did you mean 'seed'?" }]);
  });

  it('trial.<path> names a stage of the recipe', async () => {
    expect(await problems(recipe('    - { stage: sample, row: trial.stages.sampel.params.seed, metrics: [mean] }'))).toMatchObject([{ keyPath: 'report.tables[0].row', message: "row 'trial.stages.sampel.params.seed': unknown stage 'sampel'", hint: "did you mean 'sample'?" }]);
    expect(await problems(recipe('    - { stage: sample, row: trial.vars., metrics: [mean] }'))).toMatchObject([{ message: "row 'trial.vars.': expected trial.<axis path>, such as trial.vars.seed or trial.stages.<stage>.params.<name>" }]);
  });

  it('best per metric names a metric of the table', async () => {
    expect(await problems(recipe('    - { stage: sample, metrics: [mean, std], best: { maen: max } }'))).toMatchObject([{ keyPath: 'report.tables[0].best.maen', message: "best: 'maen' is not a metric of this table", hint: "did you mean 'mean'?" }]);
    expect(await problems(recipe('    - { stage: sample, metrics: ["q*"], average: true, best: { q50: max, Avg: min } }'))).toEqual([]);
  });

  it('the schema knows the new keys and their values', async () => {
    expect(await problems(recipe('    - { stage: sample, metrics: [mean], format: percnt }'))).toMatchObject([{ keyPath: 'report.tables[0].format', hint: "did you mean 'percent'?" }]);
    expect(await problems(recipe('    - { stage: sample, metrics: [mean], aggregate: "mean ± sem", missing: "n/a", n: true, best: min, format: percent }'))).toEqual([]);
  });

  it('a summary table has no row, column or transpose', async () => {
    expect(await problems(recipe('    - { stage: sample, metrics: [mean], summary: trials, row: item }'))).toMatchObject([{ keyPath: 'report.tables[0].row', message: '`row` does not apply to a sweep summary (`summary: trials`): its rows are the trials' }]);
  });
});

describe('table checks against the compiled sweep', () => {
  async function compiled(table: string) {
    return compileRecipe(recipe(table));
  }
  const thrown = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof RecipeError) return err.diagnostics.map((d) => ({ keyPath: d.keyPath, message: d.message, hint: d.hint, notes: d.notes }));
      throw err;
    }
    return [];
  };

  it('trial labels need a sweep', async () => {
    const r = await compiled('    - { stage: sample, row: trial.vars.seed, metrics: [mean] }');
    expect(thrown(() => sweepTableProblems(r))).toMatchObject([{ keyPath: 'report.tables[0].row', message: "row 'trial.vars.seed' needs a sweep" }]);
  });

  it('the path is an axis of the sweep, or the closest axis is named', async () => {
    const r = await compiled('    - { stage: sample, row: trial.stages.sample.params.sed, column: trial.vars.seed, metrics: [mean] }');
    r.sweep = { id: 's', trials: [{ id: 't0', assignments: { 'stages.sample.params.seed': 1, 'vars.seed': 1 } }] };
    expect(thrown(() => sweepTableProblems(r))).toEqual([{
      keyPath: 'report.tables[0].row', message: "row 'trial.stages.sample.params.sed': 'stages.sample.params.sed' is not an axis of the sweep",
      hint: "did you mean 'trial.stages.sample.params.seed'?", notes: ["the sweep's axes: stages.sample.params.seed, vars.seed"],
    }]);
  });
});
