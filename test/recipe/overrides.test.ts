// -S overrides: typed by the plugin's params schema, else by the recipe schema or the value they replace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRecipe } from '../../src/graph/compile.js';
import { RecipeError } from '../../src/recipe/diagnostic.js';
import { parseOverrides, schemaAt, schemaTypes, typedValue } from '../../src/recipe/overrides.js';
import { nodeId } from '../../src/util/ids.js';

let dir: string;
let recipe: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'retort-overrides-'));
  recipe = join(dir, 'recipe.yaml');
  writeFileSync(recipe, [
    'vars:',
    '  label: "007"',
    '  count: 10',
    '  seeds: [1, 2]',
    'stages:',
    '  sample:',
    '    plugin: numbers',
    '    params:',
    '      count: ${vars.count}',
    '  run:',
    '    plugin: shell',
    '    params:',
    '      command: echo ${vars.label}',
    '  summary:',
    '    plugin: stats',
    '    inputs:',
    '      data: ${stages.sample.outputs.data}',
    '',
  ].join('\n'));
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const compile = (...overrides: string[]) => compileRecipe(recipe, { overrides, env: {} });

async function errorsOf(...overrides: string[]): Promise<string[]> {
  try {
    await compile(...overrides);
  } catch (err) {
    if (err instanceof RecipeError) return err.diagnostics.map((d) => d.message);
    throw err;
  }
  throw new Error('expected a RecipeError');
}

describe('typing overrides', () => {
  it('params follow the plugin schema: integers, strings that look like numbers, lists', async () => {
    const r = await compile('stages.sample.params.seed=42', 'stages.run.params.command=123', 'stages.summary.params.quantiles=[0.1, 0.9]', 'stages.sample.params.mean=-1.5');
    expect(r.nodes.get(nodeId('sample'))!.params).toMatchObject({ seed: 42, mean: -1.5, count: 10 });
    expect(r.nodes.get(nodeId('run'))!.params.command).toBe('123');
    expect(r.nodes.get(nodeId('summary'))!.params.quantiles).toEqual([0.1, 0.9]);
  });

  it('vars follow the value they replace', async () => {
    const r = await compile('vars.label=008', 'vars.count=5', 'vars.seeds=[3]');
    expect(r.vars).toMatchObject({ label: '008', count: 5, seeds: [3] });
    expect(r.nodes.get(nodeId('run'))!.params.command).toBe('echo 008');
    expect(r.nodes.get(nodeId('sample'))!.params.count).toBe(5);
  });

  it('stage keys follow the recipe schema: foreach takes a list, repeat an integer', async () => {
    const r = await compile('stages.sample.foreach=[1, 2, 3]', 'stages.sample.params.seed=${item}', 'stages.summary.inputs.data=${stages.sample[2].outputs.data}');
    expect(r.stages.get('sample')).toEqual(['sample[1]', 'sample[2]', 'sample[3]']);
    expect(r.nodes.get(nodeId('sample[2]'))!.params.seed).toBe(2);
    expect(r.nodes.get(nodeId('summary'))!.inputs.data).toEqual({ kind: 'node', node: 'sample[2]', port: 'data' });
    const rep = await compile('stages.run.repeat=2');
    expect(rep.stages.get('run')).toEqual(['run#0', 'run#1']);
  });

  it('an override may use interpolation', async () => {
    const r = await compile('stages.sample.params.seed=${vars.count}');
    expect(r.nodes.get(nodeId('sample'))!.params.seed).toBe(10);
  });

  it('wrong types, unknown paths and params are errors that say what was expected', async () => {
    expect(await errorsOf('stages.sample.params.count=many')).toEqual(["bad value for 'stages.sample.params.count': expected an integer, got 'many'"]);
    expect(await errorsOf('vars.count=ten')).toEqual(["bad value for 'vars.count': expected a number, got 'ten'"]);
    expect(await errorsOf('stages.sample.params.cuont=1')).toEqual(["unknown param 'cuont' of stage 'sample'"]);
    expect(await errorsOf('vars.nope=1')).toEqual(["unknown variable 'vars.nope'"]);
    expect(await errorsOf('stages.nope.params.x=1')).toEqual(["unknown stage 'nope'"]);
    expect(await errorsOf('stages.sample.repeat=0')).toEqual(['expected an integer ≥ 1, got number 0']);
    expect(await errorsOf('count')).toEqual(["override 'count' has no '=': expected path=value"]);
  });

  it('errors point at the command line: the path, or the value after =', async () => {
    try {
      await compile('stages.sample.params.count=many');
    } catch (err) {
      expect((err as RecipeError).diagnostics[0]!.location).toEqual({ file: '<command line>', line: 1, col: 31, length: 4, text: '-S stages.sample.params.count=many' });
    }
  });
});

describe('override helpers', () => {
  it('parseOverrides splits path and value at the first =', () => {
    const { overrides, errors } = parseOverrides(['a.b[0]=x=y', 'c=']);
    expect(errors).toEqual([]);
    expect(overrides.map((o) => [o.path, o.raw])).toEqual([[['a', 'b', 0], 'x=y'], [['c'], '']]);
  });

  it('schemaAt walks properties, items and additionalProperties; closed schemas know what is missing', () => {
    const schema = { type: 'object', additionalProperties: false, properties: { a: { type: 'array', items: { type: 'integer' } }, m: { type: 'object', additionalProperties: { type: 'string' } } } };
    expect(schemaAt(schema, ['a', 0]).schema).toEqual({ type: 'integer' });
    expect(schemaAt(schema, ['m', 'anything']).schema).toEqual({ type: 'string' });
    expect(schemaAt(schema, ['b'])).toEqual({ missing: 'b', known: ['a', 'm'] });
    expect(schemaAt({ type: 'object', properties: { a: {} } }, ['b'])).toEqual({});
  });

  it('schemaTypes reads type, enum, const and alternatives', () => {
    expect(schemaTypes({ type: ['integer', 'null'] })).toEqual(['integer', 'null']);
    expect(schemaTypes({ enum: ['a', 1, 1.5] })).toEqual(['string', 'number']);
    expect(schemaTypes({ anyOf: [{ type: 'integer' }, { $ref: '#/$defs/interpolation' }] })).toEqual(['integer', 'string']);
  });

  it('typedValue keeps strings as typed when a string is wanted and parses YAML otherwise', () => {
    expect(typedValue('1e-3', { schema: { type: 'number' } })).toEqual({ value: 0.001 });
    expect(typedValue('true', { schema: { type: 'string' } })).toEqual({ value: 'true' });
    expect(typedValue('true', { existing: false })).toEqual({ value: true });
    expect(typedValue('1.5', { schema: { type: 'integer' } })).toEqual({ error: "expected an integer, got '1.5'" });
    expect(typedValue('{a: 1}', {})).toEqual({ value: { a: 1 } });
    expect(typedValue('x', { schema: { type: ['integer', 'string'] } })).toEqual({ value: 'x' });
  });
});
