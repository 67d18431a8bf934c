// Validators kept as ajv standalone code between runs behave as freshly compiled ones: same
// diagnostics, defaults applied; an entry whose code no longer loads is compiled again.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('reads no stored code that others may write: a group- or world-writable file is ignored', () => {
    const file = join(dir, 'c.json');
    useValidatorCache(file);
    check();
    saveValidatorCache();
    expect(statSync(file).mode & 0o077).toBe(0); // written for this user only
    // Code planted in a file anyone may write must never run.
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { code: Record<string, string> };
    const planted = join(dir, 'planted');
    for (const k of Object.keys(stored.code)) stored.code[k] = `require('node:fs').writeFileSync(${JSON.stringify(planted)}, 'x'); module.exports = () => true;`;
    writeFileSync(file, JSON.stringify(stored));
    chmodSync(file, 0o666);
    useValidatorCache(undefined);
    useValidatorCache(file);
    expect(check().diagnostics.length).toBe(3);
    expect(existsSync(planted)).toBe(false);
    // The same file made private again is trusted: the planted code runs (so the check above can fail).
    chmodSync(file, 0o600);
    useValidatorCache(undefined);
    useValidatorCache(file);
    check();
    expect(existsSync(planted)).toBe(true);
  });

  it('a cache that cannot be written is skipped without an error', () => {
    const file = join(dir, 'not-a-dir', 'd.json');
    writeFileSync(join(dir, 'not-a-dir'), 'a file where the folder should be');
    useValidatorCache(file);
    check();
    expect(() => saveValidatorCache()).not.toThrow();
  });
});
