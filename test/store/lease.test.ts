import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyOf, openStore, removeDir } from './helpers.js';
import { startChild, type Child } from './fixtures/spawn.js';
import { thisMachine } from '../../src/store/fsutil.js';

const bases: string[] = [];
const children: Child[] = [];
async function fresh(opts = {}) {
  const s = await openStore(opts);
  bases.push(s.base);
  return s;
}
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  for (const b of bases.splice(0)) await removeDir(b);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const leaseFile = (root: string, key: string) => join(root, 'leases', `${key}.lease`);

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

function foreignLease(key: string, over: Record<string, unknown>) {
  const now = Date.now();
  return JSON.stringify({ v: 1, name: key, nonce: 'ab'.repeat(12), pid: 1, host: 'some-other-host', bootId: 'x', acquiredAt: now, renewedAt: now, expiresAt: now + 60_000, ttlMs: 60_000, ...over });
}

describe('leases in one process', () => {
  it('gives a key to one holder at a time and frees it on release', async () => {
    const { store } = await fresh();
    const key = keyOf('k');
    const a = await store.tryLease(key);
    expect(a).not.toBeNull();
    expect(await store.tryLease(key)).toBeNull();
    expect(await store.isLeased(key)).toBe(true);
    expect(await store.tryLease(keyOf('other'))).not.toBeNull(); // no global lock
    await a!.release();
    expect(await store.isLeased(key)).toBe(false);
    const b = await store.tryLease(key);
    expect(b).not.toBeNull();
    await b!.release();
    await a!.release(); // releasing twice is harmless and does not free b's successor
  });

  it('waitLease returns once the holder releases, and stops when its signal aborts', async () => {
    const { store } = await fresh();
    const key = keyOf('wait');
    const held = (await store.tryLease(key))!;
    setTimeout(() => void held.release(), 60);
    const t0 = Date.now();
    const got = await store.waitLease(key, { pollMs: 10 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expect(store.waitLease(key, { pollMs: 10, signal: controller.signal })).rejects.toThrow();
    await got.release();
  });

  it('renews the lease while held (heartbeat)', async () => {
    const { store, root } = await fresh();
    const key = keyOf('beat');
    const lease = (await store.tryLease(key, { ttlMs: 600 }))!;
    const read = async () => JSON.parse(await readFile(leaseFile(root, key), 'utf8'));
    const first = await read();
    // Two renewals (every ttl/3): the expiry keeps moving forward while the lease is held.
    await vi.waitFor(async () => expect((await read()).expiresAt).toBeGreaterThan(first.expiresAt + 300), { timeout: 5000, interval: 20 });
    const later = await read();
    expect(later.nonce).toBe(first.nonce);
    expect(later.expiresAt).toBeGreaterThan(Date.now());
    expect(lease.lost).toBe(false);
    await lease.release();
    expect(await readdir(join(root, 'leases'))).toEqual([]);
  });

  it('marks the lease lost (and aborts its signal) when its file is taken over', async () => {
    const { store, root } = await fresh();
    const key = keyOf('stolen');
    const lease = (await store.tryLease(key, { ttlMs: 1200 }))!;
    const intruder = foreignLease(key, { nonce: 'cd'.repeat(12) });
    await writeFile(leaseFile(root, key), intruder);
    await vi.waitFor(() => expect(lease.lost).toBe(true), { timeout: 5000, interval: 20 });
    expect(lease.signal.aborted).toBe(true);
    expect(String(lease.signal.reason)).toMatch(/replaced or removed/);
    await lease.release();
    // Releasing a lost lease leaves the new holder's file in place.
    expect(await readFile(leaseFile(root, key), 'utf8')).toBe(intruder);
  });

  it('takes over at once a lease whose holder on this machine is dead', async () => {
    const { store, root } = await fresh();
    const key = keyOf('dead');
    const me = thisMachine();
    await writeFile(leaseFile(root, key), foreignLease(key, { pid: deadPid(), host: me.host, bootId: me.bootId }));
    const lease = await store.tryLease(key);
    expect(lease).not.toBeNull();
    expect(JSON.parse(await readFile(leaseFile(root, key), 'utf8')).pid).toBe(process.pid);
    await lease!.release();
  });

  it('waits out the ttl (plus clock skew) of a holder on another machine', async () => {
    const { store, root } = await fresh({ clockSkewMs: 300 });
    const key = keyOf('remote');
    const t0 = Date.now();
    await writeFile(leaseFile(root, key), foreignLease(key, { expiresAt: t0 + 200 }));
    expect(await store.tryLease(key)).toBeNull();
    await sleep(250); // expired, but within the skew margin
    if (Date.now() < t0 + 480) expect(await store.tryLease(key)).toBeNull();
    await sleep(t0 + 520 - Date.now());
    const lease = await store.tryLease(key);
    expect(lease).not.toBeNull();
    await lease!.release();
  });

  it('lets only one contender take over an expired lease', async () => {
    const { store, root } = await fresh({ clockSkewMs: 0 });
    const key = keyOf('contended');
    await writeFile(leaseFile(root, key), foreignLease(key, { expiresAt: Date.now() - 1 }));
    const got = await Promise.all(Array.from({ length: 8 }, () => store.tryLease(key)));
    expect(got.filter((l) => l !== null)).toHaveLength(1);
    await got.find((l) => l !== null)!.release();
  });

  it('treats an unreadable lease file as held until it is older than the ttl', async () => {
    const { store, root } = await fresh({ clockSkewMs: 0 });
    const key = keyOf('garbage');
    await writeFile(leaseFile(root, key), '{"v":1,"nonce":');
    expect(await store.tryLease(key, { ttlMs: 300 })).toBeNull();
    await sleep(350);
    const lease = await store.tryLease(key, { ttlMs: 300 });
    expect(lease).not.toBeNull();
    await lease!.release();
  });
});

describe('leases across processes', () => {
  it('never gives the same key to two processes at once', async () => {
    const { root, base } = await fresh();
    const key = keyOf('shared');
    const counter = join(base, 'counter');
    await writeFile(counter, '0');
    const iterations = 15;
    for (let i = 0; i < 4; i++) children.push(await startChild(['lease-counter', root, key, String(iterations), counter]));
    await Promise.all(children.map((c) => c.waitFor((l) => l === 'FINISHED', 30_000)));
    expect(Number(await readFile(counter, 'utf8'))).toBe(4 * iterations);
    expect((await readdir(root)).filter((n) => n.startsWith('violation'))).toEqual([]);
  });

  it('a SIGKILLed holder on this machine loses its lease immediately', async () => {
    const { store, root } = await fresh();
    const key = keyOf('killed');
    const child = await startChild(['hold', root, key, '600000']);
    children.push(child);
    await child.waitFor((l) => l === 'HELD');
    expect(await store.tryLease(key)).toBeNull();
    child.proc.kill('SIGKILL');
    await child.exited;
    const lease = await store.tryLease(key);
    expect(lease).not.toBeNull();
    await lease!.release();
  });
});
