// The spool: a server that dies mid-run or is down from the start loses nothing, and `sync` delivers
// every record exactly once (a second sync sends nothing).

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer, type StoredRun } from '../contract/mlflow-contract-server.js';
import { createTracker, pendingSpool, syncSpool } from '../../src/track/index.js';
import type { NodeInfo, RunObserver } from '../../src/track/observer.js';
import { FAST_RETRY, collectWarnings, nodeInfo, runInfo, serverCachedList } from './helpers.js';

let server: MlflowContractServer;
let runsDir: string;
const TOKEN = 'spool-token-secret';
const env = { MLFLOW_TRACKING_TOKEN: TOKEN };

beforeEach(async () => {
  server = await startMlflowContractServer();
  server.requireAuth({ bearer: TOKEN });
  runsDir = await mkdtemp(join(tmpdir(), 'retort-spool-'));
});
afterEach(async () => {
  await server.stop();
  await rm(runsDir, { recursive: true, force: true });
});

function tracker(warn: (m: string) => void = () => {}): RunObserver {
  return createTracker({ enabled: true, uri: server.url, experiment: 'x' }, { runsDir, env, warn, retry: FAST_RETRY, flushIntervalMs: 0 });
}

const sync = () => syncSpool({ runsDir, env, retry: FAST_RETRY });

async function runNode(t: RunObserver, node: NodeInfo, points: number, metric = 'loss'): Promise<Record<string, string>> {
  const ref = (await t.nodeStarted(node)) as Record<string, string>;
  for (let step = 0; step < points; step++) t.nodeMetric(node, { name: metric, value: step === 1 ? NaN : step / 10, step, timestamp: 1000 + step });
  await t.nodeFinished(node, { status: 'ok', metrics: [], startedAt: 1000, endedAt: 2000 });
  return ref;
}

function keyCounts(run: StoredRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of run.metrics) counts[m.key] = (counts[m.key] ?? 0) + 1;
  return counts;
}

