// include/extends: `extends` is a base the file overrides; `include` fragments merge in order before the file;
// mappings merge key by key; lists and scalars replace; null removes an inherited key. Locations follow the values.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipeError } from '../../src/recipe/diagnostic.js';
import { loadRecipe } from '../../src/recipe/load.js';
import { at } from '../util/at.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'retort-include-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

function loadError(file: string): RecipeError {
  try {
    loadRecipe(join(dir, file));
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error('expected a RecipeError');
}

describe('extends', () => {
  it('is a base the file overrides: mappings merge key by key, scalars and lists replace', () => {
    write({
      'ext/base.yaml': 'name: base\nvars:\n  lr: 0.1\n  seeds: [1, 2, 3]\n  keep: yes\nstages:\n  a:\n    plugin: numbers\n    params:\n      count: 10\n      seed: 1\n',
      'ext/child.yaml': 'extends: base.yaml\nname: child\nvars:\n  lr: 0.5\n  seeds: [9]\nstages:\n  a:\n    params:\n      count: 20\n',
    });
    const { doc, files } = loadRecipe(join(dir, 'ext/child.yaml'));
    expect(doc).toEqual({
      name: 'child',
      vars: { lr: 0.5, seeds: [9], keep: 'yes' },
      stages: { a: { plugin: 'numbers', params: { count: 20, seed: 1 } } },
    });
    expect(files).toEqual([join(dir, 'ext/child.yaml'), join(dir, 'ext/base.yaml')]);
  });

  it('null removes an inherited key', () => {
    write({
      'null/base.yaml': 'vars:\n  a: 1\n  b: 2\nstages:\n  s:\n    plugin: numbers\n    params:\n      count: 5\n      seed: 3\n  t:\n    plugin: numbers\n',
      'null/child.yaml': 'extends: base.yaml\nvars:\n  b: null\nstages:\n  s:\n    params:\n      seed: null\n  t: null\n',
    });
    expect(loadRecipe(join(dir, 'null/child.yaml')).doc).toEqual({ vars: { a: 1 }, stages: { s: { plugin: 'numbers', params: { count: 5 } } } });
  });

  it('chains: a base may extend another base', () => {
    write({
      'chain/a.yaml': 'vars:\n  x: a\n  y: a\n  z: a\n',
      'chain/b.yaml': 'extends: a.yaml\nvars:\n  y: b\n  z: b\n',
      'chain/c.yaml': 'extends: b.yaml\nvars:\n  z: c\n',
    });
    expect(loadRecipe(join(dir, 'chain/c.yaml')).doc.vars).toEqual({ x: 'a', y: 'b', z: 'c' });
  });
});

describe('include', () => {
  it('merges fragments in order before the file; the file wins, later fragments win over earlier ones', () => {
    write({
      'inc/one.yaml': 'vars:\n  a: one\n  b: one\n  list: [1]\n',
      'inc/two.yaml': 'vars:\n  b: two\n  c: two\n  list: [2, 2]\n',
      'inc/main.yaml': 'include: [one.yaml, two.yaml]\nvars:\n  c: main\n',
    });
    expect(loadRecipe(join(dir, 'inc/main.yaml')).doc).toEqual({ vars: { a: 'one', b: 'two', c: 'main', list: [2, 2] } });
  });

  it('a single path is a list of one; fragments may live in other folders and include their own', () => {
    write({
      'nest/common/leaf.yaml': 'vars:\n  leaf: 1\n',
      'nest/common/mid.yaml': 'include: leaf.yaml\nvars:\n  mid: 2\n',
      'nest/main.yaml': 'include: common/mid.yaml\nvars:\n  top: 3\n',
    });
    expect(loadRecipe(join(dir, 'nest/main.yaml')).doc.vars).toEqual({ leaf: 1, mid: 2, top: 3 });
  });

  it('extends comes first, then includes, then the file', () => {
    write({
      'order/base.yaml': 'vars:\n  v: base\n  w: base\n',
      'order/frag.yaml': 'vars:\n  v: frag\n',
      'order/main.yaml': 'extends: base.yaml\ninclude: frag.yaml\nvars:\n  x: main\n',
    });
    expect(loadRecipe(join(dir, 'order/main.yaml')).doc.vars).toEqual({ v: 'frag', w: 'base', x: 'main' });
  });
});

describe('locations through include and extends', () => {
  it('each value keeps the file, line and column it came from, with its include chain', () => {
    write({
      'loc/frag.yaml': 'vars:\n  from_frag: 1\n',
      'loc/main.yaml': 'include:\n  - frag.yaml\nvars:\n  own: 2\n',
    });
    const { sources } = loadRecipe(join(dir, 'loc/main.yaml'));
    const frag = sources.get(['vars', 'from_frag'])!;
    expect(frag.value).toMatchObject({ file: join(dir, 'loc/frag.yaml'), line: 2, col: 14 });
    expect(frag.key).toMatchObject({ file: join(dir, 'loc/frag.yaml'), line: 2, col: 3 });
    expect(frag.includedFrom).toEqual([expect.objectContaining({ file: join(dir, 'loc/main.yaml'), line: 2, col: 5, via: 'include' })]);
    expect(sources.get(['vars', 'own'])!.value).toMatchObject({ file: join(dir, 'loc/main.yaml'), line: 4, col: 8 });
    expect(sources.get(['vars', 'own'])!.includedFrom).toEqual([]);
  });

  it('an overridden value points at the overriding file', () => {
    write({
      'loc2/base.yaml': 'vars:\n  lr: 0.1\n',
      'loc2/child.yaml': 'extends: base.yaml\nvars:\n  lr: 0.2\n',
    });
    const { sources } = loadRecipe(join(dir, 'loc2/child.yaml'));
    expect(sources.get(['vars', 'lr'])!.value).toMatchObject({ file: join(dir, 'loc2/child.yaml'), line: 3 });
  });
});

describe('include and extends errors', () => {
  it('a missing file points at the line that names it', () => {
    write({ 'err/main.yaml': 'include:\n  - nowhere.yaml\nstages: {}\n' });
    const d = at(loadError('err/main.yaml').diagnostics, 0);
    expect(d.message).toBe("cannot read included file 'nowhere.yaml': file not found");
    expect(d.location).toMatchObject({ file: join(dir, 'err/main.yaml'), line: 2, col: 5 });
  });

  it('a cycle names the files in order', () => {
    write({ 'cyc/a.yaml': 'extends: b.yaml\n', 'cyc/b.yaml': 'include: a.yaml\n' });
    const d = at(loadError('cyc/a.yaml').diagnostics, 0);
    expect(d.message).toBe('include cycle: a.yaml → b.yaml → a.yaml');
    expect(d.location).toMatchObject({ file: join(dir, 'cyc/b.yaml'), line: 1, col: 10 });
    expect(d.includedFrom).toEqual([expect.objectContaining({ file: join(dir, 'cyc/a.yaml'), via: 'extends' })]);
  });

  it('a syntax error inside a fragment carries the chain of includes', () => {
    write({ 'syn/bad.yaml': 'vars:\n  a: [1, 2\n', 'syn/main.yaml': 'include: bad.yaml\n' });
    const d = at(loadError('syn/main.yaml').diagnostics, 0);
    expect(d.message).toMatch(/^YAML syntax error: /);
    expect(d.location?.file).toBe(join(dir, 'syn/bad.yaml'));
    expect(d.includedFrom).toEqual([expect.objectContaining({ file: join(dir, 'syn/main.yaml'), line: 1, col: 10 })]);
  });

  it('include and extends must be paths', () => {
    write({ 'typ/main.yaml': 'extends: [a.yaml]\n' });
    expect(loadError('typ/main.yaml').diagnostics[0]!.message).toBe('expected `extends` to be the path of a base recipe, got a list');
  });
});
