// The layers of src/ as DESIGN.md draws them: each engine folder imports only folders below it,
// the engine never imports the plugin library, and the library reaches the engine only through
// the plugin contract (src/plugin/api.ts).
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { graph, ROOT } from './module-graph.js';

const SRC = `${ROOT}/src`;

// Lowest first: a folder may import itself and the folders before it.
const ENGINE_ORDER = ['util', 'recipe', 'plugin', 'store', 'graph', 'track', 'exec', 'report', 'sweep', 'cli'];

// The one place where the engine serves a library object: `retort serve-lm`, loaded lazily.
const ENGINE_TO_LIBRARY_ALLOWED = new Set(['cli/commands/serve-lm.ts']);

interface Import { from: string; to: string }

/** Every import between files of src/ (of any kind: a type import is a dependency too), as paths under src/. */
function relativeImports(): Import[] {
  const inSrc = (f: string) => f.startsWith(`${SRC}/`);
  return [...graph].filter(([from]) => inSrc(from)).flatMap(([from, edges]) => edges
    .filter(({ to }) => inSrc(to)).map(({ to }) => ({ from: relative(SRC, from), to: relative(SRC, to) })));
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
