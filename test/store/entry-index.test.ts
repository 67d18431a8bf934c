// The per-recipe entry index: the same answers as reading every manifest, whatever state the index is in.
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EntryIndex, indexName } from '../../src/store/entry-index.js';
import { thisMachine } from '../../src/store/fsutil.js';
import { shortBoot } from '../../src/store/layout.js';
import { Store, type LookupResult } from '../../src/store/store.js';
import { fields, keyOf, openStore, put, removeDir } from './helpers.js';
import { startChild, type Child } from './fixtures/spawn.js';
import { nodeId, parseKey, type Key } from '../../src/util/ids.js';

const RECIPE = 'recipes/test.yaml';
const bases: string[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  for (const b of bases.splice(0)) await removeDir(b);
});

async function storeWith(n: number): Promise<{ store: Store; root: string; keys: Key[] }> {
  const { store, root, base } = await openStore();
  bases.push(base);
  const keys: Key[] = [];
  for (let i = 0; i < n; i++) {
    const key = keyOf(`entry ${i}`);
    await put(store, key, { 'out/value.txt': `${i}\n`, 'out/sub/more.txt': 'x'.repeat(i) }, { nodeId: nodeId(`n[${i}]`), metrics: [{ name: 'v', value: i, step: 0, timestamp: 1 }] });
    keys.push(key);
  }
  return { store, root, keys };
}

/** What a lookup says, without the parts that differ between equal answers (object identity). */
function answers(results: Map<string, LookupResult>): Record<string, unknown> {
  return Object.fromEntries([...results].map(([k, r]) => [k, r.status === 'hit' ? { status: 'hit', manifest: r.manifest, dir: r.dir } : { status: r.status }]));
}

function indexOf(store: Store): EntryIndex {
  return new EntryIndex(join(store.root, 'index'), indexName(RECIPE));
}

