// A whole run through the engine (runPlan) with a scripted executor: the run marker exists before
// the tracker hears of the run, the record ends complete with the typed failures' messages, the
// tracker and the display hear the same events, counts are the same everywhere, and a run whose
// executor breaks still closes its record and its subscribers.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDisplay } from '../../src/exec/display.js';
import type { RunEvent, RunSubscriber } from '../../src/exec/events.js';
import type { NodeExecutor } from '../../src/exec/executor.js';
import { displaySubscriber } from '../../src/exec/display-subscriber.js';
import { runPlan, type RunRequest } from '../../src/exec/run-plan.js';
import { executePlan } from '../../src/exec/scheduler.js';
import { planRecipe } from '../../src/graph/plan.js';
import { failureLines, summaryLine } from '../../src/exec/run-summary.js';
import { trackingSubscriber } from '../../src/exec/tracking-subscriber.js';
import { readRunRecord, runningMarkers } from '../../src/store/runs.js';
import type { RunObserver } from '../../src/track/observer.js';
import { collector, fanOut, planOf, ScriptedExecutor, type Fixture } from './plan-fixture.js';

const CHAIN = `
stages:
  a: { plugin: ./plugins/count }
  b: { plugin: ./plugins/count, inputs: { in: "\${stages.a.outputs.out}" } }
  x: { plugin: ./plugins/count, params: { value: 2 } }
`;

function request(f: Fixture, executor: NodeExecutor, subscribers: RunSubscriber[]): RunRequest {
  return {
    runId: '20260101-000000-abcdef', recipe: f.recipe, plan: f.plan, store: f.store, runsDir: join(f.dir, 'runs'),
    argv: ['run', 'r.yaml'], overrides: [], cwd: f.dir, env: {}, track: { enabled: false, experiment: 'r' },
    jobs: 1, keepGoing: true, replayLogs: 'none', signal: new AbortController().signal, executor, subscribers,
  };
}

const failA = new ScriptedExecutor({ a: async () => ({ ok: false, failure: { kind: 'exit-code', process: 'node', code: 3 } }) });

/** A tracker that writes down each call it gets. */
function trackerLog(): { observer: RunObserver; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    observer: {
      runStarted: async (run) => { calls.push(`runStarted ${run.runId}`); },
      nodeStarted: async (node) => { calls.push(`nodeStarted ${node.id}`); },
      nodeMetric: (node, p) => { calls.push(`nodeMetric ${node.id} ${p.name}`); },
      nodeFinished: async (node, r) => { calls.push(`nodeFinished ${node.id} ${r.status}${r.error ? `: ${r.error}` : ''}`); },
      nodeCached: async (node) => { calls.push(`nodeCached ${node.id}`); },
      runFinished: async (s) => { calls.push(`runFinished ${s.status} hits=${s.hits} ran=${s.ran} failed=${s.failed}`); },
      close: async () => { calls.push('close'); },
    },
  };
}

/** A subscriber that notes, when the run starts, the running markers and the run record's status. */
function watchRunStart(runsDir: string) {
  const atStart: string[] = [];
  const seen = collector(async (e) => {
    if (e.type !== 'run-started') return;
    atStart.push(...(await runningMarkers(runsDir)).map((m) => m.runId));
    atStart.push(`record ${(await readRunRecord(runsDir, e.run.runId))?.status}`);
  });
  return { atStart, seen };
}

