// resources: a node over its time limit fails (and is not cached); `--jobs` counts CPU slots.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { Project } from './harness.js';

/** Start times (ms) of each execution, from the count plugin's side channel. */
function startTimes(p: Project): Map<string, number> {
  const lines = readFileSync(p.counter, 'utf8').split('\n').filter(Boolean);
  return new Map(lines.map((l) => { const [id, , at] = l.split(' '); return [id!, Number(at)]; }));
}

describe('resources (end to end)', () => {
  it('a node over its timeLimit is stopped and fails; the others finish; nothing partial is cached', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  slow:
    plugin: ./plugins/count
    params: { sleepMs: 20000 }
    resources: { timeLimit: 1s }
  quick:
    plugin: ./plugins/count
`);
    const t0 = Date.now();
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--keep-going']);
    expect(res.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(res.stdout).toMatch(/\[failed\] slow \(\d+(\.\d)?m?s\): stopped after its time limit of 1s \(resources.timeLimit\)/);
    expect(res.stdout).toMatch(/\[ran\] quick/);
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    expect((await store.manifests()).map((m) => m.nodeId)).toEqual(['quick']);
  }, 30_000);

  it('with --jobs 2, two nodes that each declare cpus: 2 run one after the other; plain nodes share', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  wide-a: { plugin: ./plugins/count, params: { sleepMs: 600, label: a }, resources: { cpus: 4 } }  # more than -j: takes all
  wide-b: { plugin: ./plugins/count, params: { sleepMs: 600, label: b }, resources: { cpus: 2 } }
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '-j', '2']);
    expect(res.code, res.stderr).toBe(0);
    const at = startTimes(p);
    expect(Math.abs(at.get('wide-a')! - at.get('wide-b')!)).toBeGreaterThanOrEqual(550);

    p.resetExecutions();
    p.write('r.yaml', readFileSync(join(p.dir, 'r.yaml'), 'utf8').replaceAll(/cpus: [24]/g, 'cpus: 1').replace('label: a', 'label: a2').replace('label: b', 'label: b2'));
    const shared = await p.run(['run', 'r.yaml', '--no-track', '-j', '2']);
    expect(shared.code, shared.stderr).toBe(0);
    const together = startTimes(p);
    expect(Math.abs(together.get('wide-a')! - together.get('wide-b')!)).toBeLessThan(450);
  }, 30_000);
});
