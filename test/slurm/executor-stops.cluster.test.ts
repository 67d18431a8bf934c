// How a Slurm run stops: Ctrl-C cancels every job it submitted and leaves no partial entry; a
// submission Slurm refuses (or no sbatch at all) fails the node with Slurm's words and cancels
// what was submitted before it; an executor the recipe misspells is a recipe error.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { collect, Project } from '../e2e/harness.js';
import { client, HOW_TO_START, SKIP_WITHOUT_SLURM, SLURM_CONF, SLURM_UP } from './cluster.js';
import { at } from '../util/at.js';

const slurm = { SLURM_CONF: SLURM_CONF ?? '' };
const args = (recipe: string, ...more: string[]) => ['run', recipe, '--executor', 'slurm', '--no-track', '--plain', ...more];
const submitted = (stdout: string) => [...stdout.matchAll(/submitted as Slurm job (\d+(?:_\d+)?)/g)].map((m) => m[1]!);

const SLOW = `stages:
  a: { plugin: ./plugins/count, params: { value: 1, sleepMs: 60000 } }
  b: { plugin: ./plugins/count, inputs: { in: "\${stages.a.outputs.out}" } }
  c: { plugin: ./plugins/count, params: { value: 3, sleepMs: 60000 } }
`;

describe.skipIf(SKIP_WITHOUT_SLURM)('stopping a Slurm run', () => {
  it('reaches the cluster', () => { expect(SLURM_UP, HOW_TO_START).toBe(true); });

  it('Ctrl-C cancels every job it submitted, leaves no entry, staging area or lease, and exits 130', async () => {
    const p = new Project('retort-slurm-sigint-');
    p.write('r.yaml', SLOW);
    const child = p.start(args('r.yaml'), slurm);
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    const done = collect(child);
    await vi.waitFor(() => expect(stdout).toMatch(/\[start\] a/), { timeout: 30_000, interval: 100 });
    child.kill('SIGINT');
    const res = await done;
    expect(res.code, stdout + res.stderr).toBe(130);
    const ids = submitted(stdout);
    expect(ids).toHaveLength(3);
    expect(stdout).toContain(`interrupted: cancelled Slurm jobs ${ids[0]} (a), ${ids[1]} (b), ${ids[2]} (c)`);
    const states = await client().status(ids);
    expect(states.map((s) => s.state.phase)).toEqual(['ended', 'ended', 'ended']);
    const store = join(p.dir, 'runs', 'store');
    expect(await readdir(join(store, 'staging'))).toEqual([]);
    expect((await readdir(join(store, 'leases'))).filter((f) => f.endsWith('.lease'))).toEqual([]);
    expect(existsSync(join(store, 'objects')) ? await readdir(join(store, 'objects')) : []).toEqual([]);
  }, 60_000);

  it('a partition Slurm does not know fails the node with Slurm\'s words and cancels the jobs submitted before it', async () => {
    const p = new Project('retort-slurm-partition-');
    p.write('r.yaml', `stages:
  a: { plugin: ./plugins/count, params: { sleepMs: 20000 } }
  b: { plugin: ./plugins/count, resources: { partition: nowhere } }
`);
    const res = await p.run(args('r.yaml'), slurm);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toMatch(/failed: b: could not submit its Slurm job: sbatch rejected the job: .*invalid partition/i);
    const first = at(submitted(res.stdout), 0);
    expect(res.stdout).toContain(`warning: b could not be submitted: cancelled Slurm job ${first} (a)`);
    const state = at(await client().status([first]), 0);
    expect(state.state).toMatchObject({ phase: 'ended', verdict: 'CANCELLED' });
    expect(p.executions()).toEqual([]);
  }, 60_000);

  it('without sbatch on the PATH the first node fails saying so, and nothing runs', async () => {
    const p = new Project('retort-slurm-nosbatch-');
    p.write('r.yaml', 'stages:\n  a: { plugin: ./plugins/count }\n');
    const res = await p.run(args('r.yaml'), { ...slurm, PATH: join(p.dir, 'empty-bin') });
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toContain("failed: a: could not submit its Slurm job: sbatch is not on the PATH: Slurm's client commands must be installed");
  }, 30_000);

  it('an executor the recipe misspells is a located error with a suggestion; nothing is submitted', async () => {
    const p = new Project('retort-slurm-badexec-');
    p.write('r.yaml', 'executor: slrum\nstages:\n  a: { plugin: ./plugins/count }\n');
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain'], slurm);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('r.yaml:1:11: error: expected one of "local", "slurm", got string "slrum"');
    expect(res.stderr).toContain("did you mean 'slurm'?");
    expect(res.stderr).toContain('nothing was run');
    p.write('k.yaml', 'executor: { type: slurm, partiton: debug }\nstages:\n  a: { plugin: ./plugins/count }\n');
    const key = await p.run(['run', 'k.yaml', '--no-track', '--plain'], slurm);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain("unknown key 'partiton' in executor");
    expect(key.stderr).toContain("did you mean 'partition'?");
    p.write('ok.yaml', 'stages:\n  a: { plugin: ./plugins/count }\n');
    const opt = await p.run(['run', 'ok.yaml', '--executor', 'slrum'], slurm);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("--executor expects local or slurm, got 'slrum'; did you mean 'slurm'?");
    expect(p.executions()).toEqual([]);
  }, 30_000);
});

describe.skipIf(SKIP_WITHOUT_SLURM)('stopping a Slurm run with an array', () => {
  it('Ctrl-C while a foreach array is queued cancels it and ends every member (Slurm lists such an array as one line)', async () => {
    const p = new Project('retort-slurm-sigint-array-');
    p.write('r.yaml', `stages:
  f:
    plugin: ./plugins/count
    foreach: [1, 2, 3]
    params: { value: "\${item}" }
    resources: { sbatchArgs: [--hold] }
`);
    const child = p.start(args('r.yaml'), slurm);
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    const done = collect(child);
    await vi.waitFor(() => expect(submitted(stdout)).toHaveLength(3), { timeout: 30_000, interval: 100 });
    const array = /submitted as Slurm job (\d+)_0 \(task 0 of array \1\)/.exec(stdout)![1];
    child.kill('SIGINT');
    const res = await done;
    expect(res.code, stdout + res.stderr).toBe(130);
    expect(stdout).toContain(`cancelled Slurm jobs ${array}_0 (f[1]), ${array}_1 (f[2]), ${array}_2 (f[3])`);
    expect(stdout).toMatch(/\[cancelled\] f\[1\][\s\S]*\[cancelled\] f\[2\][\s\S]*\[cancelled\] f\[3\]/);
    expect(p.executions()).toEqual([]);
  }, 60_000);
});
