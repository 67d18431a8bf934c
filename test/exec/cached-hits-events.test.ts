// Hits found at plan time reach the subscribers as one `nodes-cached` event, in plan order, rather
// than an event per node (a no-op run of a 10^4-node recipe paid for 10^4 deliveries). A hit whose
// stored log is replayed still comes after its lines: the batch is cut there. The run record, the
// display and the tracker see the same hits as before.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDisplay } from '../../src/exec/display.js';
import type { RunEvent } from '../../src/exec/events.js';
import { displaySubscriber } from '../../src/exec/display-subscriber.js';
import type { JobRequest } from '../../src/exec/executor.js';
import { runPlan } from '../../src/exec/run-plan.js';
import { executePlan, type ReplayMode } from '../../src/exec/scheduler.js';
import { trackingSubscriber } from '../../src/exec/tracking-subscriber.js';
import { planRecipe } from '../../src/graph/plan.js';
import { readRunRecord } from '../../src/store/runs.js';
import type { RunObserver } from '../../src/track/observer.js';
import { collector, fanOut, planOf, ScriptedExecutor, type Fixture } from './plan-fixture.js';

// x writes its output without a log line, so its stored log is empty.
const RECIPE = `
stages:
  a: { plugin: ./plugins/count }
  b: { plugin: ./plugins/count, inputs: { in: "\${stages.a.outputs.out}" } }
  x: { plugin: ./plugins/count, params: { value: 2 } }
`;

const silentX = new ScriptedExecutor({
  x: async (req: JobRequest) => {
    mkdirSync(join(req.job.outDir, 'out'), { recursive: true });
    writeFileSync(join(req.job.outDir, 'out', 'value.json'), '{"total": 2}\n');
    return { ok: true };
  },
});

/** The fixture's nodes run once; then the same recipe planned again: every node a hit. */
async function cachedPlan(): Promise<Fixture> {
  const f = await planOf(RECIPE);
  const first = await executePlan(f.plan, { store: f.store, runId: 'first', recipeName: 'r', jobs: 1, signal: new AbortController().signal, executor: silentX, events: fanOut(), env: {} });
  expect(first.status).toBe('ok');
  const keys = new Map([...f.plan.nodes].map(([id, n]) => [id, { key: n.key, structure: n.structure }]));
  return { ...f, plan: await planRecipe(f.recipe, keys, f.store) };
}

/** Each event as a short line: the hits of a batch, or a replayed log line's node. */
function outline(events: RunEvent[]): string[] {
  return events.map((e) => (e.type === 'nodes-cached' ? `cached ${e.nodes.map((n) => n.node.id).join(',')}`
    : e.type === 'node-log' ? `log ${e.nodeId}${e.cached ? ' (cached)' : ''}: ${e.line}` : e.type));
}

async function replay(f: Fixture, replayLogs: ReplayMode): Promise<string[]> {
  const seen = collector();
  const events = fanOut(seen);
  const run = await executePlan(f.plan, { store: f.store, runId: 'again', recipeName: 'r', jobs: 1, signal: new AbortController().signal, executor: new ScriptedExecutor(), events, env: {}, replayLogs });
  expect([...run.outcomes.values()].map((o) => o.outcome)).toEqual(['hit', 'hit', 'hit']);
  expect(events.errors).toEqual([]);
  return outline(seen.events);
}

describe('hits found at plan time', () => {
  it('come as one event in plan order when no log is replayed', async () => {
    const f = await cachedPlan();
    expect(f.plan.order).toEqual(['a', 'b', 'x']);
    expect(await replay(f, 'none')).toEqual(['cached a,b,x']);
  });

  it('come after their replayed log lines: a batch ends where the next node has lines to replay', async () => {
    const f = await cachedPlan();
    expect(await replay(f, 'tail')).toEqual([
      'log a (cached): hello from a', 'cached a',
      'log b (cached): hello from b', 'cached b,x',
    ]);
  });

  it('reach the run record, the display and the tracker as one hit each', async () => {
    const f = await cachedPlan();
    const runsDir = join(f.dir, 'runs');
    const calls: string[] = [];
    const observer: RunObserver = {
      runStarted: async () => {}, nodeStarted: async () => {}, nodeMetric: () => {}, nodeFinished: async () => {},
      nodeCached: async (node, producedBy, metrics) => { calls.push(`${node.id} ${producedBy ? 'tracked' : 'untracked'} ${metrics.map((m) => `${m.name}=${m.value}`).join(',')}`); },
      runFinished: async (s) => { calls.push(`hits=${s.hits}`); }, close: async () => {},
    };
    let text = '';
    const out = { write: (c: string) => { text += c; return true; } } as unknown as NodeJS.WritableStream;
    const run = await runPlan({
      runId: '20260101-000000-abcdef', recipe: f.recipe, plan: f.plan, store: f.store, runsDir, argv: ['run', 'r.yaml'], overrides: [],
      cwd: f.dir, env: {}, track: { enabled: false, experiment: 'r' }, jobs: 1, replayLogs: 'none', signal: new AbortController().signal,
      executor: new ScriptedExecutor(), subscribers: [displaySubscriber(createDisplay(out, { tty: false })), trackingSubscriber(observer)],
    });
    expect(run.counts).toEqual({ hit: 3, ran: 0, failed: 0, cancelled: 0, skipped: 0 });
    expect((await readRunRecord(runsDir, run.runId))?.nodes.map((n) => [n.id, n.outcome, n.durationMs])).toEqual([['a', 'hit', 0], ['b', 'hit', 0], ['x', 'hit', 0]]);
    expect(text).toBe('3 nodes: 3 cached, 0 to run\n[hit] a\n[hit] b\n[hit] x\n');
    // The scripted executor's metric `m` of a and b is stored with their entries; x logged none.
    expect(calls).toEqual(['a untracked m=1', 'b untracked m=1', 'x untracked ', 'hits=3']);
  });
});
