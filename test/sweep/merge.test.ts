// Trials merged into one DAG: equal keys are one node, readable ids, trials on every node, a stable sweep id.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentHasher } from '../../src/graph/content-hash.js';
import { compileRecipe } from '../../src/graph/compile.js';
import { computeKeys } from '../../src/graph/key.js';
import { compileSweep } from '../../src/sweep/compile-sweep.js';
import { nodeId } from '../../src/util/ids.js';

const COUNT = resolve('test/fixtures/plugins/count');
const recipe = (sweep: string) => `vars:
  seed: 1
stages:
  data: { plugin: ${COUNT} }
  prep: { plugin: ${COUNT}, inputs: { in: "\${stages.data.outputs.out}" }, params: { value: "\${vars.seed}" } }
  train: { plugin: ${COUNT}, inputs: { in: "\${stages.prep.outputs.out}" } }
${sweep}`;

function write(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'retort-sweep-merge-')), 'r.yaml');
  writeFileSync(file, text);
  return file;
}
const compile = (file: string, overrides: string[] = [], multirun = false) => compileSweep(file, { overrides, multirun, hasher: new ContentHasher() });

describe('merging trials', () => {
  it('makes nodes equal across trials one node, labelled by the values that set it apart', async () => {
    const file = write(recipe('sweep:\n  grid:\n    stages.train.params.value: [10, 20]\n    vars.seed: [1, 2]\n'));
    const sweep = (await compile(file))!;
    const { recipe: merged } = sweep;
    expect(merged.order).toEqual(['data', 'prep[seed=1]', 'train[value=10,seed=1]', 'prep[seed=2]', 'train[value=10,seed=2]', 'train[value=20,seed=1]', 'train[value=20,seed=2]']);
    expect(merged.nodes.get(nodeId('data'))!.trials).toEqual(['value=10,seed=1', 'value=10,seed=2', 'value=20,seed=1', 'value=20,seed=2']);
    expect(merged.nodes.get(nodeId('prep[seed=2]'))!.trials).toEqual(['value=10,seed=2', 'value=20,seed=2']);
    expect(merged.nodes.get(nodeId('train[value=20,seed=2]'))!.upstream).toEqual(['prep[seed=2]']);
    expect(merged.nodes.get(nodeId('train[value=20,seed=2]'))!.inputs.in).toEqual([{ kind: 'node', node: 'prep[seed=2]', port: 'out' }]);
    expect(merged.stages.get('prep')).toEqual(['prep[seed=1]', 'prep[seed=2]']);
    expect(merged.sweep!.trials[3]).toEqual({ id: 'value=20,seed=2', assignments: { 'stages.train.params.value': 20, 'vars.seed': 2 } });
    expect(sweep.trialNodes).toBe(12);
  });

  it('gives each merged node the key its trial has when compiled alone', async () => {
    const file = write(recipe('sweep:\n  grid:\n    vars.seed: [1, 2]\n'));
    const { keys, recipe: merged } = (await compile(file))!;
    const alone = await compileRecipe(file, { overrides: ['vars.seed=2'] });
    const aloneKeys = await computeKeys(alone, new ContentHasher());
    expect(keys.get(nodeId('train[seed=2]'))!.key).toBe(aloneKeys.get(nodeId('train'))!.key);
    expect(keys.get(nodeId('data'))!.key).toBe(aloneKeys.get(nodeId('data'))!.key);
    expect(merged.nodes.get(nodeId('train[seed=2]'))!.params).toEqual(alone.nodes.get(nodeId('train'))!.params);
  });

  it('keeps a node id unchanged when one key serves every trial', async () => {
    const file = write(recipe('sweep:\n  grid:\n    stages.train.params.label: [a, b]\n'));
    const { recipe: merged } = (await compile(file))!;
    expect(merged.order).toEqual(['data', 'prep', 'train[label=a]', 'train[label=b]']);
  });

  it('has an id that depends on the recipe and the spec, not on the run', async () => {
    const a = write(recipe('sweep:\n  grid:\n    vars.seed: [1, 2]\n'));
    const again = (await compile(a))!.recipe.sweep!.id;
    expect((await compile(a))!.recipe.sweep!.id).toBe(again);
    expect((await compile(write(recipe('sweep:\n  grid:\n    vars.seed: [1, 2, 3]\n'))))!.recipe.sweep!.id).not.toBe(again);
    expect((await compile(a, ['stages.train.params.label=x']))!.recipe.sweep!.id).not.toBe(again);
  });

  it('takes axes from -m -S and lets a fixed -S pin a swept path', async () => {
    const file = write(recipe('sweep:\n  grid:\n    vars.seed: [1, 2]\n'));
    const cli = (await compile(file, ['stages.train.params.value=3,4'], true))!;
    expect(cli.recipe.sweep!.trials.map((t) => t.id)).toEqual(['seed=1,value=3', 'seed=1,value=4', 'seed=2,value=3', 'seed=2,value=4']);
    const pinned = (await compile(file, ['vars.seed=5']))!;
    expect(pinned.recipe.sweep!.trials.map((t) => t.id)).toEqual(['t0']);
    expect(pinned.recipe.nodes.get(nodeId('prep'))!.params.value).toBe(5);
  });

  it('is no sweep without a sweep block or -m, and -S comma lists stay strings then', async () => {
    const file = write(recipe(''));
    expect(await compile(file, ['stages.train.params.label=a,b'])).toBeUndefined();
    const plain = await compileRecipe(file, { overrides: ['stages.train.params.label=a,b'] });
    expect(plain.nodes.get(nodeId('train'))!.params.label).toBe('a,b');
  });
});
