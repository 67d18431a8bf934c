// The JSON Schemas editors read: recipe.schema.json for whole recipes, recipe-fragment.schema.json for
// files that are parts of one (include fragments, recipes that extend a base). Every key is described.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const SCHEMAS = fileURLToPath(new URL('../../schemas/', import.meta.url));
const read = (name: string) => JSON.parse(readFileSync(SCHEMAS + name, 'utf8')) as Record<string, unknown>;
const recipe = read('recipe.schema.json');
const fragment = read('recipe-fragment.schema.json');

/** Paths of keys (entries of any `properties`) that have no description. */
function undescribed(node: unknown, path: string[] = []): string[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => undescribed(v, [...path, String(i)]));
  if (node === null || typeof node !== 'object') return [];
  const out: string[] = [];
  const props = (node as { properties?: Record<string, { description?: string }> }).properties ?? {};
  for (const [key, value] of Object.entries(props)) if (typeof value.description !== 'string' || value.description === '') out.push([...path, key].join('/'));
  for (const [key, value] of Object.entries(node)) out.push(...undescribed(value, [...path, key]));
  return out;
}

const validator = (schema: object) => new Ajv2020({ strict: false, allErrors: true }).compile(schema);

describe('schemas', () => {
  it('describe every key', () => {
    expect(undescribed(recipe)).toEqual([]);
    expect(undescribed(fragment)).toEqual([]);
  });

  it('the fragment schema is the recipe schema with nothing required at the top or in a stage', () => {
    const derived = structuredClone(recipe) as Record<string, unknown> & { required?: unknown; $defs: { stage: { required?: unknown } } };
    delete derived.required;
    delete derived.$defs.stage.required;
    const { $id, title, description, ...rest } = fragment;
    const { $id: _i, title: _t, description: _d, ...expected } = derived;
    expect(rest).toEqual(expected);
    expect([$id, title, typeof description]).toEqual(['https://retort.dev/schemas/recipe-fragment.schema.json', 'Retort recipe fragment', 'string']);
  });

  it('include fragments and extends-only recipes pass the fragment schema (the recipe schema wants stages and plugins)', () => {
    const files = [
      'vars:\n  n: 10\n',
      'extends: base.yaml\nname: child\nstages:\n  train:\n    params: { lr: 0.5 }\n',
      'report:\n  tables:\n    - stage: eval\n      metrics: [acc]\n      transpose: true\n',
    ].map((text) => parse(text) as unknown);
    const asFragment = validator(fragment);
    const asRecipe = validator(recipe);
    for (const doc of files) {
      expect(asFragment(doc), JSON.stringify(asFragment.errors)).toBe(true);
      expect(asRecipe(doc)).toBe(false);
    }
    // Still a schema: misspelt keys and wrong types are caught in fragments too.
    expect(asFragment(parse('stages:\n  train:\n    parms: {}\n'))).toBe(false);
    expect(asFragment(parse('report:\n  tables:\n    - stage: eval\n'))).toBe(false);
  });
});
