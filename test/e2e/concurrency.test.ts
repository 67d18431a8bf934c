import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { listRunRecords } from '../../src/store/runs.js';
import { Store } from '../../src/store/store.js';
import { collect, Project } from './harness.js';
import { at } from '../util/at.js';

const WIDE = `
stages:
  work:
    plugin: ./plugins/count
    foreach: [1, 2, 3, 4, 5, 6]
    params: { value: "\${item}", sleepMs: 250 }
  join:
    plugin: ./plugins/count
    inputs: { in: "\${stages.work.outputs.out}" }
`;

async function verifyStore(dir: string): Promise<void> {
  const store = await Store.open(join(dir, 'runs', 'store'));
  const results = await store.verifyAll();
  for (const r of results) expect(r, `entry ${r.key} ${r.reason}`).toMatchObject({ ok: true });
}

describe('concurrency and interruption (end to end)', () => {
  it('two concurrent runs on one store never execute a node twice', async () => {
    const p = new Project();
    p.write('wide.yaml', WIDE);
    const [a, b] = await Promise.all([
      collect(p.start(['run', 'wide.yaml', '--no-track', '-j', '3'])),
      collect(p.start(['run', 'wide.yaml', '--no-track', '-j', '3'])),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ran = p.executions();
    expect(ran.sort()).toEqual(['join', 'work[1]', 'work[2]', 'work[3]', 'work[4]', 'work[5]', 'work[6]']);
    await verifyStore(p.dir);
  });

  it('SIGTERM cancels running nodes, exits 130 and leaves no partial entry', async () => {
    const p = new Project();
    p.write('slow.yaml', 'stages:\n  slow: { plugin: ./plugins/count, params: { sleepMs: 5000 } }\n');
    const child = p.start(['run', 'slow.yaml', '--no-track', '--plain']);
    const done = collect(child);
    while (!p.executions().includes('slow')) await sleep(50);
    await sleep(300);
    child.kill('SIGTERM');
    const res = await done;
    expect(res.code).toBe(130);
    expect(res.stdout).toMatch(/terminated: cancelling running nodes/);
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    expect(await store.manifests()).toEqual([]);
    expect(readdirSync(join(p.dir, 'runs', 'store', 'staging'))).toEqual([]);
    const record = JSON.parse((await p.run(['show', 'last', '--json'])).stdout) as { status: string };
    expect(record.status).toBe('cancelled');
  });

  it('a run killed with SIGKILL is found by the next run: its record and its MLflow runs are marked killed', async () => {
    const p = new Project();
    p.write('slow.yaml', 'stages:\n  quick: { plugin: ./plugins/count, params: { value: 1 } }\n  slow: { plugin: ./plugins/count, params: { sleepMs: 5000 }, inputs: { in: "${stages.quick.outputs.out}" } }\n');
    const child = p.start(['run', 'slow.yaml', '--plain']);
    const done = collect(child);
    while (!p.executions().includes('slow')) await sleep(50);
    child.kill('SIGKILL');
    await done;
    const killed = at(await listRunRecords(join(p.dir, 'runs')), 0);
    expect(killed.status).toBe('running');

    const next = await p.run(['run', 'slow.yaml', '--plain', '-S', 'stages.slow.params.sleepMs=10']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain(`warning: run ${killed.runId} ended without finishing (its process ${child.pid} is gone): marked killed with its 2 MLflow runs`);
    const record = (await listRunRecords(join(p.dir, 'runs'))).find((r) => r.runId === killed.runId)!;
    expect(record.status).toBe('killed');
    expect(record.endedAt).toBeGreaterThanOrEqual(record.startedAt);
    // MLflow's local store: the killed run's parent and its unfinished child are KILLED (5) with an end time.
    const mlruns = join(p.dir, 'runs', 'mlruns');
    const statusOf = new Map<string, string>();
    for (const exp of readdirSync(mlruns).filter((d) => /^\d+$/.test(d) && d !== '0')) {
      for (const run of readdirSync(join(mlruns, exp)).filter((d) => /^[0-9a-f]{32}$/.test(d))) {
        const meta = readFileSync(join(mlruns, exp, run, 'meta.yaml'), 'utf8');
        const name = readFileSync(join(mlruns, exp, run, 'tags', 'mlflow.runName'), 'utf8');
        statusOf.set(`${name} ${/^status: (\d)$/m.exec(meta)![1]} ${/^end_time: null$/m.test(meta) ? 'open' : 'ended'}`, run);
      }
    }
    const lines = [...statusOf.keys()].sort();
    expect(lines.filter((l) => l.includes(' 5 '))).toEqual(['slow 5 ended', expect.stringMatching(/^slow-\d{8}-\d{6} 5 ended$/)]);
    expect(lines).toContain('quick 3 ended'); // it had finished before the kill
    expect(lines.filter((l) => / [14] /.test(l))).toEqual([]); // nothing left RUNNING
  });

  it('SIGKILL at random moments (20 trials) never leaves a corrupt entry; a re-run completes', async () => {
    const p = new Project();
    p.write('wide.yaml', WIDE.replace('sleepMs: 250', 'sleepMs: 150'));
    let seed = 12345;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let trial = 0; trial < 20; trial++) {
      const child = p.start(['run', 'wide.yaml', '--no-track', '-j', '2', '-S', `stages.work.params.sleepMs=${150 + (trial % 3) * 50}`]);
      let ended = false;
      const done = collect(child).finally(() => { ended = true; });
      // Every other trial first waits for the run to have started (its running marker), so some kills
      // land mid-run however slowly a loaded machine compiles the recipe. A run with little left to do
      // (earlier trials computed most of it) may be over before the marker is seen: nothing to kill then.
      const started = () => ended || readdirSync(join(p.dir, 'runs', 'records')).some((f) => f.startsWith('.running-'));
      if (trial % 2 === 1) await vi.waitFor(() => expect(started()).toBe(true), { timeout: 30_000, interval: 10 });
      await sleep(50 + Math.floor(random() * 900));
      child.kill('SIGKILL');
      await done;
      await verifyStore(p.dir);
    }
    const final = await p.run(['run', 'wide.yaml', '--no-track']);
    expect(final.code, final.stderr).toBe(0);
    await verifyStore(p.dir);
    // Every killed run was found and closed by the next one: none is left 'running'.
    const statuses = new Set((await listRunRecords(join(p.dir, 'runs'))).map((r) => r.status));
    expect([...statuses].sort()).toEqual(['killed', 'ok']);
    expect(readdirSync(join(p.dir, 'runs', 'records')).filter((f) => f.startsWith('.running-'))).toEqual([]);
    p.resetExecutions();
    const again = await p.run(['run', 'wide.yaml', '--no-track']);
    expect(again.stdout).toContain('nothing to do');
  }, 120_000);
});
