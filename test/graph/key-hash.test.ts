// Keys are sha256 of the canonical JSON of the key structure, whatever way the hash is computed.
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { ContentHasher } from '../../src/graph/content-hash.js';
import { computeKeys, keyOf, type KeyStructure } from '../../src/graph/key.js';
import type { CompiledRecipe } from '../../src/graph/types.js';
import { canonicalJson } from '../../src/util/canonical.js';
import type { Key, NodeId } from '../../src/util/ids.js';

it('keyOf is the sha256 hex digest of the canonical JSON, unchanged by the one-shot hash', () => {
  const structure: KeyStructure = {
    keyVersion: 1,
    plugin: { id: 'p', version: '1', codeDigest: 'd'.repeat(64) },
    params: { b: [1, 2, { z: 'é', a: null }], a: -0 },
    inputs: { in: [{ node: 'a'.repeat(64) as Key, port: 'out' }, { content: 'c'.repeat(64), kind: 'file' }] },
    env: { HOME: null },
    runtime: { platform: 'linux', arch: 'x64', node: '20' },
  };
  const expected = createHash('sha256').update(canonicalJson(structure)).digest('hex');
  expect(keyOf(structure)).toBe(expected);
  // A fixed value: keys of existing stores must not move.
  expect(keyOf(structure)).toBe(createHash('sha256').update('{"env":{"HOME":null},"inputs":{"in":[{"node":"' + 'a'.repeat(64) + '","port":"out"},{"content":"' + 'c'.repeat(64) + '","kind":"file"}]},"keyVersion":1,"params":{"a":0,"b":[1,2,{"a":null,"z":"é"}]},"plugin":{"codeDigest":"' + 'd'.repeat(64) + '","id":"p","version":"1"},"runtime":{"arch":"x64","node":"20","platform":"linux"}}').digest('hex'));
});

const THIS_FILE = fileURLToPath(import.meta.url);

it('computeKeys gives each node keyOf(its structure), plugins and runtimes shared or not', async () => {
  const plugin = (id: string, extra: Partial<{ env: string[]; runtime: () => Record<string, string> }> = {}) =>
    ({ entry: `/p/${id}.mjs`, codeDigest: id.repeat(64).slice(0, 64), def: { id, version: '1.0', ...extra } });
  const gen = plugin('g');
  const tf = plugin('t', { env: ['HOME', 'RETORT_TEST_UNSET'], runtime: () => ({ backend: 'cpu', arch: 'other' }) });
  const nodes = new Map<string, unknown>([
    ['gen[0]', { plugin: gen, params: { i: 0, on: true, label: 'a"b' }, inputs: {} }],
    ['gen[1]', { plugin: gen, params: { i: -0, x: [1.5, null] }, inputs: {} }],
    ['fit', { plugin: tf, params: {}, inputs: {
      in: { kind: 'node', node: 'gen[0]', port: 'out' },
      all: [{ kind: 'node', node: 'gen[0]', port: 'o"q' }, { kind: 'node', node: 'gen[1]', port: 'out' }, { kind: 'path', path: THIS_FILE }],
      data: { kind: 'path', path: THIS_FILE },
    } }],
  ]);
  const recipe = { order: [...nodes.keys()], nodes } as unknown as CompiledRecipe;
  const keys = await computeKeys(recipe, new ContentHasher(join(tmpdir(), `retort-key-hash-${process.pid}.json`)), { HOME: '/home/u' });
  expect(keys.size).toBe(3);
  for (const { key, structure } of keys.values()) expect(key).toBe(keyOf(structure));
  expect(keys.get('fit' as NodeId)!.structure.runtime).toMatchObject({ backend: 'cpu', arch: 'other' });
  expect(keys.get('fit' as NodeId)!.structure.inputs.data).toMatchObject({ kind: 'file' });
});
