// Cache hits reach the backend as one batch per run, whatever their number, with every tag and metric.
import { expect, it } from 'vitest';
import type { CreateRunRequest, RunBatch, RunHandle, TrackingBackend } from '../../src/track/backend.js';
import { MlflowObserver } from '../../src/track/mlflow-observer.js';
import { nodeInfo, runInfo } from './helpers.js';

function recordingBackend(): { backend: TrackingBackend; batches: { runId: string; batch: RunBatch }[] } {
  const batches: { runId: string; batch: RunBatch }[] = [];
  let next = 0;
  const backend: TrackingBackend = {
    trackingUri: 'file:///mlruns',
    createRun: async (_req: CreateRunRequest) => ({ runId: `run${next++}`, experimentId: '1' }),
    logBatch: async (run: RunHandle, batch: RunBatch) => { batches.push({ runId: run.runId ?? '', batch }); },
    updateRun: async () => {},
    logArtifact: async () => {},
    resolveSpooled: async () => undefined,
    close: async () => {},
  };
  return { backend, batches };
}

it('sends 2,500 cached nodes as one batch of tags and metrics on the parent run', async () => {
  const { backend, batches } = recordingBackend();
  const observer = new MlflowObserver({ backend: async () => backend, warn: () => {}, env: {}, flushIntervalMs: 0 });
  await observer.runStarted(runInfo());
  const before = batches.length;
  for (let i = 0; i < 2500; i++) {
    await observer.nodeCached(nodeInfo(`gen[${i}]`), { mlflowRunId: `producer${i}`, experimentId: '1', trackingUri: 'file:///mlruns' },
      [{ name: 'v', value: i, step: 0, timestamp: 1 }]);
  }
  await observer.runFinished({ status: 'ok', hits: 2500, ran: 0, failed: 0, endedAt: 2 });
  await observer.close();
  const cachedBatches = batches.slice(before).filter((b) => b.batch.tags?.some((t) => t.key.startsWith('retort.cached/')));
  expect(cachedBatches.map((b) => b.batch.tags?.length)).toEqual([2500]);
  const [{ runId, batch }] = cachedBatches;
  expect(runId).toBe('run0');
  expect(batch.tags).toHaveLength(2500);
  expect(batch.tags?.[1234]).toEqual({ key: 'retort.cached/gen.1234', value: 'producer1234' });
  expect(batch.metrics).toHaveLength(2500);
  expect(batch.metrics?.[1234]).toMatchObject({ key: 'gen.1234/v', value: 1234 });
});