describe('runPlan', () => {
  it('writes the run marker and the running record before the tracker hears the run start; ends with a complete record and no marker', async () => {
    const f = await planOf(CHAIN);
    const runsDir = join(f.dir, 'runs');
    const { atStart, seen } = watchRunStart(runsDir);
    const run = await runPlan(request(f, failA, [seen]));
    expect(atStart).toEqual(['20260101-000000-abcdef', 'record running']);
    expect(await runningMarkers(runsDir)).toEqual([]);
    const record = (await readRunRecord(runsDir, run.runId))!;
    expect(record.status).toBe('failed');
    expect(record.nodes.map((n) => [n.id, n.outcome, n.error])).toEqual([
      ['a', 'failed', "the node's process exited with code 3"],
      ['b', 'skipped', 'upstream a failed'],
      ['x', 'ran', undefined],
    ]);
    // Counted once: the result, the final event and the summary agree.
    expect(run.counts).toEqual({ hit: 0, ran: 1, failed: 1, cancelled: 0, skipped: 1 });
    const end = seen.events.find((e): e is Extract<RunEvent, { type: 'run-finished' }> => e.type === 'run-finished')!;
    expect(end.counts).toEqual(run.counts);
    expect(summaryLine(run)).toMatch(/^1 ran, 0 cached, 1 failed, 1 skipped in \d+\.\ds \(run 20260101-000000-abcdef\)$/);
    expect(failureLines(run)).toEqual(["failed: a: the node's process exited with code 3"]);
  });

  it('a run with nothing to run writes its record once, at its end: while it runs there is only its marker', async () => {
    const f = await planOf(CHAIN);
    const first = await executePlan(f.plan, { store: f.store, runId: 'first', recipeName: 'r', jobs: 1, signal: new AbortController().signal, executor: new ScriptedExecutor(), events: fanOut(), env: {} });
    expect(first.status).toBe('ok');
    const keys = new Map([...f.plan.nodes].map(([id, n]) => [id, { key: n.key, structure: n.structure }]));
    const cached: Fixture = { ...f, plan: await planRecipe(f.recipe, keys, f.store) };
    const runsDir = join(f.dir, 'runs');
    const { atStart, seen } = watchRunStart(runsDir);
    const run = await runPlan(request(cached, new ScriptedExecutor(), [seen]));
    expect(atStart).toEqual(['20260101-000000-abcdef', 'record undefined']);
    expect(await runningMarkers(runsDir)).toEqual([]);
    const record = (await readRunRecord(runsDir, run.runId))!;
    expect(record.status).toBe('ok');
    expect(record.nodes).toEqual(['a', 'b', 'x'].map((id) => ({ id, stage: id, key: cached.plan.nodes.get(id as never)!.key, outcome: 'hit', durationMs: 0 })));
  });

  it('the tracker hears only nodes that started, each end with its failure message, then the run end, then close', async () => {
    const f = await planOf(CHAIN);
    const { observer, calls } = trackerLog();
    await runPlan(request(f, failA, [trackingSubscriber(observer)]));
    expect(calls).toEqual([
      'runStarted 20260101-000000-abcdef',
      'nodeStarted a', "nodeFinished a failed: the node's process exited with code 3",
      'nodeStarted x', 'nodeMetric x m', 'nodeFinished x ok',
      'runFinished failed hits=0 ran=1 failed=1',
      'close',
    ]);
  });

  it('the display shows each end with the message of its failure kind', async () => {
    const f = await planOf(CHAIN);
    let text = '';
    const out = { write: (c: string) => { text += c; return true; } } as unknown as NodeJS.WritableStream;
    await runPlan(request(f, failA, [displaySubscriber(createDisplay(out, { tty: false }))]));
    expect(text).toMatch(/^3 nodes: 0 cached, 3 to run\n/);
    expect(text).toMatch(/\[failed\] a \(\d+ms\): the node's process exited with code 3\n/);
    expect(text).toMatch(/\[skipped\] b: upstream a failed\n/);
    expect(text).toMatch(/ {2}x \| hello from x\n\[ran\] x/);
  });

  it('when the executor breaks, the record is closed as failed, subscribers are closed, and the error comes out', async () => {
    const f = await planOf(CHAIN);
    const broken: NodeExecutor = { run: async () => { throw new Error('executor broke'); } };
    const { observer, calls } = trackerLog();
    await expect(runPlan(request(f, broken, [trackingSubscriber(observer)]))).rejects.toThrow('executor broke');
    const runsDir = join(f.dir, 'runs');
    expect((await readRunRecord(runsDir, '20260101-000000-abcdef'))?.status).toBe('failed');
    expect(await runningMarkers(runsDir)).toEqual([]);
    expect(calls.slice(-2)).toEqual(['runFinished failed hits=0 ran=0 failed=0', 'close']);
  });
});
