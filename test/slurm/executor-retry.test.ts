// The Slurm executor's retries and queue reasons, on a Slurm in memory that answers sbatch, squeue,
// scontrol and scancel as Slurm 22.05 does (what it does was tried on the local cluster; the
// cluster itself cannot be made to preempt a job or fail its node without disturbing other users'
// jobs, see retry.cluster.test.ts for what is tried there).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/exec/events.js';
import { executePlan } from '../../src/exec/scheduler.js';
import { SlurmClient } from '../../src/exec/slurm/client.js';
import type { CommandRunner } from '../../src/exec/slurm/command.js';
import { SlurmExecutor } from '../../src/exec/slurm/executor.js';
import type { JobSpecFile } from '../../src/exec/slurm/job-spec.js';
import { collector, fanOut, finished, planOf } from '../exec/plan-fixture.js';

const CHAIN = `stages:
  a: { plugin: ./plugins/count }
  b: { plugin: ./plugins/count, params: { value: 2 }, inputs: { in: "\${stages.a.outputs.out}" } }
  c: { plugin: ./plugins/count, params: { value: 3 }, inputs: { in: "\${stages.b.outputs.out}" } }
`;

interface FakeJob { id: string; name: string; after: string[]; attempts: string[][];
  attempt: number; step: number; restarts: number; neverSatisfied: boolean; result: string;
  /** Polls left during which Slurm, having requeued the job itself, still lists the killed attempt's end. */
  staleEnd: number;
  /** The killed attempt's end was listed for the last time: the next poll starts the next attempt. */
  nextAttempt?: boolean;
  /** The killed attempt's end is listed with the requeue's time as its start and end (REQUEUE_QUEUED). */
  restamped?: boolean }

/**
 * Each job walks through the states of its current attempt, one per squeue, while nothing it waits
 * for holds it back; `scontrol requeue` starts its next attempt. A job whose upstream job ended
 * badly stays queued (DependencyNeverSatisfied, as with --kill-on-invalid-dep=no) until its
 * dependency is set again. `SELF_REQUEUE:n` in a script is Slurm requeuing the job by itself (a node
 * failure with JobRequeue, `scontrol requeue` by an administrator): the restart count rises at once,
 * but for n more polls squeue still lists the killed attempt's end, FAILED, before the job is queued again
 * (`SELF_REQUEUE:stuck`: until the job is requeued once more, as Slurm 22.05 sometimes does).
 * `REQUEUE_KILL:n` is the same requeue seen while the killed attempt is still being stopped: listed
 * COMPLETING with the new restart count first, then its end for n polls. `REQUEUE_QUEUED:n` is that
 * requeue when the poll missed COMPLETING: listed queued with the new restart count first, then its
 * end for n polls, restamped as Slurm 22.05 does with the requeue's time as both its start and its end
 * (10:00:3k). Each attempt that started is listed with its own start time (attempt k at 10:00:1k).
 */
class FakeSlurm {
  readonly jobs = new Map<string, FakeJob>();
  readonly commands: string[] = [];
  constructor(private readonly script: Record<string, string[][]>) {}

  readonly run: CommandRunner = async (command, args, opts) => {
    this.commands.push([command, ...args].join(' '));
    const ok = (stdout = '') => ({ stdout, stderr: '', exitCode: 0 });
    if (command === 'sbatch') {
      const id = String(100 + this.jobs.size);
      const name = args.find((a) => a.startsWith('--job-name='))!.slice('--job-name='.length);
      const dep = args.find((a) => a.startsWith('--dependency='));
      const spec = /job-main\.js (\S+)/.exec(opts!.input!)![1]!;
      const file = JSON.parse(readFileSync(spec, 'utf8')) as JobSpecFile;
      this.jobs.set(id, { id, name, after: dep ? dep.split(':').slice(1) : [], attempts: this.script[name]!, attempt: 0, step: -1, restarts: 0, neverSatisfied: false, result: file.units[0]!.result, staleEnd: 0 });
      return ok(`${id}\n`);
    }
    if (command === 'squeue') {
      const ids = args.find((a) => a.startsWith('--jobs='))!.slice('--jobs='.length).split(',');
      return ok(ids.map((id) => this.line(this.advance(this.jobs.get(id)!))).join(''));
    }
    if (command === 'scontrol' && args[0] === 'requeue') {
      const job = this.jobs.get(args[1]!)!;
      Object.assign(job, { attempt: job.attempt + 1, step: -1, restarts: job.restarts + 1, staleEnd: 0, nextAttempt: false, restamped: false });
      return ok();
    }
    if (command === 'scontrol' && args[0] === 'update') {
      const job = this.jobs.get(args[1]!.slice('jobid='.length))!;
      if (args[2]!.startsWith('Dependency=')) job.neverSatisfied = false;
      return ok();
    }
    if (command === 'scancel') {
      for (const id of args) { const job = this.jobs.get(id)!; job.attempts = [...job.attempts.slice(0, job.attempt), ['CANCELLED']]; job.step = 0; }
      return ok();
    }
    throw new Error(`unexpected command ${command} ${args.join(' ')}`);
  };

