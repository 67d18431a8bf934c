// The layers of src/ as DESIGN.md draws them: each engine folder imports only folders below it,
// the engine never imports the plugin library, and the library reaches the engine only through
// the plugin contract (src/plugin/api.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

// Lowest first: a folder may import itself and the folders before it.
const ENGINE_ORDER = ['util', 'recipe', 'plugin', 'store', 'graph', 'track', 'exec', 'report', 'sweep', 'cli'];

// The one place where the engine serves a library object: `retort serve-lm`, loaded lazily.
const ENGINE_TO_LIBRARY_ALLOWED = new Set(['cli/commands/serve-lm.ts']);

interface Import { from: string; to: string }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}

function relativeImports(): Import[] {
  const found: Import[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      found.push({ from: relative(SRC, file), to: relative(SRC, resolve(dirname(file), m[1]!)).replace(/\.js$/, '.ts') });
    }
  }
  return found;
}

/** 'lib' for the library, the engine folder otherwise, '' for files directly under src/. */
function layerOf(path: string): string {
  const parts = path.split('/');
  return parts.length === 1 ? '' : parts[0]!;
}

const imports = relativeImports();

describe('the layers of src/', () => {
  it('knows every folder of src/ (a new folder must be placed in the order above)', () => {
    expect(imports.length).toBeGreaterThan(500);
    const unknown = [...new Set(imports.flatMap((i) => [layerOf(i.from), layerOf(i.to)]))].filter((l) => l !== '' && l !== 'lib' && !ENGINE_ORDER.includes(l));
    expect(unknown).toEqual([]);
  });

  it('every engine folder imports only the folders below it', () => {
    const upward = imports
      .filter((i) => ENGINE_ORDER.includes(layerOf(i.from)) && ENGINE_ORDER.includes(layerOf(i.to)))
      .filter((i) => ENGINE_ORDER.indexOf(layerOf(i.to)) > ENGINE_ORDER.indexOf(layerOf(i.from)))
      .map((i) => `${i.from} -> ${i.to}`);
    expect(upward).toEqual([]);
  });

  it('the engine never imports the plugin library', () => {
    const intoLibrary = imports
      .filter((i) => layerOf(i.from) !== 'lib' && layerOf(i.from) !== '' && layerOf(i.to) === 'lib' && !ENGINE_TO_LIBRARY_ALLOWED.has(i.from))
      .map((i) => `${i.from} -> ${i.to}`);
    expect(intoLibrary).toEqual([]);
  });

  it('the library reaches the engine only through the plugin contract', () => {
    const intoEngine = imports
      .filter((i) => layerOf(i.from) === 'lib' && layerOf(i.to) !== 'lib' && i.to !== 'plugin/api.ts')
      .map((i) => `${i.from} -> ${i.to}`);
    expect(intoEngine).toEqual([]);
  });
});