describe('the entry index', () => {
  it('gives the same answers as reading each manifest, from the journal and then from the snapshot', async () => {
    const { store, keys } = await storeWith(12);
    const absent = keyOf('never stored');
    const all = [...keys, absent];
    const index = indexOf(store);
    // Publishing appended one journal line per entry; there is no snapshot yet.
    expect(readFileSync(index.journalPath, 'utf8').trim().split('\n')).toHaveLength(12);
    expect(existsSync(index.snapshotPath)).toBe(false);
    const scanned = answers(await store.lookupMany(all));
    expect(answers(await store.lookupMany(all, { index: RECIPE }))).toEqual(scanned);
    // The journal was folded into a snapshot that holds every entry found.
    expect(readFileSync(index.journalPath, 'utf8')).toBe('');
    expect(index.read().entries.size).toBe(12);
    expect(answers(await store.lookupMany(all, { index: RECIPE }))).toEqual(scanned);
    expect((await store.lookupMany(all, { index: RECIPE })).get(absent)).toEqual({ status: 'miss' });
  });

  it('is only a hint: a record whose manifest file changed is not used, even with a valid checksum', async () => {
    const { store, keys } = await storeWith(3);
    await store.lookupMany(keys, { index: RECIPE });
    const index = indexOf(store);
    // A snapshot that lies about the metrics of an entry (rewritten through the index's own writer).
    const forged = index.read();
    const record = forged.entries.get(keys[1]!)!;
    forged.entries.set(keys[1]!, { identity: [record.identity[0] + 1, ...record.identity.slice(1)] as typeof record.identity, manifest: { ...record.manifest, metrics: [{ name: 'v', value: 999, step: 0, timestamp: 1 }] } });
    index.rewrite(forged.entries, 0);
    const hit = (await store.lookupMany(keys, { index: RECIPE })).get(keys[1]!);
    expect(hit?.status === 'hit' && hit.manifest.metrics[0]!.value).toBe(1);
    // The lie is gone from the index afterwards.
    expect(index.read().entries.get(keys[1]!)!.manifest.metrics[0]!.value).toBe(1);
  });

  it('drops a whole snapshot edited in place, even where the edit leaves a valid record (its records are not checked one by one)', async () => {
    const { store, keys } = await storeWith(3);
    await store.lookupMany(keys, { index: RECIPE });
    const index = indexOf(store);
    // Read and written as latin1: byte for byte, the snapshot's binary columns included.
    const text = readFileSync(index.snapshotPath, 'latin1');
    // Entry 2's metric value 2 becomes 7: still JSON, still a valid manifest, the checksum line unchanged.
    const edited = text.replace('"value":2,', '"value":7,');
    expect(edited).not.toBe(text);
    writeFileSync(index.snapshotPath, edited, 'latin1');
    expect(index.read()).toMatchObject({ damaged: 1 });
    expect(index.read().entries.size).toBe(0);
    const hit = (await store.lookupMany(keys, { index: RECIPE })).get(keys[2]!);
    expect(hit?.status === 'hit' && hit.manifest.metrics[0]!.value).toBe(2);
    // Rebuilt from the manifests.
    expect(index.read().entries.get(keys[2]!)!.manifest.metrics[0]!.value).toBe(2);
  });

  it('checks each journal line in full: a line with a good checksum but an invalid manifest is not used', async () => {
    const { store, keys } = await storeWith(2);
    const index = indexOf(store);
    const scanned = answers(await store.lookupMany(keys));
    const json = JSON.stringify({ k: keys[0], i: [1, 2, 3, 4], m: { formatVersion: 1, key: keys[0], files: 'not a list' } });
    writeFileSync(index.journalPath, `${createHash('sha256').update(json).digest('hex').slice(0, 16)} ${json}\n`);
    expect(index.read()).toMatchObject({ damaged: 1 });
    expect(answers(await store.lookupMany(keys, { index: RECIPE }))).toEqual(scanned);
  });

  it('notices an entry replaced under the same key, a removed entry and a damaged manifest', async () => {
    const { store, keys } = await storeWith(4);
    await store.lookupMany(keys, { index: RECIPE });
    // Replaced: a forced recomputation publishes new metrics for keys[0].
    const staging = await store.beginWrite(keys[0]!);
    writeFileSync(join(staging.outDir, 'value.txt'), 'new\n');
    await store.publish(staging, fields({ metrics: [{ name: 'v', value: 42, step: 0, timestamp: 1 }] }), { replace: true });
    // Removed: gc takes keys[1] away.
    expect(await store.removeEntry(keys[1]!)).toBe('removed');
    // Damaged: the manifest of keys[2] is overwritten in place.
    const manifest = join(store.entryDir(keys[2]!), 'manifest.json');
    chmodSync(manifest, 0o644);
    writeFileSync(manifest, '{ not json');
    const results = await store.lookupMany(keys, { index: RECIPE });
    const replaced = results.get(keys[0]!);
    expect(replaced?.status === 'hit' && replaced.manifest.metrics[0]!.value).toBe(42);
    expect(results.get(keys[1]!)).toEqual({ status: 'miss' });
    expect(results.get(keys[2]!)?.status).toBe('corrupt');
    expect(results.get(keys[3]!)?.status).toBe('hit');
    // The same answers as a directory scan give now (the corrupt entry has been moved aside).
    expect(answers(await store.lookupMany(keys, { index: RECIPE }))).toEqual(answers(await store.lookupMany(keys)));
  });

  it('keeps records a lookup did not ask about, and drops those of entries gone from a listed shard', async () => {
    const { store, keys } = await storeWith(4);
    await store.lookupMany(keys, { index: RECIPE });
    expect(await store.removeEntry(keys[1]!)).toBe('removed');
    // A lookup of other keys only: one in the removed entry's shard, so that shard is listed.
    const sameShard = parseKey(keys[1]!.slice(0, 2) + keyOf('other').slice(2))!;
    await store.lookupMany([sameShard, keyOf('elsewhere')], { index: RECIPE });
    expect([...indexOf(store).read().entries.keys()].sort()).toEqual([keys[0], keys[2], keys[3]].sort());
  });

  it('an output changed after indexing is still found by the stat check', async () => {
    const { store, keys } = await storeWith(2);
    await store.lookupMany(keys, { index: RECIPE });
    const file = join(store.entryDir(keys[1]!), 'out', 'out', 'value.txt');
    chmodSync(file, 0o644);
    writeFileSync(file, 'changed!\n');
    expect((await store.lookupMany(keys, { index: RECIPE })).get(keys[1]!)?.status).toBe('corrupt');
  });

  it('a truncated or garbled snapshot, a torn journal line and leftovers of a killed writer are harmless', async () => {
    const { store, keys } = await storeWith(6);
    const scanned = answers(await store.lookupMany(keys));
    await store.lookupMany(keys, { index: RECIPE });
    const index = indexOf(store);
    const text = readFileSync(index.snapshotPath, 'utf8');
    // A snapshot cut in the middle (as a copy interrupted halfway would leave it) fails its checksum.
    writeFileSync(index.snapshotPath, text.slice(0, Math.floor(text.length / 2)));
    // A journal whose last line was torn by a kill, and one line with a wrong checksum.
    const line = readFileSync(index.journalPath, 'utf8');
    writeFileSync(index.journalPath, `${line}0000000000000000 {"k":"${keys[0]}"}\n{"k":"${keys[1]}","i":[1,`);
    // A temporary snapshot of a writer that died (this machine, a pid that is gone).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const me = thisMachine();
    const leftover = `${index.snapshotPath}.${me.host}@${shortBoot(me.bootId)}@${dead}@abc.tmp`;
    writeFileSync(leftover, 'half a snapshot');
    expect(index.read().damaged).toBeGreaterThan(0);
    expect(answers(await store.lookupMany(keys, { index: RECIPE }))).toEqual(scanned);
    // Rewritten whole, the leftover removed.
    expect(index.read()).toMatchObject({ damaged: 0, journalBytes: 0 });
    expect(index.read().entries.size).toBe(6);
    expect(existsSync(leftover)).toBe(false);
  });

  it('an index that cannot be written only costs the reads it would have saved', async () => {
    const { store, keys } = await storeWith(3);
    const scanned = answers(await store.lookupMany(keys));
    // A file where the index folder should be: every read and write of the index fails (even as root).
    const dir = join(store.root, 'index');
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a folder');
    expect(answers(await store.lookupMany(keys, { index: RECIPE }))).toEqual(scanned);
    expect(answers(await store.lookupMany(keys, { index: RECIPE }))).toEqual(scanned);
    await put(store, keyOf('one more'), { 'out/value.txt': 'more\n' });
    expect((await store.lookupMany([keyOf('one more')], { index: RECIPE })).get(keyOf('one more'))?.status).toBe('hit');
  });

  it('is never wrong after processes publishing and rewriting it are killed at random moments', async () => {
    const { root, base } = await openStore();
    bases.push(base);
    for (let round = 0; round < 6; round++) {
      const writer = await startChild(['publish-loop', root, `round${round}`]);
      const planner = await startChild(['index-loop', root]);
      children.push(writer, planner);
      await writer.waitFor((l) => l === 'READY');
      // Kill both after a varying number of lookups: somewhere in a publish, a journal append or a rewrite.
      const stopAt = 2 + ((round * 5) % 7);
      await planner.waitFor((l) => l === `LOOKED ${stopAt}`, 30_000);
      writer.proc.kill('SIGKILL');
      planner.proc.kill('SIGKILL');
      await Promise.all([writer.exited, planner.exited]);
      const store = await Store.open(root, { durable: false });
      const keys = await store.keys();
      const scanned = answers(await store.lookupMany(keys));
      expect(answers(await store.lookupMany(keys, { index: 'r.yaml' }))).toEqual(scanned);
      expect(answers(await store.lookupMany(keys, { index: 'r.yaml' }))).toEqual(scanned);
      expect(Object.values(scanned).every((r) => (r as LookupResult).status === 'hit')).toBe(true);
    }
    expect(readdirSync(join(root, 'quarantine'))).toEqual([]);
  }, 120_000);
});
