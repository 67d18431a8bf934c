// The Slurm client against the real cluster: dependencies, arrays, cancelling, Slurm's refusals.
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SlurmClient } from '../../src/exec/slurm/client.js';
import { SlurmError } from '../../src/exec/slurm/errors.js';
import type { JobStatus } from '../../src/exec/slurm/states.js';
import { client, HOW_TO_START, jobDir, SKIP_WITHOUT_SLURM, SLURM_CONF, SLURM_UP, slurmEnv } from './cluster.js';

const fast = { minIntervalMs: 200, maxIntervalMs: 1000 };

/** A job that records when it started and ended (ms), with a short sleep in between. */
const stamped = (dir: string, name: string) => ['sh', '-c', `date +%s%3N > ${dir}/${name}.start; sleep 0.5; date +%s%3N > ${dir}/${name}.end`];
const stamp = async (dir: string, name: string, edge: 'start' | 'end') => Number((await readFile(join(dir, `${name}.${edge}`), 'utf8')).trim());

describe.skipIf(SKIP_WITHOUT_SLURM)('the Slurm client on a real cluster', () => {
  it('reaches the cluster', async () => {
    expect(SLURM_UP, HOW_TO_START).toBe(true);
    await client().ping();
  });

  it('runs a diamond in dependency order: no job starts before its upstream jobs ended', async () => {
    const dir = await jobDir('diamond');
    const slurm = client();
    const out = join(dir, '%j.out');
    const a = await slurm.submit({ name: 'a', command: stamped(dir, 'a'), output: out });
    const b = await slurm.submit({ name: 'b', command: stamped(dir, 'b'), afterOk: [a], output: out });
    const c = await slurm.submit({ name: 'c', command: stamped(dir, 'c'), afterOk: [a], output: out });
    const d = await slurm.submit({ name: 'd', command: stamped(dir, 'd'), afterOk: [b, c], output: out });
    const final = await slurm.follow([a, b, c, d], fast);
    for (const id of [a, b, c, d]) expect(final.get(id)!.state).toMatchObject({ phase: 'ended', verdict: 'COMPLETED', exitCode: 0 });
    expect(await stamp(dir, 'b', 'start')).toBeGreaterThanOrEqual(await stamp(dir, 'a', 'end'));
    expect(await stamp(dir, 'c', 'start')).toBeGreaterThanOrEqual(await stamp(dir, 'a', 'end'));
    expect(await stamp(dir, 'd', 'start')).toBeGreaterThanOrEqual(Math.max(await stamp(dir, 'b', 'end'), await stamp(dir, 'c', 'end')));
    // Slurm's own times (whole seconds) agree
    const t = (id: string) => final.get(id)!.state as Extract<JobStatus['state'], { phase: 'ended' }>;
    expect(t(d).startedAt!).toBeGreaterThanOrEqual(Math.max(t(b).endedAt!, t(c).endedAt!));
  });

  it('runs an array as one submission, each task with its index, and follows every task', async () => {
    const dir = await jobDir('array');
    const slurm = client();
    const id = await slurm.submit({ name: 'fan', command: ['sh', '-c', `echo task $SLURM_ARRAY_TASK_ID > ${dir}/t$SLURM_ARRAY_TASK_ID`], array: { count: 4 }, output: join(dir, '%A_%a.out') });
    const final = await slurm.follow([id], fast);
    expect([...final.values()].map((s) => [s.id, s.arrayTask, s.state.phase === 'ended' && s.state.verdict]).sort())
      .toEqual([0, 1, 2, 3].map((i) => [`${id}_${i}`, i, 'COMPLETED']));
    expect((await readdir(dir)).filter((f) => f.startsWith('t')).sort()).toEqual(['t0', 't1', 't2', 't3']);
    expect(await readFile(join(dir, 't2'), 'utf8')).toBe('task 2\n');
  });

  it('a failed job is FAILED with its exit code, and Slurm cancels what depended on it', async () => {
    const dir = await jobDir('fail');
    const slurm = client();
    const bad = await slurm.submit({ name: 'bad', command: ['sh', '-c', 'exit 3'], output: join(dir, '%j.out') });
    const after = await slurm.submit({ name: 'after', command: ['true'], afterOk: [bad], output: join(dir, '%j.out') });
    const final = await slurm.follow([bad, after], fast);
    expect(final.get(bad)!.state).toMatchObject({ phase: 'ended', verdict: 'FAILED', exitCode: 3 });
    expect(final.get(after)!.state).toMatchObject({ phase: 'ended', verdict: 'CANCELLED', reason: 'DependencyNeverSatisfied' });
  });

  it('cancels pending jobs in one scancel, and they end CANCELLED', async () => {
    const dir = await jobDir('cancel');
    const slurm = client();
    const later = await slurm.submit({ name: 'later', command: ['true'], output: join(dir, '%j.out'), resources: { extraArgs: ['--begin=now+600'] } });
    const after = await slurm.submit({ name: 'after', command: ['true'], afterOk: [later], output: join(dir, '%j.out') });
    await vi.waitFor(async () => expect((await slurm.status([later, after])).map((s) => s.state)).toEqual([
      { phase: 'pending', reason: 'BeginTime', hopeless: false },
      { phase: 'pending', reason: 'Dependency', hopeless: false },
    ]), { timeout: 10_000, interval: 200 });
    await slurm.cancel([later, after]);
    const final = await slurm.follow([later, after], fast);
    for (const id of [later, after]) expect(final.get(id)!.state).toMatchObject({ phase: 'ended', verdict: 'CANCELLED' });
    expect(await readdir(dir)).toEqual([]); // neither ever ran
  });

  it('passes the variables it is given to the job, and runs it in the folder asked for', async () => {
    const dir = await jobDir('env');
    const slurm = client();
    const id = await slurm.submit({ name: 'env', command: ['sh', '-c', 'printf "%s|%s" "$RETORT_X" "$PWD" > seen'], env: { RETORT_X: "a,b 'c'" }, cwd: dir, output: join(dir, '%j.out') });
    await slurm.follow([id], fast);
    expect(await readFile(join(dir, 'seen'), 'utf8')).toBe(`a,b 'c'|${dir}`);
  });

  it('an unknown partition is rejected with Slurm\'s own message', async () => {
    const err = await client().submit({ name: 'x', command: ['true'], resources: { partition: 'nope' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlurmError);
    expect((err as SlurmError).kind).toBe('rejected');
    expect((err as SlurmError).message).toContain('invalid partition specified: nope');
  });

  it('a request for more memory than any node has is rejected with Slurm\'s message', async () => {
    const err = await client().submit({ name: 'x', command: ['true'], resources: { memoryMb: 100_000_000 } }).catch((e: unknown) => e) as SlurmError;
    expect(err.kind).toBe('rejected');
    expect(err.slurmMessage).toMatch(/Memory specification can not be satisfied|Requested node configuration is not available/);
  });

  it('more CPUs than the partition has is accepted by sbatch but pends for a reason that never clears', async () => {
    const slurm = client();
    const id = await slurm.submit({ name: 'huge', command: ['true'], resources: { cpus: 4096 } });
    try {
      // the reason is set when the scheduler first looks at the job
      await vi.waitFor(async () => expect((await slurm.status([id]))[0]!.state).toMatchObject({ phase: 'pending', hopeless: true }), { timeout: 10_000, interval: 200 });
    } finally {
      await slurm.cancel([id]);
    }
  });

  it('no sbatch where the client looks is a not-installed error', async () => {
    const empty = await jobDir('nobin');
    const err = await new SlurmClient({ bin: empty, env: slurmEnv }).submit({ name: 'x', command: ['true'] }).catch((e: unknown) => e) as SlurmError;
    expect(err.kind).toBe('not-installed');
    expect(err.message).toBe(`sbatch is not in ${empty}: Slurm's client commands must be installed on this machine (or set the folder that holds them)`);
  });

  it('a controller that does not answer is an unreachable error quoting Slurm, for submit, status and ping', async () => {
    const dir = await jobDir('down');
    await mkdir(dir, { recursive: true });
    const conf = (await readFile(SLURM_CONF!, 'utf8')).replace(/^SlurmctldPort=.*$/m, 'SlurmctldPort=1') + 'MessageTimeout=1\n';
    await writeFile(join(dir, 'slurm.conf'), conf);
    const down = new SlurmClient({ env: { ...slurmEnv, SLURM_CONF: join(dir, 'slurm.conf') } });
    for (const attempt of [() => down.submit({ name: 'x', command: ['true'] }), () => down.status(['1']), () => down.ping()]) {
      const err = await attempt().catch((e: unknown) => e) as SlurmError;
      expect(err.kind).toBe('unreachable');
      expect(err.slurmMessage).toMatch(/Unable to contact slurm controller|is DOWN/);
    }
  });

  it('lists nothing, without an error, for ids Slurm does not know', async () => {
    expect(await client().status(['999999'])).toEqual([]);
  });
});
