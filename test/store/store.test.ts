import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { sameMtime } from '../../src/store/verify.js';
import { fields, keyOf, openStore, put, removeDir } from './helpers.js';
import type { Key } from '../../src/util/ids.js';
import { at } from '../util/at.js';

const bases: string[] = [];
async function fresh(opts = {}) {
  const s = await openStore(opts);
  bases.push(s.base);
  return s;
}
afterEach(async () => {
  for (const b of bases.splice(0)) await removeDir(b);
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('publish and lookup', () => {
  it('publishes an entry whose manifest lists every file with hash, size and mtime', async () => {
    const { store } = await fresh({ durable: true });
    const key = keyOf('a');
    const staging = await store.beginWrite(key);
    await mkdir(join(staging.outDir, 'model', 'deep'), { recursive: true });
    await writeFile(join(staging.outDir, 'model', 'w.txt'), 'weights');
    await writeFile(join(staging.outDir, 'model', 'deep', 'x.txt'), 'xx');
    await writeFile(staging.logPath, 'hello log\n');
    const manifest = await store.publish(staging, fields({ tracking: { mlflowRunId: 'abc' } }));

    expect(manifest.key).toBe(key);
    expect(manifest.formatVersion).toBe(1);
    expect(manifest.files.map((f) => [f.path, f.sha256, f.size])).toEqual([
      ['model/deep/x.txt', sha('xx'), 2],
      ['model/w.txt', sha('weights'), 7],
    ]);
    expect(manifest.tracking).toEqual({ mlflowRunId: 'abc' });
    expect(manifest.ports).toEqual(['model']);

    const result = await store.lookup(key);
    expect(result.status).toBe('hit');
    if (result.status !== 'hit') return;
    expect(result.manifest).toEqual(manifest);
    expect(await readFile(join(store.portPath(key, 'model'), 'w.txt'), 'utf8')).toBe('weights');
    expect(await readFile(store.logPath(key), 'utf8')).toBe('hello log\n');
    expect(JSON.parse(await readFile(join(result.dir, 'manifest.json'), 'utf8'))).toEqual(manifest);
  });

  it('is invisible to lookups until published, and a miss after abort', async () => {
    const { store, root } = await fresh();
    const key = keyOf('b');
    const staging = await store.beginWrite(key);
    await writeFile(join(staging.outDir, 'f'), 'x');
    expect(await store.lookup(key)).toEqual({ status: 'miss' });
    await store.abort(staging);
    expect(await store.lookup(key)).toEqual({ status: 'miss' });
    expect(await readdir(join(root, 'staging'))).toEqual([]);
    await expect(store.publish(staging, fields())).rejects.toThrow(/no longer exists/);
  });

  it('makes published files read-only', async () => {
    const { store } = await fresh();
    const key = keyOf('ro');
    await put(store, key, { 'out/a.txt': 'a' });
    const st = await stat(join(store.portPath(key, 'out'), 'a.txt'));
    expect(st.mode & 0o222).toBe(0);
    expect((await stat(store.logPath(key))).mode & 0o222).toBe(0);
    expect((await stat(join(store.entryDir(key), 'manifest.json'))).mode & 0o222).toBe(0);
  });

  it('keeps empty output ports and records them', async () => {
    const { store } = await fresh();
    const key = keyOf('empty-port');
    const staging = await store.beginWrite(key);
    await mkdir(join(staging.outDir, 'nothing'));
    const manifest = await store.publish(staging, fields());
    expect(manifest.ports).toEqual(['nothing']);
    expect((await stat(store.portPath(key, 'nothing'))).isDirectory()).toBe(true);
  });

  it('replaces symbolic links by copies of their targets', async () => {
    const { store, base } = await fresh();
    const outside = join(base, 'outside.txt');
    await writeFile(outside, 'external');
    await mkdir(join(base, 'dir'));
    await writeFile(join(base, 'dir', 'inner.txt'), 'inner');
    const key = keyOf('links');
    const staging = await store.beginWrite(key);
    await mkdir(join(staging.outDir, 'p'));
    await symlink(outside, join(staging.outDir, 'p', 'link.txt'));
    await symlink(join(base, 'dir'), join(staging.outDir, 'p', 'linkdir'));
    const manifest = await store.publish(staging, fields());
    expect(manifest.files.map((f) => f.path)).toEqual(['p/link.txt', 'p/linkdir/inner.txt']);
    await writeFile(outside, 'changed later');
    expect((await store.lookup(key, { verify: 'full' })).status).toBe('hit');
    expect(await readFile(join(store.portPath(key, 'p'), 'link.txt'), 'utf8')).toBe('external');
  });

  it('refuses a dangling symbolic link with a message naming it', async () => {
    const { store, base } = await fresh();
    const staging = await store.beginWrite(keyOf('dangling'));
    await symlink(join(base, 'nowhere'), join(staging.outDir, 'gone'));
    await expect(store.publish(staging, fields())).rejects.toThrow('output gone is a dangling symbolic link');
  });

  it('keeps the existing entry when another writer published the same key first', async () => {
    const { store, root } = await fresh();
    const key = keyOf('race');
    const first = await store.beginWrite(key);
    const second = await store.beginWrite(key);
    await writeFile(join(first.outDir, 'f'), 'first');
    await writeFile(join(second.outDir, 'f'), 'second');
    const m1 = await store.publish(first, fields({ runId: 'one' }));
    const m2 = await store.publish(second, fields({ runId: 'two' }));
    expect(m2).toEqual(m1);
    expect(m2.runId).toBe('one');
    expect(await readdir(join(root, 'staging'))).toEqual([]);
    const hit = await store.lookup(key);
    expect(hit.status === 'hit' && hit.manifest.runId).toBe('one');
  });

  it('publishes the same key concurrently in one process without error', async () => {
    const { store } = await fresh();
    const key = keyOf('parallel');
    const results = await Promise.all([1, 2, 3, 4].map((i) => put(store, key, { 'p/f': `v${i}` }, { runId: `r${i}` })));
    expect(new Set(results.map((m) => m.runId)).size).toBe(1);
    expect((await store.verifyAll()).every((r) => r.ok)).toBe(true);
  });

  it('rejects invalid keys and port names with clear messages', async () => {
    const { store } = await fresh();
    await expect(store.lookup('abc' as Key)).rejects.toThrow(/invalid store key "abc"/);
    await expect(store.beginWrite('Z'.repeat(64) as Key)).rejects.toThrow(/invalid store key/);
    expect(() => store.portPath(keyOf(1), '../x')).toThrow(/invalid output port name/);
  });

  it('keeps non-finite metric values (a diverged loss) through the manifest', async () => {
    const { store } = await fresh();
    const key = keyOf('nan');
    const metrics = [
      { name: 'loss', value: NaN, step: 0, timestamp: 1 },
      { name: 'ppl', value: Infinity, step: 0, timestamp: 1 },
      { name: 'acc', value: 0.25, step: 1, timestamp: 2 },
    ];
    await put(store, key, { 'p/f': 'x' }, { metrics });
    const hit = await store.lookup(key);
    expect(hit.status === 'hit' && hit.manifest.metrics).toEqual(metrics);
  });

  it('records the last use of an entry on each hit', async () => {
    const { store } = await fresh();
    const key = keyOf('used');
    const manifest = await put(store, key, { 'p/f': 'x' });
    expect(await store.lastUsed(key, manifest)).toBe(manifest.createdAt);
    const used = join(store.entryDir(key), 'used');
    await store.lookup(key);
    await utimes(used, 1000, 1000); // pretend last use was long ago
    expect(await store.lastUsed(key, manifest)).toBe(manifest.createdAt);
    await store.lookup(key);
    expect((await stat(used)).mtimeMs).toBeGreaterThanOrEqual(manifest.createdAt - 1000);
  });
});

describe('corruption is a reported miss', () => {
  async function corrupted(damage: (entryDir: string, file: string) => Promise<void>, verify?: 'stat' | 'full') {
    const { store, root } = await fresh();
    const key = keyOf('c');
    await put(store, key, { 'model/w.bin': 'abcdefgh', 'other/z': 'z' });
    const dir = store.entryDir(key);
    const file = join(dir, 'out', 'model', 'w.bin');
    await damage(dir, file);
    const result = await store.lookup(key, { verify });
    return { store, root, key, result };
  }

  it('changed bytes (same size) are detected by the stat check through the changed mtime', async () => {
    const { result, store, key, root } = await corrupted(async (_d, file) => {
      await chmod(file, 0o644);
      await writeFile(file, 'abcdefgX');
    });
    expect(result).toMatchObject({ status: 'corrupt', reason: 'file out/model/w.bin changed content (sha256 differs from the manifest)' });
    // Quarantined: moved aside with its reason, and the key is now a plain miss.
    expect(await store.lookup(key)).toEqual({ status: 'miss' });
    const q = at(await readdir(join(root, 'quarantine')), 0);
    expect(q.startsWith(key)).toBe(true);
    expect(await readFile(join(root, 'quarantine', q, 'QUARANTINE_REASON.txt'), 'utf8')).toMatch(/changed content/);
  });

  it('changed bytes with the original mtime restored need the full check', async () => {
    const damage = async (_d: string, file: string) => {
      const before = await stat(file);
      await chmod(file, 0o644);
      await writeFile(file, 'abcdefgX');
      await utimes(file, before.atime, before.mtimeMs / 1000);
    };
    expect((await corrupted(damage, 'stat')).result.status).toBe('hit');
    expect((await corrupted(damage, 'full')).result).toMatchObject({ status: 'corrupt', reason: expect.stringMatching(/changed content/) });
  });

  it('a changed size', async () => {
    const { result } = await corrupted(async (_d, file) => {
      await chmod(file, 0o644);
      await truncate(file, 3);
    });
    expect(result).toMatchObject({ status: 'corrupt', reason: 'file out/model/w.bin changed size (8 → 3 bytes)' });
  });

  it('a deleted file', async () => {
    const { result } = await corrupted((_d, file) => rm(file));
    expect(result).toMatchObject({ status: 'corrupt', reason: 'file out/model/w.bin is missing' });
  });

  it('a deleted port directory', async () => {
    const { result } = await corrupted((d) => rm(join(d, 'out', 'other'), { recursive: true }));
    expect(result).toMatchObject({ status: 'corrupt', reason: 'file out/other/z is missing' });
  });

  it('a garbage manifest', async () => {
    const { result } = await corrupted(async (d) => {
      await chmod(join(d, 'manifest.json'), 0o644);
      await writeFile(join(d, 'manifest.json'), '{"formatVersion": 1, "key": tru');
    });
    expect(result).toMatchObject({ status: 'corrupt', reason: expect.stringMatching(/^manifest is not valid JSON/) });
  });

  it('a manifest for another key or with a bad file list', async () => {
    const rewrite = (edit: (m: { key: string; files: { path: string }[] }) => void) => async (d: string) => {
      const path = join(d, 'manifest.json');
      const m = JSON.parse(await readFile(path, 'utf8'));
      edit(m);
      await chmod(path, 0o644);
      await writeFile(path, JSON.stringify(m));
    };
    expect((await corrupted(rewrite((m) => (m.key = keyOf('other'))))).result).toMatchObject({ status: 'corrupt', reason: expect.stringMatching(/does not match/) });
    expect((await corrupted(rewrite((m) => (m.files[0]!.path = '../../escape'))))).toMatchObject({ result: { status: 'corrupt', reason: expect.stringMatching(/invalid file entry/) } });
  });

  it('a missing manifest', async () => {
    const { result } = await corrupted((d) => rm(join(d, 'manifest.json')));
    expect(result).toMatchObject({ status: 'corrupt', reason: 'manifest.json is missing' });
  });

  it('an unlisted extra file is caught by the full check only', async () => {
    const add = (d: string) => writeFile(join(d, 'out', 'other', 'extra'), 'e');
    expect((await corrupted(add, 'stat')).result.status).toBe('hit');
    expect((await corrupted(add, 'full')).result).toMatchObject({ status: 'corrupt', reason: 'out/other/extra is not listed in the manifest' });
  });

  it('a touched file with unchanged content is a hit, and its mtime is restored', async () => {
    const { result, store, key } = await corrupted(async (_d, file) => {
      await utimes(file, new Date(), new Date(Date.now() + 5000));
    });
    expect(result.status).toBe('hit');
    const m = result.status === 'hit' ? result.manifest : undefined;
    const st = await stat(join(store.portPath(key, 'model'), 'w.bin'));
    expect(sameMtime(st.mtimeMs, m!.files.find((f) => f.path === 'model/w.bin')!.mtimeMs)).toBe(true);
  });

  it('verifyAll reports every entry and can quarantine the corrupt ones', async () => {
    const { store } = await fresh();
    const good = keyOf('good');
    const bad = keyOf('bad');
    await put(store, good, { 'p/a': 'a' });
    await put(store, bad, { 'p/b': 'b' });
    await rm(join(store.portPath(bad, 'p'), 'b'));
    const report = await store.verifyAll();
    expect(report).toEqual(
      expect.arrayContaining([{ key: good, ok: true }, { key: bad, ok: false, reason: 'file out/p/b is missing' }]),
    );
    expect(await store.keys()).toHaveLength(2);
    await store.verifyAll({ quarantine: true });
    expect(await store.keys()).toEqual([good]);
    expect((await store.quarantined()).map((q) => q.key)).toEqual([bad]);
  });
});

describe('listing', () => {
  it('lists manifests newest first, optionally by stage, and resolves key prefixes', async () => {
    const { store } = await fresh();
    const k1 = keyOf('l1');
    const k2 = keyOf('l2');
    const k3 = keyOf('l3');
    await put(store, k1, { 'p/a': '1' }, { stage: 'train' });
    await new Promise((r) => setTimeout(r, 5));
    await put(store, k2, { 'p/a': '2' }, { stage: 'eval' });
    await new Promise((r) => setTimeout(r, 5));
    await put(store, k3, { 'p/a': '3' }, { stage: 'train' });
    expect((await store.manifests()).map((m) => m.key)).toEqual([k3, k2, k1]);
    expect((await store.manifests({ stage: 'train' })).map((m) => m.key)).toEqual([k3, k1]);
    expect(await store.manifests({ stage: 'nope' })).toEqual([]);
    expect(await store.findKeys(k2.slice(0, 8))).toEqual([k2]);
    expect(await store.findKeys('zz')).toEqual([]);
  });
});

describe('staging cleanup', () => {
  it('open() removes staging areas of dead processes on this machine and keeps live ones', async () => {
    const { store, root } = await fresh();
    const live = await store.beginWrite(keyOf('live'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const deadName = live.dir.split('/').pop()!.replace(`@${process.pid}@`, `@${deadPid}@`).replace(keyOf('live'), keyOf('dead'));
    await mkdir(join(root, 'staging', deadName, 'out'), { recursive: true });
    await writeFile(join(root, 'staging', deadName, 'out', 'f'), 'partial');
    await chmod(join(root, 'staging', deadName, 'out'), 0o500); // plugins may leave read-only dirs behind
    await Store.open(root);
    expect(await readdir(join(root, 'staging'))).toEqual([live.dir.split('/').pop()]);
  });
});
