// Sweeps through the compiled CLI (build first: npx tsc -p tsconfig.json): shared nodes run once,
// a killed sweep resumes with only what is missing, a changed spec is reported before anything runs.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Store } from '../../src/store/store.js';
import { collect, Project } from '../e2e/harness.js';

const recipe = (values: string, sleepMs = 0) => `vars:
  seed: 1
stages:
  data: { plugin: ./plugins/count }
  prep: { plugin: ./plugins/count, inputs: { in: "\${stages.data.outputs.out}" }, params: { value: "\${vars.seed}" } }
  train: { plugin: ./plugins/count, inputs: { in: "\${stages.prep.outputs.out}" }, params: { sleepMs: ${sleepMs} } }
sweep:
  grid:
    stages.train.params.value: ${values}
    vars.seed: [1, 2]
`;

const count = (list: string[]) => list.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());

describe('a sweep run end to end', () => {
  it('runs each node the trials share once, and nothing on a second run', async () => {
    const p = new Project();
    p.write('s.yaml', recipe('[10, 20, 30]'));
    const planned = await p.run(['plan', 's.yaml']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/sweep [0-9a-f]{16}: 6 trials, 9 nodes in one DAG where one run per trial would have 18/);
    expect(planned.stdout).toMatch(/shared: 3 nodes by several trials, 1 by every trial \(data\)/);
    expect(planned.stdout).toMatch(/^trial\s+data\s+prep\s+train$/m);
    expect(planned.stdout).toMatch(/^value=30,seed=2\s+run\s+run\s+run$/m);

    const first = await p.run(['run', 's.yaml', '--no-track', '--plain']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const ran = count(p.executions());
    expect([...ran.keys()].sort()).toEqual(['data', 'prep[seed=1]', 'prep[seed=2]',
      ...[10, 20, 30].flatMap((v) => [1, 2].map((s) => `train[value=${v},seed=${s}]`))].sort());
    expect([...ran.values()].every((n) => n === 1)).toBe(true);
    expect(first.stdout).toMatch(/6 of 6 trials complete/);

    p.resetExecutions();
    const second = await p.run(['run', 's.yaml', '--no-track', '--plain']);
    expect(second.code, second.stderr).toBe(0);
    expect(p.executions()).toEqual([]);
    const replanned = await p.run(['plan', 's.yaml']);
    expect(replanned.stdout).toMatch(/^value=30,seed=2\s+hit\s+hit\s+hit$/m);
    expect(replanned.stdout).toMatch(/to run: 0 nodes; 6 of 6 trials complete already/);
  }, 120_000);

  it('killed mid-way, resumes with only the nodes it had not finished', async () => {
    const p = new Project();
    p.write('s.yaml', recipe('[10, 20, 30]', 300));
    const child = p.start(['run', 's.yaml', '--no-track', '--plain', '-j', '1']);
    const ended = collect(child);
    // Some train nodes have started (data and both preps before them): kill the whole CLI.
    await vi.waitFor(() => expect(p.executions().filter((id) => id.startsWith('train')).length).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 50 });
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const finished = new Set<string>((await store.manifests({})).map((m) => m.nodeId));
    expect(finished.has('data')).toBe(true);
    expect(finished.size).toBeLessThan(9);

    p.resetExecutions();
    const again = await p.run(['run', 's.yaml', '--no-track', '--plain']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const all = ['data', 'prep[seed=1]', 'prep[seed=2]', ...[10, 20, 30].flatMap((v) => [1, 2].map((s) => `train[value=${v},seed=${s}]`))];
    expect(p.executions().sort()).toEqual(all.filter((id) => !finished.has(id)).sort());
    expect(again.stdout).toMatch(/6 of 6 trials complete/);
  }, 120_000);

  it('reports a changed spec, with the new and gone trials, before any node starts', async () => {
    const p = new Project();
    p.write('s.yaml', recipe('[10, 20]'));
    expect((await p.run(['run', 's.yaml', '--no-track', '--plain'])).code).toBe(0);
    p.write('s.yaml', recipe('[20, 30]'));
    const planned = await p.run(['plan', 's.yaml']);
    expect(planned.stdout).toMatch(/the sweep spec changed since the last run of this recipe's sweep/);
    expect(planned.stdout).toMatch(/axis stages\.train\.params\.value: \[10,20\] → \[20,30\] \(added \[30\], removed \[10\]\)/);
    expect(planned.stdout).toMatch(/trials: 2 kept trials, 2 new, 2 gone/);
    expect(planned.stdout).toMatch(/new: value=30,seed=1; value=30,seed=2/);
    expect(planned.stdout).toMatch(/gone: value=10,seed=1; value=10,seed=2/);

    const run = await p.run(['run', 's.yaml', '--no-track', '--plain']);
    expect(run.code, run.stderr).toBe(0);
    const report = run.stdout.indexOf('the sweep spec changed');
    const firstStart = run.stdout.indexOf('[start]');
    expect(report).toBeGreaterThanOrEqual(0);
    expect(report).toBeLessThan(firstStart);
    // Kept as the last spec: the same sweep again reports nothing.
    expect((await p.run(['plan', 's.yaml'])).stdout).not.toMatch(/changed since/);
  }, 120_000);
});
