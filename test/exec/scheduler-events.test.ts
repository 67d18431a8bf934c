// The scheduler through its executor seam, with a scripted executor: what it decides itself (which
// nodes are skipped, cancelled or never started, and why), typed; the order of a node's events; and
// that a node counts as finished only once every subscriber has handled its end.
import { describe, expect, it, vi } from 'vitest';
import type { JobRequest, JobResult, NodeExecutor } from '../../src/exec/executor.js';
import { failureMessage } from '../../src/exec/failure.js';
import { executePlan } from '../../src/exec/scheduler.js';
import { collector, fanOut, finished, planOf, ScriptedExecutor, type Fixture } from './plan-fixture.js';
import { nodeId } from '../../src/util/ids.js';

const CHAIN = `
stages:
  a: { plugin: ./plugins/count }
  b: { plugin: ./plugins/count, inputs: { in: "\${stages.a.outputs.out}" } }
  c: { plugin: ./plugins/count, inputs: { in: "\${stages.b.outputs.out}" } }
  x: { plugin: ./plugins/count, params: { value: 2 } }
`;

const exitCode3 = async (): Promise<JobResult> => ({ ok: false, failure: { kind: 'exit-code', process: 'node', code: 3 } });

function execute(f: Fixture, executor: NodeExecutor, opts: { keepGoing?: boolean; jobs?: number; signal?: AbortSignal } = {},
  ...subs: ReturnType<typeof collector>[]) {
  const events = fanOut(...subs);
  const run = executePlan(f.plan, { store: f.store, runId: 'test-run', recipeName: 'r', jobs: opts.jobs ?? 1, keepGoing: opts.keepGoing, signal: opts.signal ?? new AbortController().signal, executor, events, env: {} });
  return { run, events };
}