describe('MLflow spool', () => {
  it('spools when the server dies mid-run and syncs every record exactly once', async () => {
    const { warn, messages } = collectWarnings();
    const t = tracker(warn);
    await t.runStarted(runInfo({}, { experiment: 'spool-mid' }));
    const refA = await runNode(t, nodeInfo('a', { lr: 0.1 }), 3);
    await server.stop();

    const b = nodeInfo('b', { lr: 0.2, opt: { beta: 0.9 } });
    const refB = await runNode(t, b, 5);
    await t.nodeCached(nodeInfo('c'), refA, [{ name: 'acc', value: 0.9, step: 0, timestamp: 5 }]);
    await t.runFinished({ status: 'ok', hits: 1, ran: 2, failed: 0, endedAt: 3000 });
    await t.close();

    expect(refA.mlflowRunId).toMatch(/^[0-9a-f]{32}$/);
    expect(refB.mlflowRunId).toBeUndefined();
    expect(refB.mlflowSpoolId).toMatch(/^[0-9a-f]{32}$/);
    expect(messages.filter((m) => m.includes('spool'))).toHaveLength(1);
    const pending = await pendingSpool(runsDir);
    expect(pending).toBeGreaterThan(0);
    const journals = (await readdir(join(runsDir, 'mlflow-spool'))).filter((n) => n.endsWith('.jsonl'));
    expect(journals).toHaveLength(1);
    const journalText = await readFile(join(runsDir, 'mlflow-spool', journals[0]!), 'utf8');
    expect(journalText).not.toContain(TOKEN);
    expect(journalText.trim().split('\n').every((l) => JSON.parse(l))).toBe(true);

    // The server is down: sync keeps everything pending.
    const failed = await sync();
    expect(failed.pending).toBe(pending);
    expect(failed.errors[0]).toMatch(/NETWORK_ERROR/);

    await server.start();
    const result = await sync();
    expect(result).toMatchObject({ delivered: pending, pending: 0, dropped: 0, errors: [] });
    expect(await pendingSpool(runsDir)).toBe(0);

    const runs = server.runsOf('spool-mid');
    expect(runs).toHaveLength(3);
    const parent = runs.find((r) => !r.tags.has('mlflow.parentRunId'))!;
    const runA = server.runs.get(refA.mlflowRunId!)!;
    const runB = server.runNamed('b')!;
    expect(runB.tags.get('mlflow.parentRunId')).toBe(parent.runId);
    expect(runB.tags.get('retort.clientRunId')).toBe(refB.mlflowSpoolId);
    expect(Object.fromEntries(runB.params)).toEqual({ lr: '0.2', 'opt.beta': '0.9' });
    expect(keyCounts(runA)).toEqual({ loss: 3 });
    expect(keyCounts(runB)).toEqual({ loss: 5 });
    expect(Number.isNaN(runB.metrics.find((m) => m.step === 1)!.value)).toBe(true);
    expect(runB.status).toBe('FINISHED');
    expect(parent.status).toBe('FINISHED');
    expect(parent.endTime).toBe(3000);
    expect(keyCounts(parent)).toEqual({ 'a/loss': 1, 'b/loss': 1, 'c/acc': 1 });
    expect(parent.tags.get('retort.cached')).toBe('1');
    expect(serverCachedList(server, parent).get('c')?.[1]).toBe(refA.mlflowRunId);

    // A second sync sends nothing.
    const mark = server.requests.length;
    const again = await sync();
    expect(again).toMatchObject({ delivered: 0, pending: 0, requests: 0 });
    expect(server.requests.length).toBe(mark);

    // A later run that hits B's cache entry resolves the spooled ref to the synced server run.
    const later = tracker();
    await later.runStarted(runInfo({ runId: 'later' }, { experiment: 'spool-mid' }));
    await later.nodeCached(b, refB, []);
    await later.close();
    const laterParent = server.runsOf('spool-mid').find((r) => r.tags.get('retort.runId') === 'later')!;
    expect(serverCachedList(server, laterParent).get('b')?.[1]).toBe(runB.runId);
  });

  it('works when the server is down from the first contact', async () => {
    await server.stop();
    const t = tracker();
    await t.runStarted(runInfo({}, { experiment: 'spool-cold' }));
    await runNode(t, nodeInfo('train', { long: 'z'.repeat(600) }), 4);
    await runNode(t, nodeInfo('eval[rte]'), 2, 'acc');
    await t.runFinished({ status: 'ok', hits: 0, ran: 2, failed: 0, endedAt: 3000 });
    await t.close();
    expect(server.requests).toHaveLength(0);
    expect(await pendingSpool(runsDir)).toBeGreaterThan(0);

    await server.start();
    const result = await sync();
    expect(result.pending).toBe(0);
    const runs = server.runsOf('spool-cold');
    expect(runs).toHaveLength(3);
    const parent = runs.find((r) => !r.tags.has('mlflow.parentRunId'))!;
    const train = server.runNamed('train')!;
    expect(train.tags.get('mlflow.parentRunId')).toBe(parent.runId);
    expect(keyCounts(train)).toEqual({ loss: 4 });
    expect(keyCounts(server.runNamed('eval[rte]')!)).toEqual({ acc: 2 });
    expect(train.params.get('long')).toBe('z'.repeat(500));
    expect(server.artifacts.get(`${train.experimentId}/${train.runId}/artifacts/retort/params/long.txt`)?.toString()).toBe('z'.repeat(600));
    expect(keyCounts(parent)).toEqual({ 'train/loss': 1, 'eval.rte/acc': 1 });
    // Delivered journals and their blobs are archived.
    expect(await readdir(join(runsDir, 'mlflow-spool', 'blobs'))).toEqual([]);
    expect((await readdir(join(runsDir, 'mlflow-spool', 'done'))).length).toBe(2);
  });

  it('never duplicates points of a batch the server applied but did not acknowledge', async () => {
    const t = tracker();
    await t.runStarted(runInfo({}, { experiment: 'spool-partial' }));
    const n = nodeInfo('n');
    await t.nodeStarted(n);
    for (let step = 0; step < 4; step++) t.nodeMetric(n, { name: 'm', value: step, step, timestamp: 10 + step });
    // Every attempt of the metric batch is applied, then answered 503: retries exhaust, the rest spools.
    server.failNext(FAST_RETRY.maxAttempts, { status: 503, applyFirst: true, path: '/runs/log-batch' });
    await t.nodeFinished(n, { status: 'ok', metrics: [], startedAt: 0, endedAt: 50 });
    await t.runFinished({ status: 'ok', hits: 0, ran: 1, failed: 0, endedAt: 60 });
    await t.close();
    expect(await pendingSpool(runsDir)).toBeGreaterThan(0);
    expect(await sync()).toMatchObject({ pending: 0, dropped: 0 });
    const run = server.runNamed('n')!;
    expect(run.metrics.map((m) => m.step)).toEqual([0, 1, 2, 3]);
    expect(run.status).toBe('FINISHED');
  });

  it('resumes an interrupted sync without duplicating runs or points', async () => {
    await server.stop();
    const t = tracker();
    await t.runStarted(runInfo({}, { experiment: 'spool-resume' }));
    await runNode(t, nodeInfo('one'), 3);
    await runNode(t, nodeInfo('two'), 3);
    await t.runFinished({ status: 'ok', hits: 0, ran: 2, failed: 0, endedAt: 9 });
    await t.close();
    await server.start();
    // The creation of a run is applied but never acknowledged, and then metric batches fail for good.
    server.failNext(1, { status: 503, applyFirst: true, path: '/runs/create' });
    server.failNext(FAST_RETRY.maxAttempts, { status: 503, applyFirst: true, path: '/runs/log-batch' });
    const first = await sync();
    expect(first.pending).toBeGreaterThan(0);
    expect(first.errors).toHaveLength(1);
    const second = await sync();
    expect(second).toMatchObject({ pending: 0, dropped: 0 });
    const runs = server.runsOf('spool-resume');
    expect(runs.map((r) => r.runName).sort()).toEqual(['demo-20250102-030405', 'one', 'two']);
    expect(keyCounts(server.runNamed('one')!)).toEqual({ loss: 3 });
    expect(keyCounts(server.runNamed('two')!)).toEqual({ loss: 3 });
  });

  it('lets one sync run at a time and clears a lock left by a dead sync', async () => {
    await server.stop();
    const t = tracker();
    await t.runStarted(runInfo({}, { experiment: 'spool-lock' }));
    await t.close();
    await server.start();
    const lock = join(runsDir, 'mlflow-spool', '.sync.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
    const blocked = await sync();
    expect(blocked.errors[0]).toMatch(/another sync is running/);
    expect(blocked.pending).toBeGreaterThan(0);
    expect(server.apiRequests()).toHaveLength(0);
    await writeFile(lock, '');
    expect((await sync()).errors[0]).toMatch(/another sync is starting/);
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() })); // beyond Linux's pid_max: dead
    expect(await sync()).toMatchObject({ pending: 0, errors: [] });
    expect(server.runsOf('spool-lock')).toHaveLength(1);
  });

  it('reports no pending records without a spool', async () => {
    expect(await pendingSpool(join(runsDir, 'nothing-here'))).toBe(0);
    expect(await syncSpool({ runsDir, env })).toMatchObject({ journals: 0, pending: 0, requests: 0 });
  });
});
