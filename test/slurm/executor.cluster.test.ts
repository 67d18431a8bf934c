// `retort run --executor slurm` end to end, through the compiled CLI, on the real cluster: every
// miss one job waiting for its upstream jobs, the same entries as a local run, failures taking
// their dependents with them (or not their independent branches, with --keep-going), and a re-run
// that submits nothing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/store/manifest.js';
import { Store } from '../../src/store/store.js';
import { BIN, Project, ROOT } from '../e2e/harness.js';
import { HOW_TO_START, SKIP_WITHOUT_SLURM, SLURM_CONF, SLURM_UP } from './cluster.js';
import type { Key } from '../../src/util/ids.js';

const DIAMOND = `stages:
  a: { plugin: ./plugins/count, params: { value: 1 } }
  b: { plugin: ./plugins/count, params: { value: 2 }, inputs: { in: "\${stages.a.outputs.out}" } }
  c:
    plugin: ./plugins/count
    foreach: [1, 2]
    params: { value: "\${item}", label: fan }
    inputs: { in: "\${stages.a.outputs.out}" }
  d: { plugin: ./plugins/count, inputs: { in: ["\${stages.b.outputs.out}", "\${stages.c[1].outputs.out}", "\${stages.c[2].outputs.out}"] } }
`;
const UPSTREAM: Record<string, string[]> = { a: [], b: ['a'], 'c[1]': ['a'], 'c[2]': ['a'], d: ['b', 'c[1]', 'c[2]'] };

// a fails; b needs it; c and e form a branch of their own.
const FAILING = `stages:
  a: { plugin: ./plugins/count, params: { fail: true } }
  b: { plugin: ./plugins/count, inputs: { in: "\${stages.a.outputs.out}" } }
  c: { plugin: ./plugins/count, params: { value: 5, sleepMs: 1500 } }
  e: { plugin: ./plugins/count, params: { value: 7 }, inputs: { in: "\${stages.c.outputs.out}" } }
`;

const slurm = { SLURM_CONF: SLURM_CONF ?? '' };
const args = (recipe: string, ...more: string[]) => ['run', recipe, '--executor', 'slurm', '--no-track', '--plain', ...more];
const submitted = (stdout: string) => [...stdout.matchAll(/submitted as Slurm job (\d+(?:_\d+)?)/g)].map((m) => m[1]!);

const comparable = (m: Manifest) => ({ key: m.key, nodeId: m.nodeId, ports: m.ports, keyStructure: m.keyStructure,
  files: m.files.map(({ path, sha256, size }) => ({ path, sha256, size })), metrics: m.metrics.map(({ name, value, step }) => ({ name, value, step })) });

async function manifests(p: Project, runs: string, recipe: string): Promise<Map<string, Manifest>> {
  const planned = await p.run(['plan', recipe, '--json'], { RETORT_RUNS_DIR: runs });
  const store = await Store.open(join(runs, 'store'));
  const out = new Map<string, Manifest>();
  for (const { id, key } of JSON.parse(planned.stdout) as { id: string; key: Key }[]) {
    const found = await store.lookup(key, { verify: 'full' });
    if (found.status !== 'hit') throw new Error(`${id} is not in ${runs} (${found.status})`);
    out.set(id, found.manifest);
  }
  return out;
}

beforeAll(() => {
  if (!SKIP_WITHOUT_SLURM && !existsSync(join(ROOT, 'dist', 'src', 'exec', 'slurm', 'executor.js'))) throw new Error(`compile first: npx tsc -p tsconfig.json (${BIN} runs dist/)`);
});

describe.skipIf(SKIP_WITHOUT_SLURM)('retort run --executor slurm', () => {
  it('reaches the cluster', () => { expect(SLURM_UP, HOW_TO_START).toBe(true); });

  it('runs a diamond with a foreach as one job per miss, in dependency order, into the same entries as a local run; a re-run submits nothing', async () => {
    const p = new Project('retort-slurm-exec-');
    p.write('r.yaml', DIAMOND);
    const local = await p.run(['run', 'r.yaml', '--no-track', '--plain'], { RETORT_RUNS_DIR: join(p.dir, 'local') });
    expect(local.code, local.stderr).toBe(0);
    p.resetExecutions();

    const res = await p.run(args('r.yaml'), { ...slurm, RETORT_RUNS_DIR: join(p.dir, 'cluster') });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(submitted(res.stdout)).toHaveLength(5);
    // Each job names the jobs it waits for: d waits for b, c[1] and c[2], all submitted before any ended.
    const jobOf = new Map([...res.stdout.matchAll(/ {2}(\S+) \| submitted as Slurm job (\d+(?:_\d+)?)/g)].map((m) => [m[1]!, m[2]!]));
    expect(res.stdout).toContain(`d | submitted as Slurm job ${jobOf.get('d')} after ${['b', 'c[1]', 'c[2]'].map((n) => jobOf.get(n)).join(', ')}`);
    // The foreach's members went as one array of two tasks; d waits for each task.
    const array = jobOf.get('c[1]')!.split('_')[0];
    expect([jobOf.get('c[1]'), jobOf.get('c[2]')]).toEqual([`${array}_0`, `${array}_1`]);
    expect(new Set([...jobOf.values()].map((j) => j.split('_')[0])).size).toBe(4);
    expect(res.stdout).toMatch(/5 ran, 0 cached, 0 failed/);
    expect(p.executions().sort()).toEqual(['a', 'b', 'c[1]', 'c[2]', 'd']);

    const there = await manifests(p, join(p.dir, 'cluster'), 'r.yaml');
    const here = await manifests(p, join(p.dir, 'local'), 'r.yaml');
    for (const [id, ups] of Object.entries(UPSTREAM)) {
      expect(comparable(there.get(id)!)).toEqual(comparable(here.get(id)!));
      for (const up of ups) expect(there.get(id)!.startedAt, `${id} started before ${up} ended`).toBeGreaterThanOrEqual(there.get(up)!.endedAt);
    }

    const again = await p.run(args('r.yaml'), { ...slurm, RETORT_RUNS_DIR: join(p.dir, 'cluster') });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to do: every node was cached');
    expect(submitted(again.stdout)).toEqual([]);
  }, 120_000);

  it('a failing node takes its dependents with it, naming it and its log', async () => {
    const p = new Project('retort-slurm-fail-');
    p.write('r.yaml', FAILING);
    const res = await p.run(args('r.yaml'), slurm);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toContain('failed: a: a failed on purpose');
    expect(res.stdout).toMatch(/\[skipped\] b: upstream a failed \(its log: \S+\/runs\/slurm\/\S+\/a-\w+\.log\)/);
    expect(p.executions()).not.toContain('b');
  }, 60_000);

  it('with --keep-going the independent branch finishes', async () => {
    const p = new Project('retort-slurm-keep-');
    p.write('r.yaml', FAILING);
    const res = await p.run(args('r.yaml', '--keep-going'), slurm);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/\[skipped\] b: upstream a failed/);
    expect(res.stdout).toMatch(/\[ran\] c/);
    expect(res.stdout).toMatch(/\[ran\] e/);
    expect(res.stdout).toMatch(/2 ran, 0 cached, 1 failed, 1 skipped/);
  }, 60_000);
});