describe('scheduler events and failure kinds', () => {
  it('a node started, logged, reported a metric and finished, in that order, with the executor’s typed result', async () => {
    const f = await planOf('stages:\n  a: { plugin: ./plugins/count }\n');
    const seen = collector();
    const { run, events } = execute(f, new ScriptedExecutor(), {}, seen);
    const result = await run;
    expect(result.status).toBe('ok');
    expect(seen.events.map((e) => e.type)).toEqual(['node-started', 'node-log', 'node-metric', 'node-finished']);
    const end = finished(seen.events).get('a')!;
    expect(end.outcome).toBe('ran');
    expect(events.errors).toEqual([]);
  });

  it('a failed node skips its dependents as upstream-failed, naming it however far down; others go on with --keep-going', async () => {
    const f = await planOf(CHAIN);
    const seen = collector();
    const { run } = execute(f, new ScriptedExecutor({ a: exitCode3 }), { keepGoing: true }, seen);
    const result = await run;
    const ends = finished(seen.events);
    expect(ends.get('a')).toMatchObject({ outcome: 'failed', failure: { kind: 'exit-code', process: 'node', code: 3 } });
    expect(ends.get('b')).toMatchObject({ outcome: 'skipped', failure: { kind: 'upstream-failed', upstream: 'a' } });
    expect(ends.get('c')).toMatchObject({ outcome: 'skipped', failure: { kind: 'upstream-failed', upstream: 'a' } });
    expect(ends.get('x')?.outcome).toBe('ran');
    expect(result.outcomes.get(nodeId('c'))?.failure).toEqual({ kind: 'upstream-failed', upstream: 'a' });
    expect(result.status).toBe('failed');
    expect(failureMessage(result.outcomes.get(nodeId('a'))!.failure!)).toBe("the node's process exited with code 3");
    expect(failureMessage(result.outcomes.get(nodeId('c'))!.failure!)).toBe('upstream a failed');
  });

  it('without --keep-going, nodes not started after a failure are skipped as not-started', async () => {
    const f = await planOf(CHAIN);
    const seen = collector();
    const executor = new ScriptedExecutor({ a: exitCode3 });
    const { run } = execute(f, executor, { jobs: 1 }, seen);
    const result = await run;
    expect(executor.started).toEqual(['a']);
    expect(finished(seen.events).get('x')).toMatchObject({ outcome: 'skipped', failure: { kind: 'not-started' } });
    expect(result.outcomes.get(nodeId('x'))?.failure?.kind).toBe('not-started');
  });

  it('an interrupt cancels the running node and every node not started yet; the run is cancelled', async () => {
    const f = await planOf(CHAIN);
    const controller = new AbortController();
    const waitForCancel = (req: JobRequest) => new Promise<JobResult>((resolve) => {
      const cancelled = () => resolve({ ok: false, failure: { kind: 'cancelled' } });
      if (req.signal.aborted) cancelled();
      else req.signal.addEventListener('abort', cancelled, { once: true });
    });
    const seen = collector((e) => { if (e.type === 'node-started' && e.node.id === 'a') controller.abort(); });
    const { run } = execute(f, new ScriptedExecutor({ a: waitForCancel }), { signal: controller.signal }, seen);
    const result = await run;
    expect(result.status).toBe('cancelled');
    for (const id of ['a', 'b', 'c', 'x'].map(nodeId)) expect(result.outcomes.get(id), id).toMatchObject({ outcome: 'cancelled', failure: { kind: 'cancelled' } });
    expect(finished(seen.events).get('a')).toMatchObject({ outcome: 'cancelled', failure: { kind: 'cancelled' } });
  });

  it('a full disk when the entry is prepared fails the node as store-full, with the message users know', async () => {
    const f = await planOf('stages:\n  a: { plugin: ./plugins/count }\n');
    vi.spyOn(f.store, 'beginWrite').mockRejectedValueOnce(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    const seen = collector();
    const executor = new ScriptedExecutor();
    const result = await execute(f, executor, {}, seen).run;
    const failure = result.outcomes.get(nodeId('a'))!.failure!;
    expect(failure).toEqual({ kind: 'store-full', step: 'prepare', root: f.store.root });
    expect(failureMessage(failure)).toBe(`could not prepare its entry in the store: no space left on the device of the store (${f.store.root}); free some (retort gc) and run again`);
    expect(executor.started).toEqual([]);
    expect(seen.events.map((e) => e.type)).toEqual(['node-finished']);
  });

  it('a node counts as finished (its dependents start) only once every subscriber has handled its end', async () => {
    const f = await planOf(CHAIN.replace(/\n {2}x:.*\n/, '\n'));
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    const seen = collector((e) => (e.type === 'node-finished' && e.node.id === 'a' ? held : undefined));
    const executor = new ScriptedExecutor();
    const { run } = execute(f, executor, { jobs: 2 }, seen);
    await vi.waitFor(() => expect(seen.events.some((e) => e.type === 'node-finished' && e.node.id === 'a')).toBe(true));
    await new Promise((r) => setImmediate(r));
    expect(executor.started).toEqual(['a']);
    release();
    await run;
    expect(executor.started).toEqual(['a', 'b', 'c']);
  });

  it('the tracking reference a subscriber gives for a started node is kept in its manifest', async () => {
    const f = await planOf('stages:\n  a: { plugin: ./plugins/count }\n');
    const tracker = { name: 'tracker', handle: (e: { type: string }) => (e.type === 'node-started' ? { tracking: { mlflowRunId: 'run-1' } } : undefined) };
    const result = await executePlan(f.plan, {
      store: f.store, runId: 'test-run', recipeName: 'r', signal: new AbortController().signal, executor: new ScriptedExecutor(), events: fanOut(tracker), env: {},
    });
    const found = await f.store.lookup(result.outcomes.get(nodeId('a'))!.key);
    expect(found.status === 'hit' && found.manifest.tracking).toEqual({ mlflowRunId: 'run-1' });
  });
});
