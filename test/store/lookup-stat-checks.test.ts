// A plan's lookups trust an indexed entry only while its files pass the stat check: a deleted or
// altered output, or a removed empty port folder, is never a hit (from the index or without it).
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { fields, keyOf, openStore, removeDir } from './helpers.js';
import type { Key } from '../../src/util/ids.js';

const bases: string[] = [];
afterEach(async () => { for (const b of bases.splice(0)) await removeDir(b); });

const RECIPE = 'recipes/stat.yaml';

/** An entry with a file in port `ab` and an empty port `a` (a name that `ab/…` starts with). */
async function storeWithEntry(): Promise<{ store: Store; key: Key; out: string }> {
  const { store, base } = await openStore();
  bases.push(base);
  const key = keyOf('stat-checked');
  const staging = await store.beginWrite(key);
  await mkdir(join(staging.outDir, 'a'));
  await mkdir(join(staging.outDir, 'ab'));
  await writeFile(join(staging.outDir, 'ab', 'v.txt'), 'value');
  await store.publish(staging, fields());
  // Twice: the first lookup writes the index, the second answers from it.
  for (let i = 0; i < 2; i++) expect((await store.lookupMany([key], { index: RECIPE })).get(key)?.status).toBe('hit');
  return { store, key, out: join(store.entryDir(key), 'out') };
}

const statusOf = async (store: Store, key: Key, index?: string) => (await store.lookupMany([key], index ? { index: RECIPE } : {})).get(key)?.status;

describe.each([['from the index', RECIPE], ['without an index', undefined]])('a lookup %s', (_label, index) => {
  it('is not a hit once an output file is deleted', async () => {
    const { store, key, out } = await storeWithEntry();
    await rm(join(out, 'ab', 'v.txt'));
    expect(await statusOf(store, key, index)).not.toBe('hit');
  });

  it('is not a hit once an output file is altered', async () => {
    const { store, key, out } = await storeWithEntry();
    await truncate(join(out, 'ab', 'v.txt'), 2);
    expect(await statusOf(store, key, index)).not.toBe('hit');
  });

  it("is not a hit once an empty port's folder is removed, even when another port's name starts with it", async () => {
    const { store, key, out } = await storeWithEntry();
    await rm(join(out, 'a'), { recursive: true });
    expect(await statusOf(store, key, index)).not.toBe('hit');
  });
});
