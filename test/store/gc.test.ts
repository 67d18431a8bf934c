import { afterEach, describe, expect, it, vi } from 'vitest';
import { chmod, readdir, rm, writeFile } from 'node:fs/promises';
import { thisMachine } from '../../src/store/fsutil.js';
import { join } from 'node:path';
import { gc } from '../../src/store/gc.js';
import { pin } from '../../src/store/pins.js';
import { listRunRecords, writeRunRecord, type RunRecord } from '../../src/store/runs.js';
import type { Store } from '../../src/store/store.js';
import { keyOf, keysOf, openStore, put, removeDir } from './helpers.js';
import { nodeId, type Key } from '../../src/util/ids.js';

const bases: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const b of bases.splice(0)) await removeDir(b);
});

async function setup() {
  const { store, base } = await openStore();
  bases.push(base);
  return { store, runsDir: join(base, 'runs') };
}

function run(runId: string, startedAt: number, keys: Key[], status: RunRecord['status'] = 'ok'): RunRecord {
  return {
    runId, recipe: 'r.yaml', recipeName: 'r', argv: [], startedAt, status,
    nodes: keys.map((key, i) => ({ id: nodeId(`n${i}`), stage: 's', key, outcome: 'ran' as const })),
  };
}

/** Publishes an entry as if at time `at` (createdAt is taken from the clock). */
async function putAt(store: Store, key: Key, at: number, bytes = 100, inputs: Record<string, string> = {}) {
  const spy = vi.spyOn(Date, 'now').mockReturnValue(at);
  try {
    return await put(store, key, { 'p/data': 'x'.repeat(bytes) }, { keyStructure: { inputs } });
  } finally {
    spy.mockRestore();
  }
}

const DAY = 24 * 3600_000;
const removedKeys = (r: { removed: { key: string }[] }) => r.removed.map((x) => x.key).sort();

