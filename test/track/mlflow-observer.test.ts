// The observer against a tracking server (contract server): run structure, tags, params, metrics,
// cache hits, artifacts, and credentials kept out of everything.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer } from '../contract/mlflow-contract-server.js';
import { createTracker } from '../../src/track/index.js';
import type { RunObserver } from '../../src/track/observer.js';
import { FAST_RETRY, collectWarnings, nodeInfo, runInfo, serverCachedList } from './helpers.js';

let server: MlflowContractServer;
let runsDir: string;

beforeAll(async () => {
  server = await startMlflowContractServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'retort-obs-'));
  return () => rm(runsDir, { recursive: true, force: true });
});

function tracker(env: NodeJS.ProcessEnv, warn: (m: string) => void, uri = server.url): RunObserver {
  return createTracker({ enabled: true, uri, experiment: 'ignored' }, { runsDir, env, warn, retry: FAST_RETRY, flushIntervalMs: 0 });
}

describe('MLflow observer over REST', () => {
  it('creates a parent run and a nested child run per executed node', async () => {
    const { warn, messages } = collectWarnings();
    const t = tracker({}, warn);
    await t.runStarted(runInfo({ recipeName: 'llm-r' }, { experiment: 'obs-structure', tags: { owner: 'ir-team' } }));
    const train = nodeInfo('train#2', { lr: 0.001, model: { dim: 64, layers: 2 }, tasks: ['a', 'b'] });
    const ref = await t.nodeStarted(train);
    for (let step = 0; step < 3; step++) t.nodeMetric(train, { name: 'loss', value: 1 / (step + 1), step, timestamp: 1000 + step });
    t.nodeMetric(train, { name: 'weird', value: NaN, step: 0, timestamp: 1000 });
    await t.nodeFinished(train, { status: 'ok', metrics: [], startedAt: 1000, endedAt: 2000, artifactDir: '/store/ab/cd' });
    const failing = nodeInfo('eval[rte]');
    await t.nodeStarted(failing);
    await t.nodeFinished(failing, { status: 'failed', metrics: [], startedAt: 2000, endedAt: 3000, error: 'boom at line 3' });
    await t.runFinished({ status: 'failed', hits: 0, ran: 2, failed: 1, endedAt: 4000 });
    await t.close();
    expect(messages).toEqual([]);

    const runs = server.runsOf('obs-structure');
    expect(runs).toHaveLength(3);
    const parent = runs.find((r) => !r.tags.has('mlflow.parentRunId'))!;
    const child = server.runNamed('train#2')!;
    expect(ref).toEqual({ mlflowRunId: child.runId, experimentId: child.experimentId, trackingUri: server.url });
    expect(parent.runName).toBe('llm-r-20250102-030405');
    expect(parent.status).toBe('FAILED');
    expect(parent.endTime).toBe(4000);
    expect(Object.fromEntries(parent.tags)).toMatchObject({
      owner: 'ir-team', 'retort.recipe': 'llm-r', 'retort.runId': 'r-20250101-000000', 'mlflow.source.type': 'LOCAL',
      'mlflow.source.name': 'recipes/demo.yaml', 'retort.ran': '2', 'retort.failed': '1', 'mlflow.runName': 'llm-r-20250102-030405',
    });
    expect(parent.tags.get('mlflow.user')).toBeTruthy();

    expect(child.tags.get('mlflow.parentRunId')).toBe(parent.runId);
    expect(Object.fromEntries(child.tags)).toMatchObject({
      'retort.key': 'key-train#2', 'retort.stage': 'train', 'retort.plugin': 'train-plugin@1.0.0', 'retort.node': 'train#2',
      'retort.recipe': 'llm-r', 'mlflow.runName': 'train#2', 'mlflow.source.type': 'LOCAL', 'retort.artifactDir': '/store/ab/cd',
    });
    expect(Object.fromEntries(child.params)).toEqual({ lr: '0.001', 'model.dim': '64', 'model.layers': '2', tasks: '["a","b"]' });
    expect(child.metrics.filter((m) => m.key === 'loss').map((m) => [m.step, m.value])).toEqual([[0, 1], [1, 0.5], [2, 1 / 3]]);
    expect(child.metrics.find((m) => m.key === 'weird')!.value).toBeNaN();
    expect(child.status).toBe('FINISHED');
    expect(child.endTime).toBe(2000);
    // The parent shows every result: the node's final metrics under <node>/<metric>.
    expect(parent.metrics.find((m) => m.key === 'train.2/loss')).toMatchObject({ value: 1 / 3, step: 2 });

    const failed = server.runNamed('eval[rte]')!;
    expect(failed.status).toBe('FAILED');
    expect(failed.tags.get('retort.error')).toBe('boom at line 3');
  });

  it('links a cache hit to the run that produced it instead of creating a run', async () => {
    const t = tracker({}, () => {});
    await t.runStarted(runInfo({}, { experiment: 'obs-cache' }));
    const first = nodeInfo('eval[copa]');
    const ref = (await t.nodeStarted(first)) as Record<string, string>;
    await t.nodeFinished(first, { status: 'ok', metrics: [{ name: 'acc', value: 0.7, step: 0, timestamp: 5 }], startedAt: 1, endedAt: 6 });
    await t.runFinished({ status: 'ok', hits: 0, ran: 1, failed: 0, endedAt: 7 });
    await t.close();

    const again = tracker({}, () => {});
    await again.runStarted(runInfo({ runId: 'second' }, { experiment: 'obs-cache' }));
    await again.nodeCached(first, ref, [{ name: 'acc', value: 0.6, step: 0, timestamp: 1 }, { name: 'acc', value: 0.7, step: 1, timestamp: 5 }]);
    await again.runFinished({ status: 'ok', hits: 1, ran: 0, failed: 0, endedAt: 9 });
    await again.close();

    const runs = server.runsOf('obs-cache');
    expect(runs).toHaveLength(3); // parent 1, child, parent 2: no run for the hit
    const parent2 = runs.find((r) => r.tags.get('retort.runId') === 'second')!;
    expect(parent2.tags.get('retort.cached')).toBe('1');
    expect(serverCachedList(server, parent2)).toEqual(new Map([['eval[copa]', ['key-eval[copa]', ref.mlflowRunId]]]));
    expect(parent2.metrics.filter((m) => m.key === 'eval.copa/acc').map((m) => m.value)).toEqual([0.7]);
  });

  it('does not log metrics twice when NodeResult repeats the streamed points', async () => {
    const t = tracker({}, () => {});
    await t.runStarted(runInfo({}, { experiment: 'obs-dedupe' }));
    const n = nodeInfo('lm');
    await t.nodeStarted(n);
    const points = [0, 1].map((step) => ({ name: 'ppl', value: 10 - step, step, timestamp: 100 + step }));
    for (const p of points) t.nodeMetric(n, p);
    await t.nodeFinished(n, { status: 'ok', metrics: [...points, { name: 'final', value: 1, step: 0, timestamp: 200 }], startedAt: 0, endedAt: 1 });
    await t.close();
    const child = server.runNamed('lm')!;
    expect(child.metrics.map((m) => m.key).sort()).toEqual(['final', 'ppl', 'ppl']);
  });

  it('sends a node\'s metrics in batches while it runs (full buffer, or the flush interval)', async () => {
    const t = tracker({}, () => {});
    await t.runStarted(runInfo({}, { experiment: 'obs-buffer' }));
    const n = nodeInfo('big');
    await t.nodeStarted(n);
    const mark = server.requests.length;
    for (let step = 0; step < 2500; step++) t.nodeMetric(n, { name: 'loss', value: step, step, timestamp: step });
    await t.nodeFinished(n, { status: 'ok', metrics: [], startedAt: 0, endedAt: 1 });
    await t.close();
    const sizes = server.requests.slice(mark)
      .filter((r) => r.path.endsWith('/runs/log-batch') && (r.json as { run_id: string }).run_id === server.runNamed('big')!.runId)
      .map((r) => (r.json as { metrics?: unknown[] }).metrics?.length ?? 0)
      .filter((x) => x > 0);
    expect(sizes).toEqual([1000, 1000, 500]);

    const timed = createTracker({ enabled: true, uri: server.url, experiment: 'x' }, { runsDir, env: {}, warn: () => {}, retry: FAST_RETRY, flushIntervalMs: 20 });
    await timed.runStarted(runInfo({}, { experiment: 'obs-timer' }));
    const slow = nodeInfo('slow');
    await timed.nodeStarted(slow);
    timed.nodeMetric(slow, { name: 'live', value: 1, step: 0, timestamp: 1 });
    // The timer, not close(), sends it: wait for it with the run still open.
    await vi.waitFor(() => expect(server.runNamed('slow')?.metrics).toHaveLength(1), { timeout: 15_000, interval: 20 });
    await timed.close();
  });

  it('uploads a long param value as an artifact and logs 500 characters', async () => {
    const { warn, messages } = collectWarnings();
    const t = tracker({}, warn);
    await t.runStarted(runInfo({}, { experiment: 'obs-long' }));
    const long = 'x'.repeat(700);
    const ref = (await t.nodeStarted(nodeInfo('tasks', { template: long }))) as Record<string, string>;
    await t.close();
    const run = server.runs.get(ref.mlflowRunId!)!;
    expect(run.params.get('template')).toBe('x'.repeat(500));
    expect(server.artifacts.get(`${run.experimentId}/${run.runId}/artifacts/retort/params/template.txt`)?.toString()).toBe(long);
    expect(messages.some((m) => m.includes('template'))).toBe(true);
  });

  it('sanitises metric names and warns once', async () => {
    const { warn, messages } = collectWarnings();
    const t = tracker({}, warn);
    await t.runStarted(runInfo({}, { experiment: 'obs-keys' }));
    const n = nodeInfo('m');
    await t.nodeStarted(n);
    t.nodeMetric(n, { name: 'acc@1', value: 1, step: 0, timestamp: 1 });
    t.nodeMetric(n, { name: 'acc@1', value: 2, step: 1, timestamp: 2 });
    await t.nodeFinished(n, { status: 'ok', metrics: [], startedAt: 0, endedAt: 1 });
    await t.close();
    expect(server.runNamed('m')!.metrics.map((m) => m.key)).toEqual(['acc_1', 'acc_1']);
    expect(messages.filter((m) => m.includes('acc@1'))).toHaveLength(1);
  });

  it('authenticates and keeps credentials out of tags, params, warnings and refs', async () => {
    const password = 'pa55-w0rd-xyz';
    const token = 'tkn-should-not-leak';
    server.requireAuth({ basic: { username: 'carol', password } });
    const { warn, messages } = collectWarnings();
    const env = { MLFLOW_TRACKING_USERNAME: 'carol', MLFLOW_TRACKING_PASSWORD: password, MLFLOW_TRACKING_TOKEN: token };
    const t = tracker(env, warn, server.url.replace('http://', `http://carol:${password}@`));
    try {
      await t.runStarted(runInfo({ argv: ['run', '--token', token] }, { experiment: 'obs-secrets' }));
      const n = nodeInfo('leaky');
      const ref = await t.nodeStarted(n);
      await t.nodeFinished(n, { status: 'failed', metrics: [], startedAt: 0, endedAt: 1, error: `request to http://carol:${password}@host failed with ${token}` });
      await t.close();
      const dump = JSON.stringify({
        ref,
        messages,
        runs: server.runsOf('obs-secrets').map((r) => ({ tags: [...r.tags], params: [...r.params], user: r.userId })),
      });
      expect(dump).not.toContain(password);
      expect(dump).not.toContain(token);
      expect(server.runNamed('leaky')!.tags.get('retort.error')).toContain('http://***@host');
    } finally {
      server.requireAuth(null);
    }
  });

  it('reports a rejected request as a warning and keeps going', async () => {
    const { warn, messages } = collectWarnings();
    const t = tracker({}, warn);
    await t.runStarted(runInfo({}, { experiment: 'obs-reject' }));
    const n = nodeInfo('n');
    await t.nodeStarted(n);
    server.failNext(1, { status: 501 });
    t.nodeMetric(n, { name: 'a', value: 1, step: 0, timestamp: 1 });
    await t.nodeFinished(n, { status: 'ok', metrics: [], startedAt: 0, endedAt: 1 });
    await t.close();
    expect(messages.some((m) => /NOT_IMPLEMENTED|INTERNAL_ERROR/.test(m))).toBe(true);
    expect(server.runNamed('n')!.status).toBe('FINISHED');
  });
});
