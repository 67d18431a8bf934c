// The recipe document's TypeScript types are generated from its JSON Schema (scripts/recipe-types.mjs):
// the committed file is what the generator writes now, the generator maps each schema form it handles,
// and real recipes are what the typed literals of recipe-doc-fixtures.ts say they are.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { example, iclBaselines, llmRTemperature } from './recipe-doc-fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATOR = join(ROOT, 'scripts', 'recipe-types.mjs');
const generate = (...args: string[]) => execFileSync(process.execPath, [GENERATOR, '--stdout', ...args], { encoding: 'utf8' });

describe('recipe document types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retort-recipe-types-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are what the generator writes from schemas/recipe.schema.json (run `node scripts/recipe-types.mjs` after a schema change)', () => {
    expect(readFileSync(join(ROOT, 'src', 'graph', 'recipe-doc.generated.ts'), 'utf8')).toBe(generate());
  });

  it('map properties, index signatures, literals, unions, arrays, tuples, $ref and descriptions', () => {
    const schema = {
      description: 'A tiny document.',
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: {
        id: { type: 'string', description: 'Its name.' },
        'odd-key': { type: 'integer' },
        kind: { enum: ['a', "b'c"] },
        fixed: { const: 3 },
        tags: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object' },
        any: {},
        pair: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } },
        list: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'boolean' }] } },
        mode: { if: { type: 'string' }, then: { enum: ['on'] }, else: { $ref: '#/$defs/part' } },
        nullable: { type: ['string', 'null'] },
      },
      $defs: {
        part: {
          oneOf: [
            { type: 'array' },
            { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1, properties: { x: { type: 'number' }, y: { type: 'string' } } },
          ],
        },
      },
    };
    const file = join(dir, 'tiny.schema.json');
    writeFileSync(file, JSON.stringify(schema));
    const body = generate('--schema', file).split('\n').slice(2).join('\n');
    expect(body).toBe(`
/** Any JSON value: what the schema admits where it says no more. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A tiny document. */
export type RecipeDoc = {
  /** Its name. */
  id: string;
  'odd-key'?: number;
  kind?: 'a' | 'b\\'c';
  fixed?: 3;
  tags?: { [key: string]: string };
  free?: { [key: string]: JsonValue };
  any?: JsonValue;
  pair?: [number, number];
  list?: (string | boolean)[];
  mode?: 'on' | PartDoc;
  nullable?: string | null;
};

export type PartDoc = JsonValue[] | { x: number } | { y: string };
`);
  });

  it('describe real recipes: each typed literal is the recipe file it names', () => {
    const recipe = (path: string): unknown => parse(readFileSync(join(ROOT, 'recipes', path), 'utf8'));
    expect(recipe('example.yaml')).toEqual(example);
    expect(recipe('icl-baselines.yaml')).toEqual(iclBaselines);
    expect(recipe('sweeps/llm-r-temperature.yaml')).toEqual(llmRTemperature);
  });
});
