// The point of the entry index: a plan over indexed entries reads no manifest file, and lists no
// store folder to find which entries are there (the stat of each indexed manifest tells).
import * as fs from 'node:fs';
import { afterEach, expect, it, vi } from 'vitest';
import { keyOf, openStore, put, removeDir } from './helpers.js';
import type { Key } from '../../src/util/ids.js';

vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>();
  return { ...real, readFileSync: vi.fn(real.readFileSync), readdirSync: vi.fn(real.readdirSync) };
});

const bases: string[] = [];
afterEach(async () => { for (const b of bases.splice(0)) await removeDir(b); });

/** A fresh store holding `n` published entries, and their keys. */
async function storeWithEntries(n: number) {
  const { store, base } = await openStore();
  bases.push(base);
  const keys: Key[] = [];
  for (let i = 0; i < n; i++) {
    keys.push(keyOf(i));
    await put(store, keyOf(i), { 'out/v.txt': `${i}` });
  }
  return { store, keys };
}

it('reads the index instead of one manifest per entry once the index holds them', async () => {
  const { store, keys } = await storeWithEntries(5);
  const readFileSync = vi.mocked(fs.readFileSync);
  const manifestReads = () => readFileSync.mock.calls.filter(([path]) => String(path).endsWith('manifest.json')).length;
  readFileSync.mockClear();
  await store.lookupMany(keys);
  expect(manifestReads()).toBe(5);
  readFileSync.mockClear();
  // The first indexed lookup folds the journal that publishing wrote: still no manifest read.
  const first = await store.lookupMany(keys, { index: 'recipes/test.yaml' });
  expect(manifestReads()).toBe(0);
  expect([...first.values()].every((r) => r.status === 'hit')).toBe(true);
  readFileSync.mockClear();
  await store.lookupMany(keys, { index: 'recipes/test.yaml' });
  expect(manifestReads()).toBe(0);
});

it('keeps the records of entries a lookup did not ask about (a plan after a plugin edit)', async () => {
  const { store, keys } = await storeWithEntries(5);
  await store.lookupMany(keys, { index: 'recipes/test.yaml' });
  // After an edit every key is new: nothing is found, and the index must not forget the old entries.
  const edited = await store.lookupMany([keyOf('edited-0'), keyOf('edited-1')], { index: 'recipes/test.yaml' });
  expect([...edited.values()].map((r) => r.status)).toEqual(['miss', 'miss']);
  const readFileSync = vi.mocked(fs.readFileSync);
  const manifestReads = () => readFileSync.mock.calls.filter(([path]) => String(path).endsWith('manifest.json')).length;
  readFileSync.mockClear();
  const again = await store.lookupMany(keys, { index: 'recipes/test.yaml' });
  expect(manifestReads()).toBe(0);
  expect([...again.values()].every((r) => r.status === 'hit')).toBe(true);
});

it("leaves the key structure out of the index and reads it from the manifest only when a hit's is asked for", async () => {
  const { store, base } = await openStore();
  bases.push(base);
  const key = keyOf('structured');
  await put(store, key, { 'out/v.txt': 'v' }, { keyStructure: { params: { lr: 0.1 }, inputs: { data: keyOf('upstream') } } });
  await store.lookupMany([key], { index: 'recipes/test.yaml' });
  const snapshot = fs.readdirSync(`${store.root}/index`).find((name) => name.endsWith('.snapshot'))!;
  expect(fs.readFileSync(`${store.root}/index/${snapshot}`, 'utf8')).not.toContain('keyStructure');
  const readFileSync = vi.mocked(fs.readFileSync);
  const manifestReads = () => readFileSync.mock.calls.filter(([path]) => String(path).endsWith('manifest.json')).length;
  readFileSync.mockClear();
  const hit = (await store.lookupMany([key], { index: 'recipes/test.yaml' })).get(key);
  expect(manifestReads()).toBe(0);
  expect(hit?.status === 'hit' && hit.manifest.keyStructure).toEqual({ params: { lr: 0.1 }, inputs: { data: keyOf('upstream') } });
  expect(manifestReads()).toBe(1);
  expect(hit?.status === 'hit' && hit.manifest.keyStructure).toEqual({ params: { lr: 0.1 }, inputs: { data: keyOf('upstream') } });
  expect(manifestReads()).toBe(1);
});

it('lists no shard folder when every key asked for is indexed; a key that is not is still found', async () => {
  const { store, keys } = await storeWithEntries(5);
  await store.lookupMany(keys, { index: 'recipes/test.yaml' });
  const readdirSync = vi.mocked(fs.readdirSync);
  const shardListings = () => readdirSync.mock.calls.filter(([path]) => String(path).includes('/objects/')).length;
  readdirSync.mockClear();
  const again = await store.lookupMany(keys, { index: 'recipes/test.yaml' });
  expect(shardListings()).toBe(0);
  expect([...again.values()].every((r) => r.status === 'hit')).toBe(true);
  // An indexed entry removed since (gc) is a plain miss; an unindexed key's shard is listed.
  expect(await store.removeEntry(keys[0]!)).toBe('removed');
  readdirSync.mockClear();
  const asked = [keys[0]!, keys[1]!, keyOf('new')];
  const mixed = await store.lookupMany(asked, { index: 'recipes/test.yaml' });
  expect(asked.map((k) => mixed.get(k)?.status)).toEqual(['miss', 'hit', 'miss']);
  expect(shardListings()).toBeGreaterThan(0);
});
