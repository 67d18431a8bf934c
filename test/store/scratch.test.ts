// Per-key scratch directories: private working files of a node that outlive a failed or killed
// attempt, are never part of an entry, go away on publish and are swept by gc when stale.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gc } from '../../src/store/gc.js';
import { Store } from '../../src/store/store.js';
import { Project } from '../e2e/harness.js';
import { fields, keyOf, keysOf, openStore, put, removeDir } from './helpers.js';
import type { Key } from '../../src/util/ids.js';
import { at } from '../util/at.js';

const bases: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const b of bases.splice(0)) await removeDir(b);
});

async function setup() {
  const opened = await openStore();
  bases.push(opened.base);
  return { ...opened, runsDir: join(opened.base, 'runs') };
}

async function fillScratch(store: Store, key: Key, ageMs = 0): Promise<string> {
  const dir = store.scratchDir(key);
  await mkdir(join(dir, 'ckpt'), { recursive: true });
  await writeFile(join(dir, 'ckpt', 'weights.bin'), 'w'.repeat(50));
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    for (const p of [join(dir, 'ckpt', 'weights.bin'), join(dir, 'ckpt'), dir]) await utimes(p, then, then);
  }
  return dir;
}

const DAY = 24 * 3600_000;

describe('scratch directories in the store', () => {
  it('live under scratch/<key>, outside the published objects', async () => {
    const { store, root } = await setup();
    const key = keyOf('a');
    expect(store.scratchDir(key)).toBe(join(root, 'scratch', key));
    expect(() => store.scratchDir('../x' as Key)).toThrow(/invalid store key/);
  });

  it('publishing removes the key\'s scratch (and only its own); the entry never contains it', async () => {
    const { store } = await setup();
    const [key, other] = [keyOf('a'), keyOf('b')];
    const dir = await fillScratch(store, key);
    const otherDir = await fillScratch(store, other);
    const manifest = await put(store, key, { 'out/result.txt': 'done' });
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(otherDir)).toBe(true);
    expect(manifest.files.map((f) => f.path)).toEqual(['out/result.txt']);
    expect(await store.scratchKeys()).toEqual([other]);
  });

  it('publishing that finds the key already published also removes the scratch', async () => {
    const { store } = await setup();
    const key = keyOf('a');
    await put(store, key, { 'out/result.txt': 'first' });
    const dir = await fillScratch(store, key);
    const staging = await store.beginWrite(key);
    await mkdir(join(staging.outDir, 'out'), { recursive: true });
    await writeFile(join(staging.outDir, 'out', 'result.txt'), 'second');
    await store.publish(staging, fields());
    expect(existsSync(dir)).toBe(false);
  });

  it('a failed attempt (abort) keeps the scratch for the next one', async () => {
    const { store } = await setup();
    const key = keyOf('a');
    const dir = await fillScratch(store, key);
    await store.abort(await store.beginWrite(key));
    expect(readFileSync(join(dir, 'ckpt', 'weights.bin'), 'utf8')).toHaveLength(50);
  });
});

