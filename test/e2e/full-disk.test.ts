// A store on a full disk: the node that cannot be stored fails with a clear message, nothing partial
// is left behind, no metric is lost, and a re-run with space completes. Needs root to mount a small
// tmpfs (as CI has); skipped elsewhere.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { maySkip } from '../shared-data.js';
import { Store } from '../../src/store/store.js';
import { Project } from './harness.js';

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = new Project('retort-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', probe.dir]);
    execFileSync('umount', [probe.dir]);
    return true;
  } catch {
    return false;
  }
}

// Unmounted before the harness removes the project folders (also when an assertion failed).
const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0)) execFileSync('umount', ['-l', dir]);
});

const RECIPE = `
name: fill
stages:
  small:
    plugin: shell
    params: { command: 'echo hi > a.txt && echo "::metric m 1"' }
  fill:
    plugin: shell
    inputs: { in: ["\${stages.small.outputs.out}"] }
    # Fills the disk and still exits 0: only storing the result can fail. The 1,100 points after the
    # disk is full make the tracker send a batch while there is no space.
    params: { command: 'echo "::metric filled 7"; head -c 100000000 /dev/zero > fill.bin; rm -f fill.bin; head -c \${vars.bytes} /dev/zero > fill.bin; i=0; while [ $i -lt 1100 ]; do echo "::metric late $i $i"; i=$((i+1)); done; true' }
  after:
    plugin: shell
    inputs: { in: ["\${stages.fill.outputs.out}"] }
    params: { command: 'ls "$RETORT_IN_0" > listing.txt' }
vars: { bytes: 3100000 }
`;

/** Metric files of the MLflow runs named `name` under runs/mlruns. */
function metricsOfRuns(dir: string, name: string): string[] {
  const found: string[] = [];
  const root = join(dir, 'runs', 'mlruns');
  for (const exp of readdirSync(root)) {
    if (!/^\d+$/.test(exp) || exp === '0') continue;
    for (const run of readdirSync(join(root, exp))) {
      const runName = join(root, exp, run, 'tags', 'mlflow.runName');
      if (!existsSync(runName) || readFileSync(runName, 'utf8') !== name) continue;
      for (const m of readdirSync(join(root, exp, run, 'metrics'))) found.push(`${m} ${readFileSync(join(root, exp, run, 'metrics', m), 'utf8').trim().split(' ').slice(1).join(' ')}`);
    }
  }
  return found;
}

/** The lines of one metric file of the MLflow runs named `name`. */
function metricLines(dir: string, name: string, metric: string): string[] {
  const root = join(dir, 'runs', 'mlruns');
  for (const exp of readdirSync(root)) {
    if (!/^\d+$/.test(exp) || exp === '0') continue;
    for (const run of readdirSync(join(root, exp))) {
      const runName = join(root, exp, run, 'tags', 'mlflow.runName');
      const file = join(root, exp, run, 'metrics', metric);
      if (existsSync(runName) && readFileSync(runName, 'utf8') === name && existsSync(file)) return readFileSync(file, 'utf8').trim().split('\n');
    }
  }
  return [];
}

// The disk stays full: a node outside the store fills it (plugins are not sandboxed).
const STAYS_FULL = `
name: stays-full
stages:
  hog:
    plugin: shell
    params: { command: 'head -c 100000000 /dev/zero > "$RETORT_OUT/../../../../../hog.bin"; truncate -s -12K "$RETORT_OUT/../../../../../hog.bin"; echo x > a.txt' }
  after:
    plugin: shell
    inputs: { in: ["\${stages.hog.outputs.out}"] }
    params: { command: 'echo "::metric m 3"; head -c 20000 /dev/zero > b.bin' }
`;

describe.skipIf(maySkip(!canMount()))('a full disk (end to end)', () => {
  it('a disk that stays full ends the run with a clear message, a closed record and its tracking records kept', async () => {
    const p = new Project();
    p.write('full.yaml', STAYS_FULL);
    const runs = join(p.dir, 'runs');
    mkdirSync(runs);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3M', 'tmpfs', runs]);
    mounted.push(runs);
    const res = await p.run(['run', 'full.yaml', '--plain']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout + res.stderr).not.toContain('internal error');
    expect(res.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    const records = readdirSync(join(runs, 'records')).filter((n) => !n.startsWith('.'));
    expect(records).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(runs, 'records', records[0]!), 'utf8')).status).toBe('failed');
    expect(readdirSync(join(runs, 'records')).filter((n) => n.startsWith('.running-'))).toEqual([]);
    // The tracking records of the node that met the full disk were written with the store's reserve.
    expect(res.stdout).toContain('tracking writes are kept and done when the run ends');
    expect(metricsOfRuns(p.dir, 'after')).toEqual(['m 3.0 0']);
    expect(readdirSync(join(runs, 'mlruns')).filter((n) => n.startsWith('.retort-space-reserve-'))).toEqual([]);
  }, 60_000);


  it('fails the node it cannot store, leaves no partial entry, loses no metric; with space a re-run completes', async () => {
    const p = new Project();
    p.write('fill.yaml', RECIPE);
    const runs = join(p.dir, 'runs');
    mkdirSync(runs);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3M', 'tmpfs', runs]);
    mounted.push(runs);

    const res = await p.run(['run', 'fill.yaml', '--plain', '--keep-going']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/\[ran\] small/);
    expect(res.stdout).toMatch(/\[failed\] fill .*could not store the result: no space left on the device of the store \(.*runs\/store\); free some \(retort gc\) and run again/);
    expect(res.stdout).toMatch(/\[skipped\] after: upstream fill failed/);

    const store = await Store.open(join(runs, 'store'));
    expect(await store.keys()).toHaveLength(1); // small only
    for (const r of await store.verifyAll()) expect(r, `entry ${r.key} ${r.reason}`).toMatchObject({ ok: true });
    expect(readdirSync(join(runs, 'store', 'staging'))).toEqual([]);
    // The failed node's metrics reached its MLflow run, those sent while the disk was full included.
    expect(metricsOfRuns(p.dir, 'fill').filter((m) => m.startsWith('filled'))).toEqual(['filled 7.0 0']);
    expect(metricLines(p.dir, 'fill', 'late')).toHaveLength(1100);
    expect(res.stdout + res.stderr).not.toContain('internal error');
    expect(JSON.parse((await p.run(['show', 'last', '--json'])).stdout).status).toBe('failed');

    execFileSync('mount', ['-o', 'remount,size=64M', runs]);
    const again = await p.run(['run', 'fill.yaml', '--plain']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('2 ran, 1 cached, 0 failed');
    for (const r of await store.verifyAll()) expect(r, `entry ${r.key} ${r.reason}`).toMatchObject({ ok: true });
  }, 60_000);
});
