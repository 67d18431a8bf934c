// Store faults a user can meet: an unreadable manifest, a garbage lease file, leftovers of a killed
// run, a corrupt entry recomputed by `run`. Each gets a clear word, none a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { thisMachine } from '../../src/store/fsutil.js';
import { Store } from '../../src/store/store.js';
import { BIN, collect, Project } from './harness.js';

const RECIPE = 'stages:\n  a: { plugin: ./plugins/count, params: { value: 7 } }\n';

function onlyEntry(p: Project): { key: string; dir: string } {
  const objects = join(p.dir, 'runs', 'store', 'objects');
  const shard = readdirSync(objects)[0]!;
  const key = readdirSync(join(objects, shard))[0]!;
  return { key, dir: join(objects, shard, key) };
}

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** Root reads every file whatever its mode: the CLI then runs as `nobody`, for whom the mode counts. */
const asRoot = process.getuid?.() === 0;
function openUpForUnprivileged(p: Project): void {
  if (asRoot) spawnSync('chmod', ['-R', 'a+rwX', p.dir]);
}
function runUnprivileged(p: Project, args: string[]) {
  return collect(spawn(process.execPath, [BIN, ...args], {
    cwd: p.dir, env: p.env(), stdio: ['ignore', 'pipe', 'pipe'], ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  }));
}

describe('store faults (end to end)', () => {
  it('an unreadable manifest is named in a clear message, without a stack, by plan and run', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    expect((await p.run(['run', 'r.yaml', '--no-track'])).code).toBe(0);
    const { dir } = onlyEntry(p);
    const manifest = join(dir, 'manifest.json');
    openUpForUnprivileged(p);
    for (const cmd of ['plan', 'run']) {
      chmodSync(manifest, 0o000);
      const res = await runUnprivileged(p, [cmd, 'r.yaml', ...(cmd === 'run' ? ['--no-track'] : [])]);
      expect(res.code, res.stdout + res.stderr).toBe(1);
      expect(res.stderr).toContain(`retort ${cmd}: cannot read ${manifest} (permission denied), so its store entry cannot be checked; make it readable again, or move the entry ${dir} out of the store`);
      expect(res.stderr).not.toContain('internal error');
      expect(res.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    }
    chmodSync(manifest, 0o444);
  });

  it('run says that an entry it recomputes was corrupt', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    expect((await p.run(['run', 'r.yaml', '--no-track'])).code).toBe(0);
    const file = join(onlyEntry(p).dir, 'out', 'out', 'value.json');
    chmodSync(file, 0o644);
    writeFileSync(file, '{"total": 99}\n');
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/warning: a: stored entry is corrupt \(file out\/out\/value.json changed size .*\); recomputing/);
  });

  it('a garbage lease file is reported with where it is and how long the node waits', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const key = (JSON.parse((await p.run(['plan', 'r.yaml', '--json'])).stdout) as { key: string }[])[0]!.key;
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const lease = join(store.layout.leases, `${key}.lease`);
    writeFileSync(lease, 'not a lease\n');
    const child = p.start(['run', 'r.yaml', '--no-track', '--plain']);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    await expect.poll(() => out, { timeout: 10_000 }).toMatch(new RegExp(`warning: ${lease.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid lease file; a waits until it expires in \\d+ s \\(delete it if no retort process is using this store\\)`));
    child.kill('SIGKILL');
  });

  it('lease files and lease temp files of a killed process are removed when the store opens', async () => {
    const p = new Project();
    const root = join(p.dir, 'runs', 'store');
    const store = await Store.open(root);
    const me = thisMachine();
    const pid = deadPid();
    const record = (name: string, nonce: string) => JSON.stringify({ v: 1, name, nonce, pid, host: me.host, bootId: me.bootId,
      acquiredAt: 1, renewedAt: 1, expiresAt: Date.now() + 60_000, ttlMs: 60_000 });
    const k = 'ab'.repeat(32);
    const leases = store.layout.leases;
    writeFileSync(join(leases, `${k}.lease`), record(k, 'cd'.repeat(12)));
    writeFileSync(join(leases, `${k}.${'ef'.repeat(12)}.tmp`), record(k, 'ef'.repeat(12)));
    writeFileSync(join(leases, `${k}.${'cd'.repeat(12)}.renew.tmp`), record(k, 'cd'.repeat(12)));
    writeFileSync(join(leases, `${k}.${'aa'.repeat(12)}.released`), record(k, 'aa'.repeat(12)));
    const live = 'cd'.repeat(32);
    writeFileSync(join(leases, `${live}.lease`), JSON.stringify({ ...JSON.parse(record(live, 'bb'.repeat(12))), pid: process.pid }));
    await Store.open(root);
    expect(readdirSync(leases)).toEqual([`${live}.lease`]);
  });
});