describe('gc and scratch', () => {
  it('removes the scratch of published keys and old unpublished ones; keeps recent ones and those whose lease is held', async () => {
    const { store, runsDir } = await setup();
    const [published, fresh, old, leasedOld, leasedPublished] = keysOf('published', 'fresh', 'old', 'leasedOld', 'leasedPublished');
    await put(store, published, { 'out/x': '1' });
    await put(store, leasedPublished, { 'out/x': '2' });
    await fillScratch(store, published); // e.g. left by a run killed after another one published
    await fillScratch(store, leasedPublished);
    await fillScratch(store, fresh, DAY);
    await fillScratch(store, old, 8 * DAY);
    await fillScratch(store, leasedOld, 30 * DAY);
    const leases = [await store.tryLease(leasedOld), await store.tryLease(leasedPublished)];

    const dry = await gc(store, runsDir, { keepRuns: 10, dryRun: true, extraRoots: [published, leasedPublished] });
    expect(dry.removedScratch.map((s) => s.key).sort()).toEqual([published, old].sort());
    expect((await store.scratchKeys()).length).toBe(5); // a dry run removes nothing

    const report = await gc(store, runsDir, { keepRuns: 10, extraRoots: [published, leasedPublished] });
    const byKey = new Map(report.removedScratch.map((s) => [s.key, s]));
    expect([...byKey.keys()].sort()).toEqual([published, old].sort());
    expect(byKey.get(published)!.reason).toBe('scratch of a published entry');
    expect(byKey.get(old)!.reason).toMatch(/^scratch unchanged for 8 days$/);
    expect(byKey.get(old)!.size).toBe(50);
    expect(report.freedBytes).toBe(100);
    expect((await store.scratchKeys()).sort()).toEqual([fresh, leasedOld, leasedPublished].sort());
    expect(await store.keys()).toEqual([published, leasedPublished].sort()); // entries themselves untouched

    for (const l of leases) await l!.release();
    const shorter = await gc(store, runsDir, { keepRuns: 10, scratchMaxAgeMs: 12 * 3600_000, extraRoots: [published, leasedPublished] });
    expect(shorter.removedScratch.map((s) => s.key).sort()).toEqual([fresh, leasedOld, leasedPublished].sort());
    expect(await readdir(store.layout.scratch)).toEqual([]);
  });

  it('a file written recently inside an old directory keeps the scratch', async () => {
    const { store, runsDir } = await setup();
    const key = keyOf('busy');
    const dir = await fillScratch(store, key, 20 * DAY);
    await writeFile(join(dir, 'ckpt', 'weights.bin'), 'newer'); // a checkpoint rewritten in place
    const report = await gc(store, runsDir, { keepRuns: 10 });
    expect(report.removedScratch).toEqual([]);
  });
});

describe('ctx.scratch in runs (end to end)', () => {
  // Runs the compiled CLI: build first (npx tsc -p tsconfig.json).
  const recipe = (succeedOn: number) => `
stages:
  probe:
    plugin: ./plugins/scratch-probe
    params: { succeedOn: ${succeedOn} }
`;

  it('a failed attempt leaves the scratch; the re-run of the same key finds it, succeeds, and the scratch is gone', async () => {
    const p = new Project();
    p.write('r.yaml', recipe(2));
    const first = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--logs', 'all']);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/attempt 1 fails on purpose/);
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const key = at(await store.scratchKeys(), 0);
    expect(readFileSync(join(store.scratchDir(key), 'attempts.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);

    const second = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const manifest = at(await store.manifests(), 0);
    expect(manifest.key).toBe(key); // the scratch never entered the key
    const out = JSON.parse(readFileSync(join(store.portPath(key, 'out'), 'attempts.json'), 'utf8'));
    expect(out).toEqual({ attempts: 2, scratch: store.scratchDir(key), existed: true });
    expect(await store.scratchKeys()).toEqual([]);
    expect(manifest.files.map((f) => f.path)).toEqual(['out/attempts.json']);
  }, 60_000);

  it('retort gc keeps the scratch of an unfinished key until it is older than --scratch-older-than', async () => {
    const p = new Project();
    p.write('r.yaml', recipe(2));
    expect((await p.run(['run', 'r.yaml', '--no-track', '--plain'])).code).toBe(1);
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const key = at(await store.scratchKeys(), 0);
    const kept = await p.run(['gc', '--scratch-older-than', '1d']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).not.toContain('scratch');
    expect(await store.scratchKeys()).toEqual([key]);
    const swept = await p.run(['gc', '--scratch-older-than', '0s']);
    expect(swept.stdout).toMatch(new RegExp(`^removed scratch ${key.slice(0, 12)} {2}\\S+ {2}scratch unchanged for 0 min$`, 'm'));
    expect(await store.scratchKeys()).toEqual([]);
  }, 60_000);

  it('a forced recomputation starts with an empty scratch', async () => {
    const p = new Project();
    p.write('r.yaml', recipe(1));
    expect((await p.run(['run', 'r.yaml', '--no-track', '--plain'])).code).toBe(0);
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const { key } = at(await store.manifests(), 0);
    await mkdir(store.scratchDir(key), { recursive: true });
    await writeFile(join(store.scratchDir(key), 'attempts.txt'), '1\n2\n3\n');
    const forced = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--force', 'probe']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(store.portPath(key, 'out'), 'attempts.json'), 'utf8')).attempts).toBe(1);
    expect(await store.scratchKeys()).toEqual([]);
  }, 60_000);
});
