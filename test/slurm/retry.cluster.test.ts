// Retries and queue reasons on the real cluster. The local cluster cannot be made to preempt a job
// or fail its node without stopping everyone else's jobs on its one node, so what is tried here is
// the mechanism: a job that ended badly is requeued under its own id and its queued dependent is
// pointed at it again (executor-retry.test.ts covers the decision on each verdict); a job Slurm
// requeues while it runs (as it does after a node failure with JobRequeue) is shown as a retry and
// runs to its end; a held job shows Slurm's reason, JobHeldUser.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../src/store/runs.js';
import { BIN, collect, Project, ROOT } from '../e2e/harness.js';
import { client, HOW_TO_START, jobDir, SKIP_WITHOUT_SLURM, SLURM_CONF, SLURM_UP, slurmEnv } from './cluster.js';

const slurm = { SLURM_CONF: SLURM_CONF ?? '' };
const args = (recipe: string, ...more: string[]) => ['run', recipe, '--executor', 'slurm', '--no-track', '--plain', ...more];
const fast = { minIntervalMs: 200, maxIntervalMs: 500 };
// Timeouts allow for the one-node cluster being busy: the other Slurm files run at the same time, and the
// time-limit test keeps its jobs running for over a minute, so these jobs may wait in the queue that long.
const scontrol = (...a: string[]) => {
  const r = spawnSync('scontrol', a, { env: slurmEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scontrol ${a.join(' ')}: ${r.stderr}`);
};

const CHAIN = `stages:
  a: { plugin: ./plugins/count, params: { value: 1, sleepMs: 3000 } }
  b: { plugin: ./plugins/count, params: { value: 2 }, inputs: { in: "\${stages.a.outputs.out}" } }
`;

beforeAll(() => {
  if (!SKIP_WITHOUT_SLURM && !existsSync(join(ROOT, 'dist', 'src', 'exec', 'slurm', 'retry.js'))) throw new Error(`compile first: npx tsc -p tsconfig.json (${BIN} runs dist/)`);
});

describe.skipIf(SKIP_WITHOUT_SLURM)('retries and queue reasons on Slurm', () => {
  it('reaches the cluster', () => { expect(SLURM_UP, HOW_TO_START).toBe(true); });

  it('a job that ended badly runs again under its own id once requeued, and its dependent, pointed at it again, after it', async () => {
    const dir = await jobDir('requeue');
    const c = client();
    // Fails on its first attempt, succeeds once Slurm restarted it.
    const up = await c.submit({ name: 'up', command: ['sh', '-c', 'date +%s%N > up.$SLURM_RESTART_COUNT; [ "${SLURM_RESTART_COUNT:-0}" -ge 1 ]'], cwd: dir, output: join(dir, 'up.out') });
    const down = await c.submit({ name: 'down', command: ['sh', '-c', 'date +%s%N > down'], afterOk: [up], killOnInvalidDep: false, cwd: dir, output: join(dir, 'down.out') });
    // Slurm marks the dependency failed for good, and leaves the dependent queued.
    await vi.waitFor(async () => expect((await c.status([up, down])).map((s) => s.state)).toMatchObject([
      { phase: 'ended', verdict: 'FAILED' }, { phase: 'pending', reason: 'DependencyNeverSatisfied' },
    ]), { timeout: 20_000, interval: 200 });
    await c.requeue(up);
    await c.setAfterOk(down, [up]);
    const final = await c.follow([up, down], fast);
    expect(final.get(up)).toMatchObject({ restarts: 1, state: { phase: 'ended', verdict: 'COMPLETED' } });
    expect(final.get(down)!.state).toMatchObject({ phase: 'ended', verdict: 'COMPLETED' });
    expect(Number(readFileSync(join(dir, 'down'), 'utf8'))).toBeGreaterThan(Number(readFileSync(join(dir, 'up.1'), 'utf8')));
  }, 40_000);

  it('a job Slurm requeues while it runs is shown as a retry, recorded, and runs to its end; its dependent after it', async () => {
    const p = new Project('retort-slurm-requeue-');
    p.write('r.yaml', CHAIN);
    const child = p.start(args('r.yaml'), slurm);
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    const done = collect(child);
    await vi.waitFor(() => expect(stdout).toMatch(/a \| computing a/), { timeout: 120_000, interval: 100 });
    const job = /a \| submitted as Slurm job (\d+)/.exec(stdout)![1]!;
    scontrol('requeue', job);
    // Slurm holds a requeued job back for two minutes; an administrator may let it start at once.
    await vi.waitFor(async () => expect((await client().status([job]))[0]).toMatchObject({ restarts: 1, state: { phase: 'pending' } }), { timeout: 20_000, interval: 200 });
    // Until the new attempt has run. Slurm 22.05 sometimes leaves the requeued job listed FAILED for good
    // (the killed attempt's exit lands after the requeue); the executor then requeues it again itself.
    await vi.waitFor(async () => {
      const [status] = await client().status([job]);
      spawnSync('scontrol', ['update', `jobid=${job}`, 'StartTime=now'], { env: slurmEnv });
      expect(status, stdout).toMatchObject({ state: { phase: 'ended', verdict: 'COMPLETED' } });
    }, { timeout: 150_000, interval: 500 });
    const res = await done;
    expect(res.code, stdout + res.stderr).toBe(0);
    expect(stdout).toContain(`[retry] a: Slurm requeued job ${job} itself; attempt 2`);
    expect(stdout).toMatch(/2 ran, 0 cached, 0 failed/);
    const runs = p.executions();
    expect(runs.filter((n) => n === 'a').length).toBeGreaterThanOrEqual(2);
    expect(runs.at(-1)).toBe('b');
    expect(runs.filter((n) => n === 'b')).toHaveLength(1);
    const runId = /\(run (\S+)\)/.exec(stdout)![1]!;
    const record = JSON.parse(readFileSync(join(p.dir, 'runs', 'records', `${runId}.json`), 'utf8')) as RunRecord;
    const a = record.nodes.find((n) => n.id === 'a');
    expect(a).toMatchObject({ outcome: 'ran', job });
    expect(a?.retries?.[0]).toMatchObject({ attempt: 2, reason: `Slurm requeued job ${job} itself` });
    expect(existsSync(join(p.dir, 'runs', 'slurm', runId))).toBe(true);
  }, 300_000);

  it("a held job shows Slurm's reason, JobHeldUser, and runs once released", async () => {
    const p = new Project('retort-slurm-held-');
    p.write('r.yaml', CHAIN);
    const child = p.start(args('r.yaml'), slurm);
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    const done = collect(child);
    await vi.waitFor(() => expect(stdout).toMatch(/b \| submitted as Slurm job (\d+)/), { timeout: 120_000, interval: 100 });
    const job = /b \| submitted as Slurm job (\d+)/.exec(stdout)![1]!;
    scontrol('uhold', job); // a user's hold (root's plain hold is an administrator's: JobHeldAdmin)
    await vi.waitFor(() => expect(stdout).toContain('[queued] b: JobHeldUser'), { timeout: 120_000, interval: 100 });
    scontrol('release', job);
    const res = await done;
    expect(res.code, stdout + res.stderr).toBe(0);
    expect(stdout).toMatch(/\[queued\] b: JobHeldUser[\s\S]*\[start\] b/);
  }, 240_000);
});
