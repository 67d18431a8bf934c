// Validators kept as ajv standalone code between runs behave as freshly compiled ones: same
// diagnostics, defaults applied; an entry whose code no longer loads is compiled again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceMap } from '../../src/recipe/source-map.js';
import { saveValidatorCache, useValidatorCache, validateWithSchema } from '../../src/recipe/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'retort-validators-'));
afterAll(() => { useValidatorCache(undefined); rmSync(dir, { recursive: true, force: true }); });

// A fresh object each time: the in-process memo (by object) misses, the file cache does not.
const schema = () => ({
  type: 'object', additionalProperties: false,
  properties: { k: { type: 'integer', minimum: 1, default: 4 }, mode: { enum: ['a', 'b'] } },
});
const ctx = { sources: new SourceMap(), basePath: ['params'], fallback: { file: 'r.yaml', line: 1, col: 1 } } as unknown as Parameters<typeof validateWithSchema>[2];

function check(): { diagnostics: string[]; defaulted: unknown } {
  const bad = validateWithSchema(schema(), { k: 0, mode: 'c', extra: 1 }, ctx, true).map((d) => d.message);
  const value: Record<string, unknown> = {};
  validateWithSchema(schema(), value, ctx, true);
  return { diagnostics: bad, defaulted: value };
}

describe('validator cache', () => {
  it('gives the same diagnostics and defaults from stored code as from a fresh compile', () => {
    useValidatorCache(undefined);
    const fresh = check();
    expect(fresh.defaulted).toEqual({ k: 4 });
    expect(fresh.diagnostics.length).toBe(3);

    const file = join(dir, 'a.json');
    useValidatorCache(file);
    expect(check()).toEqual(fresh);
    saveValidatorCache();
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { code: Record<string, string> };
    expect(Object.keys(stored.code).length).toBe(1);

    useValidatorCache(undefined);
    useValidatorCache(file); // opened again, as by the next run
    expect(check()).toEqual(fresh);
  });

  it('compiles again when the stored code does not load', () => {
    const file = join(dir, 'b.json');
    useValidatorCache(file);
    const expected = check();
    saveValidatorCache();
    const body = JSON.parse(readFileSync(file, 'utf8')) as { code: Record<string, string> };
    for (const k of Object.keys(body.code)) body.code[k] = 'this is not javascript (';
    writeFileSync(file, JSON.stringify(body));
    useValidatorCache(undefined);
    useValidatorCache(file);
    expect(check()).toEqual(expected);
  });
});
