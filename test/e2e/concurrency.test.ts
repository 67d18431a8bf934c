import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { collect, Project } from './harness.js';

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

  it('SIGKILL at random moments (20 trials) never leaves a corrupt entry; a re-run completes', async () => {
    const p = new Project();
    p.write('wide.yaml', WIDE.replace('sleepMs: 250', 'sleepMs: 150'));
    let seed = 12345;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let trial = 0; trial < 20; trial++) {
      const child = p.start(['run', 'wide.yaml', '--no-track', '-j', '2', '-S', `stages.work.params.sleepMs=${150 + (trial % 3) * 50}`]);
      const done = collect(child);
      await sleep(50 + Math.floor(random() * 900));
      child.kill('SIGKILL');
      await done;
      await verifyStore(p.dir);
    }
    const final = await p.run(['run', 'wide.yaml', '--no-track']);
    expect(final.code, final.stderr).toBe(0);
    await verifyStore(p.dir);
    p.resetExecutions();
    const again = await p.run(['run', 'wide.yaml', '--no-track']);
    expect(again.stdout).toContain('nothing to do');
  }, 120_000);
});
