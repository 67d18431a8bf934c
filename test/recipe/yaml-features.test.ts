// YAML features a recipe may use: merge keys (YAML 1.1 semantics), aliases (bounded), any line ends;
// and the YAML the loader refuses with a located, user-facing message.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, RecipeError } from '../../src/recipe/diagnostic.js';
import { loadRecipe, parseYaml } from '../../src/recipe/load.js';
import { MAX_ALIAS_EXPANSION } from '../../src/recipe/yaml-plain.js';

const FIXTURES = fileURLToPath(new URL('../bad-recipes/', import.meta.url));

function parseError(text: string): RecipeError {
  try {
    parseYaml(text, '/r.yaml');
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error('expected a RecipeError');
}

describe('merge keys', () => {
  it('add the keys of the merged mapping that the mapping does not set itself', () => {
    const { value, sources } = parseYaml('base: &base { count: 10, seed: 1 }\nrun:\n  <<: *base\n  seed: 2\n', '/r.yaml');
    expect(value).toEqual({ base: { count: 10, seed: 1 }, run: { count: 10, seed: 2 } });
    // A merged value is located where it is written: in the anchored mapping.
    expect(sources.get(['run', 'count'])?.value).toMatchObject({ line: 1, col: 22 });
    expect(sources.get(['run', 'seed'])?.value).toMatchObject({ line: 4, col: 9 });
  });

  it('take a list of mappings, the earlier ones winning, and explicit keys win wherever they are written', () => {
    const text = 'a: &a { x: 1, y: 1 }\nb: &b { y: 2, z: 2 }\nc:\n  x: 0\n  <<: [*a, *b]\n';
    expect(parseYaml(text, '/r.yaml').value).toMatchObject({ c: { x: 0, y: 1, z: 2 } });
  });

  it('merge mappings that merge others in turn', () => {
    const text = 'a: &a { x: 1 }\nb: &b { <<: *a, y: 2 }\nc: { <<: *b, z: 3 }\n';
    expect(parseYaml(text, '/r.yaml').value).toMatchObject({ c: { x: 1, y: 2, z: 3 } });
  });

  it('are refused when they merge themselves', () => {
    expect(parseError('a: &a { <<: *a }\n').message).toContain("alias '*a' is inside the value it refers to");
  });
});

describe('aliases', () => {
  it('expand within a bound: eleven nested levels fail fast, even when nothing uses them', () => {
    const text = readFileSync(`${FIXTURES}yaml-alias-bomb.yaml`, 'utf8');
    const started = performance.now();
    const err = parseError(text);
    const elapsed = performance.now() - started;
    expect(err.message).toContain(`more than ${MAX_ALIAS_EXPANSION} values`);
    // Measured 170–260 ms on a 2-core machine at load average 16; unbounded expansion took minutes.
    expect(elapsed).toBeLessThan(2000);
  });

  it('may be reused freely below the bound', () => {
    const { value } = parseYaml('seeds: &s [1, 2, 3]\na: *s\nb: *s\n', '/r.yaml');
    expect(value).toEqual({ seeds: [1, 2, 3], a: [1, 2, 3], b: [1, 2, 3] });
  });
});

describe('line ends', () => {
  it('bare CR, CRLF and LF are all line breaks, with the same locations', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const { value, sources } = parseYaml(['a: 1', 'b:', '  c: 2'].join(eol) + eol, '/r.yaml');
      expect(value).toEqual({ a: 1, b: { c: 2 } });
      expect(sources.get(['b', 'c'])?.key).toMatchObject({ line: 3, col: 3 });
    }
  });
});

describe('byte-order mark', () => {
  it('is read as one, not as part of the first key, and locations stay right', () => {
    const dir = mkdtempSync(join(tmpdir(), 'retort-bom-'));
    try {
      writeFileSync(join(dir, 'r.yaml'), '\uFEFFname: bom\nstages:\n  a:\n    plugin: numbers\n');
      const { doc, sources } = loadRecipe(join(dir, 'r.yaml'));
      expect(doc).toEqual({ name: 'bom', stages: { a: { plugin: 'numbers' } } });
      expect(sources.get(['stages', 'a'])?.key).toMatchObject({ line: 3, col: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('refused YAML', () => {
  it('a second document is explained in terms of recipes, not of the YAML library', () => {
    const err = parseError('a: 1\n---\nb: 2\n');
    expect(err.message).not.toMatch(/parseAllDocuments/);
    expect(err.diagnostics[0]!.location).toMatchObject({ line: 2, col: 1 });
  });

  it('deep nesting is a located error, not a stack overflow, at any depth', () => {
    for (const depth of [101, 5000, 50_000]) {
      const err = parseError(`a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
      expect(err.message).toBe('YAML nesting is deeper than 100 levels here');
      expect(err.diagnostics[0]!.location).toMatchObject({ line: 1 });
    }
    const block = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
    expect(parseError(block).message).toBe('YAML nesting is deeper than 100 levels here');
  });

  it('100 levels still parse', () => {
    const { value } = parseYaml(`a: ${'['.repeat(99)}${']'.repeat(99)}\n`, '/r.yaml');
    let depth = 0;
    for (let v = (value as { a: unknown }).a; Array.isArray(v); v = v[0]) depth++;
    expect(depth).toBe(99);
  });

  it('a binary file gives a short message without echoing it', () => {
    const err = parseBinary();
    const text = formatDiagnostic(err.diagnostics[0]!);
    expect(text.split('\n').length).toBeLessThanOrEqual(3);
    expect(text).not.toContain('^');
  });
});

function parseBinary(): RecipeError {
  // The file loader decodes bytes (parseYaml sees text only).
  try {
    loadRecipe(`${FIXTURES}yaml-binary.yaml`);
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error('expected a RecipeError');
}
