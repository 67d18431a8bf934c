// Compile phases collect every error they find and go on with what is still checkable: one `validate`
// run reports independent mistakes of the schema, plugins, references, types and report together.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRecipe, type CompileOptions } from '../../src/graph/compile.js';
import { RecipeError } from '../../src/recipe/diagnostic.js';
import { nodeId } from '../../src/util/ids.js';

const FIXTURES = fileURLToPath(new URL('../bad-recipes/', import.meta.url));
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'retort-phases-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function compileError(file: string, opts?: CompileOptions): Promise<RecipeError> {
  try {
    await compileRecipe(file, opts);
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error('expected a RecipeError');
}

function recipe(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('errors in layers', () => {
  it('five independent mistakes are reported in one run', async () => {
    const err = await compileError(join(FIXTURES, 'five-independent-mistakes.yaml'));
    expect(err.diagnostics.map((d) => [d.keyPath, d.message])).toEqual([
      ['stages.sample.parms', "unknown key 'parms' in stage 'sample'"],
      ['stages.local.plugin', "plugin folder './no-such-plugin' does not exist"],
      ['stages.summary.inputs.data', "unknown stage 'sampel'"],
      ['stages.typed.params.count', 'expected an integer, got string "ten"'],
      ['report.tables[0].stage', "unknown stage 'summray'"],
    ]);
  });

  it('what depends on a failed stage is not checked against it (no echoes)', async () => {
    const file = recipe('dependent.yaml', [
      'stages:',
      '  sample:',
      '    plugin: ./missing-plugin',
      '  summary:',
      '    plugin: stats',
      '    inputs:',
      '      data: ${stages.sample.outputs.data}',
      '  other:',
      '    plugin: numbers',
      '    params: { count: -1 }',
    ].join('\n'));
    const err = await compileError(file);
    expect(err.diagnostics.map((d) => d.keyPath)).toEqual(['stages.sample.plugin', 'stages.other.params.count']);
  });

  it('a stage whose foreach fails is left out; its consumers are not said to miss an input', async () => {
    const file = recipe('foreach.yaml', [
      'stages:',
      '  sample:',
      '    plugin: numbers',
      '    foreach: 3',
      '  summary:',
      '    plugin: stats',
      '    inputs:',
      '      data: ${stages.sample.outputs.data}',
      '    params: { nope: 1 }',
    ].join('\n'));
    const err = await compileError(file);
    expect(err.diagnostics.map((d) => d.keyPath)).toEqual(['stages.sample.foreach', 'stages.summary.params.nope']);
  });
});

describe('-S stages.<id>.plugin', () => {
  it('switches the plugin of the stage', async () => {
    const file = recipe('switch.yaml', 'stages:\n  sample:\n    plugin: stats\n');
    const compiled = await compileRecipe(file, { overrides: ['stages.sample.plugin=numbers'] });
    expect(compiled.nodes.get(nodeId('sample'))?.plugin.def.id).toBe('numbers');
  });

  it('checks params and inputs against the new plugin', async () => {
    const err = await compileError(join(FIXTURES, 'override-target.yaml'), { overrides: ['stages.sample.plugin=stats'] });
    expect(err.diagnostics.map((d) => d.message)).toEqual(["unknown param 'count' of plugin 'stats'", "missing input 'data' required by plugin 'stats'"]);
  });
});

describe('params of command plugins', () => {
  const plugin = (name: string, extra: string) => {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'plugin.yaml'), `id: ${name}\nversion: "1"\ncommand: ["/bin/sh", "-c", "true"]\nparams:\n  type: object\n${extra}  properties:\n    words: { type: integer }\noutputs:\n  out: {}\n`);
  };

  it('a schema that says additionalProperties: true takes other params', async () => {
    plugin('open-on-purpose', '  additionalProperties: true\n');
    const file = recipe('open.yaml', 'stages:\n  a:\n    plugin: ./open-on-purpose\n    params: { words: 1, extra: 2 }\n');
    expect((await compileRecipe(file)).nodes.get(nodeId('a'))?.params).toEqual({ words: 1, extra: 2 });
  });

  it('a schema that leaves additionalProperties out does not', async () => {
    plugin('open-by-omission', '');
    const file = recipe('omitted.yaml', 'stages:\n  a:\n    plugin: ./open-by-omission\n    params: { words: 1, extra: 2 }\n');
    expect((await compileError(file)).diagnostics.map((d) => d.message)).toEqual(["unknown param 'extra' of plugin 'open-by-omission'"]);
  });
});