  private state(job: FakeJob): string {
    if (job.staleEnd > 0 || job.nextAttempt) return 'FAILED';
    return job.step < 0 ? 'PENDING' : job.attempts[job.attempt]![Math.min(job.step, job.attempts[job.attempt]!.length - 1)]!;
  }

  private advance(job: FakeJob): { job: FakeJob; state: string; reason: string } {
    // Nothing starts before every node is submitted, as on a busy cluster: the test is about what follows.
    if (this.jobs.size < Object.keys(this.script).length) return { job, state: 'PENDING', reason: 'Priority' };
    if (job.staleEnd > 0) {
      if (--job.staleEnd === 0) job.nextAttempt = true;
      return { job, state: 'FAILED', reason: 'NonZeroExitCode' };
    }
    if (job.nextAttempt) Object.assign(job, { attempt: job.attempt + 1, step: -1, nextAttempt: false, restamped: false });
    const current = this.state(job);
    if (/^(COMPLETED|FAILED|NODE_FAIL|PREEMPTED|CANCELLED)$/.test(current)) return { job, state: current, reason: 'None' };
    const ups = job.after.map((id) => this.state(this.jobs.get(id)!));
    if (ups.some((s) => /^(FAILED|NODE_FAIL|PREEMPTED|CANCELLED)$/.test(s))) job.neverSatisfied = true;
    if (job.neverSatisfied) return { job, state: 'PENDING', reason: 'DependencyNeverSatisfied' };
    if (ups.some((s) => s !== 'COMPLETED')) return { job, state: 'PENDING', reason: 'Dependency' };
    job.step++;
    const [state = '', reason = 'None'] = this.state(job).split(':');
    if (state === 'REQUEUE_KILL') {
      Object.assign(job, { restarts: job.restarts + 1, staleEnd: Number(reason) });
      return { job, state: 'COMPLETING', reason: 'None' };
    }
    if (state === 'REQUEUE_QUEUED') {
      Object.assign(job, { restarts: job.restarts + 1, staleEnd: Number(reason), restamped: true });
      return { job, state: 'PENDING', reason: 'None' };
    }
    if (state === 'SELF_REQUEUE') {
      Object.assign(job, { restarts: job.restarts + 1, staleEnd: reason === 'stuck' ? Infinity : Number(reason) });
      return { job, state: 'FAILED', reason: 'NonZeroExitCode' };
    }
    // The job's program leaves its result once it completed (job-main does so).
    if (state === 'COMPLETED') writeFileSync(job.result, JSON.stringify({ v: 1, key: 'k', nodeId: job.name, outcome: 'ran', metrics: [], startedAt: 1, endedAt: 2 }));
    return { job, state, reason };
  }

  private line({ job, state, reason }: { job: FakeJob; state: string; reason: string }): string {
    const exit = state === 'COMPLETED' ? '0' : '256';
    const listedQueued = state === 'PENDING';
    const restamped = job.restamped && !listedQueued ? `2026-12-01T10:00:${30 + job.attempt}` : undefined;
    const start = restamped ?? (job.step >= 0 && !listedQueued ? `2026-12-01T10:00:${10 + job.attempt}` : 'N/A');
    // An attempt ends within the second it started.
    const ended = /^(COMPLETED|FAILED|NODE_FAIL|PREEMPTED|CANCELLED)$/.test(state) && start !== 'N/A';
    return `${job.id}|${job.id}|N/A|${state}|${reason}|${start}|${ended ? start : 'N/A'}|${exit}|${job.restarts}|\n`;
  }
}

async function runOn(script: Record<string, string[][]>, retries?: number, stuckEndMs?: number) {
  const fx = await planOf(CHAIN);
  const slurm = new FakeSlurm(script);
  const executor = new SlurmExecutor({
    client: new SlurmClient({ run: slurm.run }), store: fx.store, dir: join(fx.dir, 'jobs'), runId: 'r1', recipeName: 'r',
    minIntervalMs: 1, maxIntervalMs: 2, ...(retries === undefined ? {} : { retries }), ...(stuckEndMs === undefined ? {} : { stuckEndMs }),
  });
  const events = collector();
  const result = await executePlan(fx.plan, { store: fx.store, runId: 'r1', recipeName: 'r', executor, events: fanOut(events), signal: new AbortController().signal });
  return { result, slurm, events: events.events };
}

