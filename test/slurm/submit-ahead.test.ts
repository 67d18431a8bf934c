// The scheduler with an executor that submits ahead (the Slurm executor's seam), on a fake cluster:
// every miss is handed over once its upstream nodes are submitted, not finished; a failure skips
// its dependents naming its log and cancels what has not started; an interrupt that arrives while
// a job is being submitted cancels that job too.
import { describe, expect, it } from 'vitest';
import type { NodeSubmission, SubmissionResult, SubmittedJob, SubmittingExecutor } from '../../src/exec/executor.js';
import { executePlan } from '../../src/exec/scheduler.js';
import { collector, fanOut, finished, planOf } from '../exec/plan-fixture.js';

const DIAMOND = `stages:
  a: { plugin: ./plugins/count }
  b: { plugin: ./plugins/count, params: { value: 2 }, inputs: { in: "\${stages.a.outputs.out}" } }
  c: { plugin: ./plugins/count, params: { value: 3 }, inputs: { in: "\${stages.a.outputs.out}" } }
  d: { plugin: ./plugins/count, inputs: { in: ["\${stages.b.outputs.out}", "\${stages.c.outputs.out}"] } }
  e: { plugin: ./plugins/count, params: { value: 9 } }
`;

/** A cluster in memory: jobs end when the test says, or 'cancelled' when cancelled. */
class FakeCluster implements SubmittingExecutor {
  readonly submitsAhead = true;
  readonly clusterName = 'Fake';
  readonly submitted: { node: string; after: string[] }[] = [];
  readonly cancelled: string[] = [];
  private readonly ends = new Map<string, { node: string; sub: NodeSubmission; end(r: SubmissionResult): void }>();
  onSubmit?: (node: string) => void;
  private readonly countWaiters: { count: number; resolve(): void }[] = [];

  async submit(sub: NodeSubmission): Promise<SubmittedJob> {
    const handle = String(100 + this.submitted.length);
    this.submitted.push({ node: sub.node.spec.id, after: sub.after });
    this.onSubmit?.(sub.node.spec.id);
    for (const w of this.countWaiters.filter((w) => this.submitted.length >= w.count)) w.resolve();
    let end!: (r: SubmissionResult) => void;
    const result = new Promise<SubmissionResult>((r) => { end = r; });
    this.ends.set(handle, { node: sub.node.spec.id, sub, end });
    return { handle, result };
  }

  /** Resolves once `count` jobs have been submitted (none ends before the test ends it). */
  submissions(count: number): Promise<void> {
    if (this.submitted.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.countWaiters.push({ count, resolve }));
  }

  async cancel(handles: readonly string[]): Promise<void> {
    for (const h of handles) { this.cancelled.push(h); this.ends.get(h)?.end({ outcome: 'cancelled', failure: { kind: 'cancelled' }, metrics: [] }); }
  }

  async finish(node: string, result: SubmissionResult): Promise<void> {
    const job = [...this.ends.values()].find((j) => j.node === node)!;
    await job.sub.started();
    job.end(result);
  }

  /** What Slurm does to a job whose afterok dependency failed (kill-on-invalid-dep). */
  dropForDependency(node: string): void {
    [...this.ends.values()].find((j) => j.node === node)!.end({ outcome: 'cancelled', failure: { kind: 'cancelled' }, metrics: [] });
  }

  handleOf(node: string): string { return [...this.ends.entries()].find(([, j]) => j.node === node)![0]; }
}

describe('submitting ahead', () => {
  it('hands every miss over in topological order, with the handles of its upstream jobs, before any has finished', async () => {
    const f = await planOf(DIAMOND);
    const cluster = new FakeCluster();
    const sub = collector();
    const running = executePlan(f.plan, { store: f.store, runId: 'r', recipeName: 'x', signal: new AbortController().signal, executor: cluster, events: fanOut(sub) });
    await cluster.submissions(5);
    expect(cluster.submitted).toEqual([
      { node: 'a', after: [] }, { node: 'b', after: ['100'] }, { node: 'c', after: ['100'] }, { node: 'd', after: ['101', '102'] }, { node: 'e', after: [] },
    ]);
    for (const n of ['a', 'b', 'c', 'd', 'e']) await cluster.finish(n, { outcome: 'ran', metrics: [], startedAt: 1, endedAt: 2 });
    const result = await running;
    expect(result.status).toBe('ok');
    expect(sub.events.filter((e) => e.type === 'node-started').map((e) => (e as { node: { id: string } }).node.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a failure skips its dependents naming the node and its log, and cancels the jobs not started yet', async () => {
    const f = await planOf(DIAMOND);
    const cluster = new FakeCluster();
    const sub = collector();
    const running = executePlan(f.plan, { store: f.store, runId: 'r', recipeName: 'x', signal: new AbortController().signal, executor: cluster, events: fanOut(sub) });
    await cluster.submissions(5);
    await cluster.finish('a', { outcome: 'ran', metrics: [], startedAt: 1, endedAt: 2 });
    await cluster.finish('b', { outcome: 'failed', failure: { kind: 'plugin-error', message: 'no' }, metrics: [], log: '/logs/b.log' });
    cluster.dropForDependency('d');
    const result = await running;
    const ends = finished(sub.events);
    expect(ends.get('d')).toMatchObject({ outcome: 'skipped', failure: { kind: 'upstream-failed', upstream: 'b', log: '/logs/b.log' } });
    expect(cluster.cancelled.sort()).toEqual([cluster.handleOf('c'), cluster.handleOf('e')].sort());
    expect(ends.get('c')).toMatchObject({ outcome: 'skipped', failure: { kind: 'not-started' } });
    expect(result.status).toBe('failed');
  });

  it('an interrupt during the last submission cancels that job as well', async () => {
    const f = await planOf(DIAMOND);
    const cluster = new FakeCluster();
    const controller = new AbortController();
    cluster.onSubmit = (node) => { if (node === 'e') controller.abort(); };
    const result = await executePlan(f.plan, { store: f.store, runId: 'r', recipeName: 'x', signal: controller.signal, executor: cluster, events: fanOut(collector()) });
    expect(cluster.cancelled.sort()).toEqual(['100', '101', '102', '103', '104']);
    expect(result.status).toBe('cancelled');
  });
});
