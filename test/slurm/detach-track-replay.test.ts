// The events a settled detached run is replayed as, job by job: what started gets a start (dated
// by its job), every metric point its log printed and an end; what never started gets nothing; a
// job that found its node published is a hit for every node of its key.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/exec/events.js';
import { replayDetachedRun, type SettledJob } from '../../src/exec/slurm/detached-replay.js';
import type { DetachedTracking } from '../../src/exec/slurm/detached-tracking.js';
import { eventLine } from '../../src/exec/slurm/run-node-job.js';
import type { NodeOutcome, RunRecord } from '../../src/store/runs.js';
import { nodeInfo } from '../track/helpers.js';
import { nodeId, type Key, type NodeId } from '../../src/util/ids.js';

const dir = mkdtempSync(join(tmpdir(), 'retort-replay-'));
const log = (name: string, lines: string[]) => { const path = join(dir, name); writeFileSync(path, lines.join('')); return path; };
const started = eventLine({ type: 'started' });
const metric = (name: string, value: number, step: number) => eventLine({ type: 'metric', name, value, step, timestamp: 1000 + step });

const record: RunRecord = {
  runId: 'r1', recipe: '/p/r.yaml', recipeName: 'r', argv: ['run', 'r.yaml'], overrides: ['vars.x=1'], startedAt: 1000, status: 'detached',
  slurm: { dir, store: join(dir, 'store') },
  nodes: [
    { id: nodeId('a'), stage: 'a', key: 'ka' as Key, outcome: 'hit' },
    { id: nodeId('b'), stage: 'b', key: 'kb' as Key, outcome: 'skipped', job: '11' },
    { id: nodeId('c'), stage: 'c', key: 'kc' as Key, outcome: 'skipped', job: '12' },
    { id: nodeId('d'), stage: 'd', key: 'kd' as Key, outcome: 'skipped', job: '13' },
    { id: nodeId('e[1]'), stage: 'e', key: 'ke' as Key, outcome: 'skipped', job: '14' },
    { id: nodeId('e[2]'), stage: 'e', key: 'ke' as Key, outcome: 'skipped', job: '14' },
  ],
};

const snapshot: DetachedTracking = {
  v: 1, track: { enabled: true, experiment: 'r' }, cwd: '/p', vars: { x: 1 },
  nodes: ['a', 'b', 'c', 'd', 'e[1]', 'e[2]'].map((id) => nodeInfo(id)),
  cached: { [nodeId('a')]: { producedBy: { mlflowRunId: 'run-a', experimentId: '1', trackingUri: 'file:///m' }, metrics: [{ name: 'total', value: 1, step: 0, timestamp: 5 }] } },
};

const jobs = new Map<string, SettledJob>([
  // Ran: its result's times, its log's metric points.
  ['11', { log: log('b.log', [started, metric('curve', 0.5, 1), metric('curve', 1, 2)]), state: { phase: 'ended', verdict: 'COMPLETED' },
    result: { v: 1, key: 'kb' as Key, nodeId: nodeId('b'), outcome: 'ran', metrics: [{ name: 'curve', value: 1, step: 2, timestamp: 1002 }], startedAt: 2000, endedAt: 3000 } }],
  // Started, then Slurm killed it at its memory limit: no result, Slurm's times and words.
  ['12', { log: log('c.log', [started, metric('loss', 3, 1)]), state: { phase: 'ended', verdict: 'OUT_OF_MEMORY', startedAt: 3100, endedAt: 3900 },
    detail: 'Slurm job 12 ended OUT_OF_MEMORY; see c.log' }],
  // Never started: its upstream job failed.
  ['13', { log: join(dir, 'd.log'), state: { phase: 'ended', verdict: 'CANCELLED', reason: 'DependencyNeverSatisfied' } }],
  // Found published by another run when it got its turn.
  ['14', { log: log('e.log', []), state: { phase: 'ended', verdict: 'COMPLETED' },
    result: { v: 1, key: 'ke' as Key, nodeId: nodeId('e[1]'), outcome: 'hit', metrics: [{ name: 'total', value: 4, step: 0, timestamp: 9 }], startedAt: 3000, endedAt: 3001 } }],
]);

const outcomes = new Map<NodeId, NodeOutcome>([['a', 'hit'], ['b', 'ran'], ['c', 'failed'], ['d', 'skipped'], ['e[1]', 'hit'], ['e[2]', 'hit']].map(([id, o]) => [nodeId(id!), o as NodeOutcome]));

describe('replaying a settled detached run', () => {
  it('sends the events an attached run of the same outcome sends, each dated by its job', async () => {
    const events: { event: RunEvent; at: number }[] = [];
    let clock = 0;
    let closed = false;
    await replayDetachedRun({
      record, outcomes, jobs, snapshot, status: 'failed', endedAt: 4000, entryDir: (key) => `/store/${key}`,
      tracking: { name: 'tracking', handle: (event) => { events.push({ event, at: clock }); }, close: async () => { closed = true; } },
      setClock: (ms) => { clock = ms; },
    });
    const seen = events.map(({ event: e, at }) => {
      switch (e.type) {
        case 'run-started': return [e.type, at, e.run.runId, e.run.cwd, e.run.overrides, e.run.vars];
        case 'node-cached': return [e.type, e.node.id, e.producedBy?.mlflowRunId, e.metrics.map((p) => p.value)];
        case 'node-started': return [e.type, at, e.node.id];
        case 'node-metric': return [e.type, e.node.id, e.point.name, e.point.step];
        case 'node-finished': return [e.type, at, e.node.id, e.result.outcome, e.result.startedAt, e.result.endedAt,
          e.result.outcome === 'ran' ? e.result.artifactDir : e.result.failure];
        case 'run-finished': return [e.type, at, e.status, e.counts];
        default: return [e.type];
      }
    });
    expect(seen).toEqual([
      ['run-started', 1000, 'r1', '/p', ['vars.x=1'], { x: 1 }],
      ['node-cached', 'a', 'run-a', [1]],
      ['node-started', 2000, 'b'],
      ['node-metric', 'b', 'curve', 1],
      ['node-metric', 'b', 'curve', 2],
      ['node-finished', 3000, 'b', 'ran', 2000, 3000, '/store/key-b'],
      ['node-started', 3100, 'c'],
      ['node-metric', 'c', 'loss', 1],
      ['node-finished', 3900, 'c', 'failed', 3100, 3900, { kind: 'plugin-error', message: 'Slurm job 12 ended OUT_OF_MEMORY; see c.log' }],
      ['node-cached', 'e[1]', undefined, [4]],
      ['node-cached', 'e[2]', undefined, [4]],
      ['run-finished', 4000, 'failed', { hit: 3, ran: 1, failed: 1, cancelled: 0, skipped: 1 }],
    ]);
    expect(closed).toBe(true);
  });
});