const of = <T extends RunEvent['type']>(events: RunEvent[], type: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

/** Runs the chain with `a` walking through `attempts`, and checks that it ran to its end after one retry: Slurm's own requeue. */
async function runSelfRequeued(attempts: string[][], stuckEndMs?: number) {
  const { result, slurm, events } = await runOn({ a: attempts, b: [['RUNNING', 'COMPLETED']], c: [['RUNNING', 'COMPLETED']] }, undefined, stuckEndMs);
  expect(result.status).toBe('ok');
  expect([...finished(events).values()].map((r) => r.outcome)).toEqual(['ran', 'ran', 'ran']);
  expect(of(events, 'node-retry').map(({ nodeId, attempt, reason }) => ({ nodeId, attempt, reason }))).toEqual([
    { nodeId: 'a', attempt: 2, reason: 'Slurm requeued job 100 itself' },
  ]);
  return { slurm, events };
}

describe('Slurm jobs that were preempted or lost their node', () => {
  it('are requeued under the same id, their dependents pointed at them again, and the run goes on', async () => {
    const { result, slurm, events } = await runOn({
      a: [['RUNNING', 'PREEMPTED'], ['RUNNING', 'NODE_FAIL'], ['RUNNING', 'COMPLETED']],
      b: [['RUNNING', 'COMPLETED']],
      c: [['PENDING:Resources', 'RUNNING', 'COMPLETED']],
    });
    expect(result.status).toBe('ok');
    expect([...finished(events).values()].map((r) => r.outcome)).toEqual(['ran', 'ran', 'ran']);
    expect(slurm.commands.filter((c) => c.startsWith('scontrol'))).toEqual([
      'scontrol requeue 100', 'scontrol update jobid=100 StartTime=now', 'scontrol update jobid=101 Dependency=afterok:100',
      'scontrol requeue 100', 'scontrol update jobid=100 StartTime=now', 'scontrol update jobid=101 Dependency=afterok:100',
    ]);
    // Dependents stay queued when an upstream job ends badly, so that they can be pointed at it again.
    expect(slurm.commands.filter((c) => c.startsWith('sbatch')).every((c) => !c.includes('--dependency') || c.includes('--kill-on-invalid-dep=no'))).toBe(true);
    expect(of(events, 'node-retry').map(({ nodeId, attempt, maxAttempts, reason }) => ({ nodeId, attempt, maxAttempts, reason }))).toEqual([
      { nodeId: 'a', attempt: 2, maxAttempts: 3, reason: 'Slurm job 100 ended PREEMPTED' },
      { nodeId: 'a', attempt: 3, maxAttempts: 3, reason: 'Slurm job 100 ended NODE_FAIL' },
    ]);
  });

  it('requeued by Slurm itself run to their end although squeue lists the killed attempt as FAILED for a while, and their dependents wait for them', async () => {
    const { slurm } = await runSelfRequeued([['RUNNING', 'SELF_REQUEUE:3'], ['RUNNING', 'COMPLETED']]);
    // Slurm's own requeue is not requeued again, nothing is cancelled, and b is pointed at a's new attempt.
    expect(slurm.commands.filter((c) => c.startsWith('scontrol requeue') || c.startsWith('scancel'))).toEqual([]);
    expect(slurm.commands.filter((c) => c.startsWith('scontrol')).at(-1)).toBe('scontrol update jobid=101 Dependency=afterok:100');
  });

  it('requeued by Slurm and then left listed as the killed attempt\'s end for good, are requeued once more and run to their end', async () => {
    // One retry, Slurm's own; the requeue that unstuck it is not counted as another attempt.
    const { slurm, events } = await runSelfRequeued([['RUNNING', 'SELF_REQUEUE:stuck'], ['RUNNING', 'COMPLETED']], 20);
    expect(slurm.commands.filter((c) => c.startsWith('scontrol requeue') || c.startsWith('scancel'))).toEqual(['scontrol requeue 100']);
    expect(of(events, 'node-log').map((e) => e.line).filter((l) => l.includes('requeued it again'))).toHaveLength(1);
  });

  it('requeued by Slurm while they run, listed as completing and then as the killed attempt\'s end, run to their end', async () => {
    const { slurm } = await runSelfRequeued([['RUNNING', 'REQUEUE_KILL:2'], ['RUNNING', 'COMPLETED']]);
    expect(slurm.commands.filter((c) => c.startsWith('scontrol requeue') || c.startsWith('scancel'))).toEqual([]);
  });

  it('requeued by Slurm while they run, listed as queued and then as the killed attempt\'s end restamped with the requeue\'s time, run to their end', async () => {
    const { slurm } = await runSelfRequeued([['RUNNING', 'REQUEUE_QUEUED:2'], ['RUNNING', 'COMPLETED']]);
    expect(slurm.commands.filter((c) => c.startsWith('scontrol requeue') || c.startsWith('scancel'))).toEqual([]);
  });

  it('requeued by Slurm, whose new attempt fails unseen within its first second, are requeued once more and fail by the end of that attempt', async () => {
    // The new attempt's end looks like the killed one's restamped end: it costs one more attempt, not a wrong verdict.
    const { result, slurm, events } = await runOn({
      a: [['RUNNING', 'REQUEUE_QUEUED:1'], ['FAILED'], ['RUNNING', 'FAILED']],
      b: [['RUNNING', 'COMPLETED']],
      c: [['RUNNING', 'COMPLETED']],
    }, undefined, 20);
    expect(result.status).toBe('failed');
    expect([...finished(events).values()].map((r) => r.outcome)).toEqual(['failed', 'skipped', 'skipped']);
    expect(slurm.commands.filter((c) => c.startsWith('scontrol requeue'))).toEqual(['scontrol requeue 100']);
    expect(of(events, 'node-log').map((e) => e.line).filter((l) => l.includes('requeued it again'))).toHaveLength(1);
    expect(slurm.jobs.get('100')!.attempt).toBe(2);
  }, 10_000);

  it('requeued by Slurm while they run, whose new attempt is first listed as its end, are settled by that end', async () => {
    // The new attempt is never seen queued or running: only its start time, later than the killed one's, tells its end apart.
    const { result, events } = await runOn({
      a: [['RUNNING', 'REQUEUE_KILL:1'], ['COMPLETED']],
      b: [['RUNNING', 'COMPLETED']],
      c: [['RUNNING', 'COMPLETED']],
    });
    expect(result.status).toBe('ok');
    expect([...finished(events).values()].map((r) => r.outcome)).toEqual(['ran', 'ran', 'ran']);
    expect(of(events, 'node-retry')).toHaveLength(1);
  }, 10_000);

  it('fail the node once no attempts are left, and the jobs below it are cancelled', async () => {
    const { result, slurm, events } = await runOn({
      a: [['RUNNING', 'NODE_FAIL'], ['RUNNING', 'NODE_FAIL']],
      b: [['RUNNING', 'COMPLETED']],
      c: [['RUNNING', 'COMPLETED']],
    }, 1);
    expect(result.status).toBe('failed');
    const ends = finished(events);
    expect(ends.get('a')).toMatchObject({ outcome: 'failed', failure: { kind: 'job-ended', job: { id: '100', verdict: 'NODE_FAIL' } } });
    expect(ends.get('b')).toMatchObject({ outcome: 'skipped', failure: { kind: 'upstream-failed', upstream: 'a' } });
    expect(ends.get('c')).toMatchObject({ outcome: 'skipped', failure: { kind: 'upstream-failed', upstream: 'a' } });
    expect(slurm.commands.filter((c) => c.startsWith('scontrol requeue'))).toEqual(['scontrol requeue 100']);
    expect(slurm.commands.some((c) => /^scancel .*101/.test(c) && /102/.test(c))).toBe(true);
    expect(of(events, 'node-log').map((e) => e.line)).toContain('Slurm job 100 ended NODE_FAIL on attempt 2 of 2: no attempts left');
  });

  it('with retries 0 are not requeued, and Slurm cancels their dependents itself', async () => {
    const { result, slurm } = await runOn({ a: [['NODE_FAIL']], b: [['COMPLETED']], c: [['COMPLETED']] }, 0);
    expect(result.status).toBe('failed');
    expect(slurm.commands.filter((c) => c.startsWith('scontrol requeue'))).toEqual([]);
    expect(slurm.commands.filter((c) => c.startsWith('sbatch') && c.includes('--dependency')).every((c) => c.includes('--kill-on-invalid-dep=yes'))).toBe(true);
  });

  it("report each change of a queued job's reason, in Slurm's words", async () => {
    const { events } = await runOn({
      a: [['PENDING:Priority', 'PENDING:Resources', 'RUNNING', 'COMPLETED']], b: [['PENDING:Resources', 'COMPLETED']], c: [['COMPLETED']],
    });
    const reasons = of(events, 'node-queued').map((e) => `${e.nodeId}: ${e.reason}`);
    expect(reasons.filter((r) => r.startsWith('a:'))).toEqual(['a: Priority', 'a: Resources']);
    // Whether b is polled before c is submitted (Priority) depends on timing; what follows does not.
    expect(reasons.filter((r) => r.startsWith('b:') && r !== 'b: Priority')).toEqual(['b: Dependency', 'b: Resources']);
    expect(of(events, 'node-submitted').map((e) => [e.nodeId, e.job, e.after])).toEqual([['a', '100', []], ['b', '101', ['100']], ['c', '102', ['101']]]);
  });
});
