import { afterEach, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { listPins, pin, unpin } from '../../src/store/pins.js';
import { keyOf, openStore, removeDir } from './helpers.js';

const bases: string[] = [];
afterEach(async () => {
  for (const b of bases.splice(0)) await removeDir(b);
});

it('pins, renames, lists and unpins by key or name', async () => {
  const { store, base } = await openStore();
  bases.push(base);
  const a = keyOf('a');
  const b = keyOf('b');
  expect(await listPins(store)).toEqual([]);
  await pin(store, a);
  await pin(store, b, 'paper-table-2');
  await pin(store, a, 'baseline');
  expect((await listPins(store)).map((p) => [p.key, p.name])).toEqual([[b, 'paper-table-2'], [a, 'baseline']]);
  await expect(pin(store, a, 'paper-table-2')).rejects.toThrow(/already labels entry/);
  expect(await unpin(store, 'paper-table-2')).toBe(1);
  expect(await unpin(store, a)).toBe(1);
  expect(await unpin(store, a)).toBe(0);
  expect(await listPins(store)).toEqual([]);
});

it('concurrent pins are all kept (read-modify-write under a lock)', async () => {
  const { store, base } = await openStore();
  bases.push(base);
  const keys = Array.from({ length: 12 }, (_, i) => keyOf(`p${i}`));
  await Promise.all(keys.map((k) => pin(store, k)));
  expect((await listPins(store)).map((p) => p.key).sort()).toEqual([...keys].sort());
});

it('a damaged pins file is an error naming the file, not an empty list', async () => {
  const { store, base } = await openStore();
  bases.push(base);
  await writeFile(store.layout.pinsFile, '[oops');
  await expect(listPins(store)).rejects.toThrow(/pins\.json: not valid JSON/);
});
