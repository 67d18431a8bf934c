// Keys are sha256 of the canonical JSON of the key structure, whatever way the hash is computed.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { keyOf, type KeyStructure } from '../../src/graph/key.js';
import { canonicalJson } from '../../src/util/canonical.js';
import type { Key } from '../../src/util/ids.js';

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