describe('gc', () => {
  it('keeps what pins, the last N runs and extra roots reach (with their inputs); removes the rest; prunes records', async () => {
    const { store, runsDir } = await setup();
    const now = Date.now();
    const [up, down, pinned, extra, oldRun, loose] = keysOf('up', 'down', 'pinned', 'extra', 'oldRun', 'loose');
    await putAt(store, up, now);
    await putAt(store, down, now, 100, { data: up }); // down was computed from up
    for (const k of [pinned, extra, oldRun, loose]) await putAt(store, k, now);
    await writeRunRecord(runsDir, run('old', 1, [oldRun]));
    await writeRunRecord(runsDir, run('new', 2, [down]));
    await pin(store, pinned, 'fig1');

    const dry = await gc(store, runsDir, { keepRuns: 1, extraRoots: [extra], dryRun: true });
    expect(removedKeys(dry)).toEqual([oldRun, loose].sort());
    expect(dry.removedRecords).toEqual(['old']);
    expect(await store.keys()).toHaveLength(6); // dry run changes nothing
    expect(await listRunRecords(runsDir)).toHaveLength(2);

    const report = await gc(store, runsDir, { keepRuns: 1, extraRoots: [extra] });
    expect(removedKeys(report)).toEqual([oldRun, loose].sort());
    expect(report.freedBytes).toBe(report.removed.reduce((s, r) => s + r.size, 0));
    expect(report.freedBytes).toBeGreaterThan(200);
    expect(Object.fromEntries(report.kept.map((k) => [k.key, k.reason]))).toEqual({
      [pinned]: 'pinned as "fig1"',
      [down]: 'in run new',
      [up]: `input of ${down.slice(0, 12)}`,
      [extra]: 'reached by a recipe',
    });
    expect(report.removedRecords).toEqual(['old']);
    expect((await listRunRecords(runsDir)).map((r) => r.runId)).toEqual(['new']);
    expect((await store.keys()).sort()).toEqual([up, down, pinned, extra].sort());
    expect(await store.lookup(loose)).toEqual({ status: 'miss' });
    expect((await store.manifests()).map((m) => m.key).sort()).toEqual([up, down, pinned, extra].sort());
    expect(await readdir(store.layout.trash)).toEqual([]);
  });

  it('with olderThanMs removes only unreachable entries unused for that long (a hit counts as a use)', async () => {
    const { store, runsDir } = await setup();
    const now = Date.now();
    const [fresh, stale, staleButHit] = keysOf('fresh', 'stale', 'hit');
    await putAt(store, fresh, now - 1 * DAY);
    await putAt(store, stale, now - 10 * DAY);
    await putAt(store, staleButHit, now - 10 * DAY);
    expect((await store.lookup(staleButHit)).status).toBe('hit');
    const report = await gc(store, runsDir, { keepRuns: 5, olderThanMs: 7 * DAY });
    expect(removedKeys(report)).toEqual([stale]);
    expect(report.removed[0]!.reason).toBe('unreachable, unused for 10 days');
  });

  it('with olderThanMs, a recent run that planned an entry counts as a use (batch lookups do not touch it)', async () => {
    const { store, runsDir } = await setup();
    const now = Date.now();
    const [planned, forgotten] = keysOf('planned', 'forgotten');
    await putAt(store, planned, now - 10 * DAY);
    await putAt(store, forgotten, now - 10 * DAY);
    await writeRunRecord(runsDir, run('recent', now - 1 * DAY, [planned]));
    expect((await store.lookupMany([planned, forgotten])).get(planned)?.status).toBe('hit');
    // keepRuns 0: the record does not make the entry reachable, only recently used.
    const report = await gc(store, runsDir, { keepRuns: 0, olderThanMs: 7 * DAY });
    expect(removedKeys(report)).toEqual([forgotten]);
  });

  it('with maxSizeBytes removes least recently used unreachable entries until the store fits', async () => {
    const { store, runsDir } = await setup();
    const now = Date.now();
    const keys = keysOf('e0', 'e1', 'e2', 'e3');
    for (let i = 0; i < keys.length; i++) await putAt(store, keys[i]!, now - (10 - i) * DAY, 10_000);
    await writeRunRecord(runsDir, run('r', 1, [keys[0]!])); // the oldest is reachable: never removed
    // e2 was used recently, so e1 and e3 are the least recently used unreachable ones.
    await store.lookup(keys[2]!);
    const sizes = await Promise.all(keys.map(async (k) => store.entrySize(k, (await store.readManifest(k))!)));
    const limit = sizes[0]! + sizes[2]! + 10;
    const report = await gc(store, runsDir, { keepRuns: 1, maxSizeBytes: limit });
    expect(removedKeys(report)).toEqual([keys[1], keys[3]].sort());
    expect(report.removed.map((r) => r.key)).toEqual([keys[1], keys[3]]); // oldest use first
    expect((await store.keys()).sort()).toEqual([keys[0], keys[2]].sort());
  });

  it('reports size-limit removals oldest use first, whatever order the store lists entries in', async () => {
    const { store, runsDir } = await setup();
    const now = Date.now();
    // Descending key order, so the oldest use is the last key listed.
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'].map(keyOf).sort().reverse();
    for (let i = 0; i < keys.length; i++) await putAt(store, keys[i]!, now - (10 - i) * DAY, 1000);
    const one = await store.entrySize(keys[0]!, (await store.readManifest(keys[0]!))!);
    const report = await gc(store, runsDir, { keepRuns: 0, maxSizeBytes: one * 2 + 10 });
    expect(report.removed.map((r) => r.key)).toEqual(keys.slice(0, 4));
  });

  it('never removes an entry whose lease is held', async () => {
    const { store, runsDir } = await setup();
    const [busy, idle] = keysOf('busy', 'idle');
    await put(store, busy, { 'p/a': 'a' });
    await put(store, idle, { 'p/a': 'b' });
    const lease = (await store.tryLease(busy))!;
    const report = await gc(store, runsDir, { keepRuns: 0 });
    expect(removedKeys(report)).toEqual([idle]);
    expect(report.kept).toEqual([{ key: busy, reason: 'unreachable, but its lease is held' }]);
    await lease.release();
  });

  it("protects entries created since an active run started, and that run's record", async () => {
    const { store, runsDir } = await setup();
    const now = Date.now();
    const [before, during] = keysOf('before', 'during');
    await putAt(store, before, now - DAY);
    await writeRunRecord(runsDir, run('active', now - 1000, [], 'running'));
    await writeRunRecord(runsDir, run('later', now, []));
    await putAt(store, during, now - 500);
    const report = await gc(store, runsDir, { keepRuns: 1 });
    expect(removedKeys(report)).toEqual([before]);
    expect(report.kept.map((k) => k.key)).toEqual([during]);
    expect(report.removedRecords).toEqual([]);
  });

  it('a running record whose process died on this machine protects nothing', async () => {
    const { store, runsDir } = await setup();
    const now = Date.now();
    const during = keyOf('during');
    await writeRunRecord(runsDir, run('crashed', now - 1000, [], 'running'));
    await writeRunRecord(runsDir, run('later', now, []));
    const { spawnSync } = await import('node:child_process');
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const me = thisMachine();
    await writeFile(join(runsDir, 'records', '.running-crashed.json'), JSON.stringify({ runId: 'crashed', pid: deadPid, host: me.host, bootId: me.bootId }));
    await putAt(store, during, now - 500);
    const report = await gc(store, runsDir, { keepRuns: 1 });
    expect(removedKeys(report)).toEqual([during]);
    expect(report.removedRecords).toEqual(['crashed']);
    expect((await readdir(join(runsDir, 'records'))).filter((f) => f.startsWith('.running-'))).toEqual([]);
  });

  it('deletes quarantined entries and removes read-only leftovers', async () => {
    const { store, runsDir } = await setup();
    const key = keyOf('corrupt');
    await put(store, key, { 'p/deep/a': 'a' });
    await chmod(join(store.portPath(key, 'p'), 'deep'), 0o500);
    await rm(store.logPath(key)).catch(() => undefined);
    await rm(join(store.entryDir(key), 'manifest.json'));
    expect((await store.lookup(key)).status).toBe('corrupt');
    const report = await gc(store, runsDir, { keepRuns: 0 });
    expect(report.removed).toEqual([{ key, size: 1 + 'manifest.json is missing\n'.length, reason: 'quarantined as corrupt' }]);
    expect(await readdir(store.layout.quarantine)).toEqual([]);
  });

  it('concurrent lookups see a hit or a miss while entries are removed, never a corrupt entry', async () => {
    const { store, runsDir } = await setup();
    const keys = Array.from({ length: 25 }, (_, i) => keyOf(`c${i}`));
    for (const k of keys) await put(store, k, { 'p/a': 'a', 'p/b': 'b', 'q/c': 'c' });
    const seen = new Set<string>();
    let stop = false;
    const readers = (async () => {
      while (!stop) {
        for (const r of await Promise.all(keys.map((k) => store.lookup(k)))) seen.add(r.status);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const report = await gc(store, runsDir, { keepRuns: 0 });
    stop = true;
    await readers;
    expect(report.removed).toHaveLength(25);
    expect(seen.has('corrupt')).toBe(false);
    expect(await readdir(store.layout.quarantine)).toEqual([]);
  });
});
