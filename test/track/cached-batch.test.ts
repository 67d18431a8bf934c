// Cache hits reach the backend as one batch of metrics, one tag and one artifact per run, whatever their number.
import { expect, it, vi } from 'vitest';
import { cachedRow, cachedTable } from '../../src/track/cached-records.js';
import type { ArtifactSource, CreateRunRequest, RunBatch, RunHandle, TrackingBackend } from '../../src/track/backend.js';
import { MlflowObserver } from '../../src/track/mlflow-observer.js';
import { nodeInfo, runInfo } from './helpers.js';

interface Recorded { batches: { runId: string; batch: RunBatch }[]; artifacts: { runId: string; path: string; content: string }[] }

function recordingBackend(): { backend: TrackingBackend } & Recorded {
  const batches: Recorded['batches'] = [];
  const artifacts: Recorded['artifacts'] = [];
  let next = 0;
  const backend: TrackingBackend = {
    trackingUri: 'file:///mlruns',
    createRun: async (_req: CreateRunRequest) => ({ runId: `run${next++}`, experimentId: '1' }),
    logBatch: async (run: RunHandle, batch: RunBatch) => { batches.push({ runId: run.runId ?? '', batch }); },
    updateRun: async () => {},
    logArtifact: async (run: RunHandle, path: string, source: ArtifactSource) => {
      artifacts.push({ runId: run.runId ?? '', path, content: 'content' in source ? String(source.content) : `file ${source.file}` });
    },
    resolveSpooled: async () => undefined,
    close: async () => {},
  };
  return { backend, batches, artifacts };
}

it('sends 2,500 cached nodes as one batch of metrics, one count tag and one list artifact on the parent run', async () => {
  const { backend, batches, artifacts } = recordingBackend();
  const observer = new MlflowObserver({ backend: async () => backend, warn: () => {}, env: {}, flushIntervalMs: 0 });
  await observer.runStarted(runInfo());
  const before = batches.length;
  for (let i = 0; i < 2500; i++) {
    const producedBy = i === 7 ? undefined : { mlflowRunId: `producer${i}`, experimentId: '1', trackingUri: 'file:///mlruns' };
    await observer.nodeCached(nodeInfo(`gen[${i}]`), producedBy, [{ name: 'v', value: i, step: 0, timestamp: 1 }]);
  }
  await observer.runFinished({ status: 'ok', hits: 2500, ran: 0, failed: 0, endedAt: 2 });
  await observer.close();
  const after = batches.slice(before);
  const metricBatches = after.filter((b) => b.batch.metrics?.length);
  expect(metricBatches.map((b) => [b.runId, b.batch.metrics?.length])).toEqual([['run0', 2500]]);
  expect(metricBatches[0]!.batch.metrics?.[1234]).toMatchObject({ key: 'gen.1234/v', value: 1234 });
  const tags = after.flatMap((b) => b.batch.tags ?? []);
  expect(tags.filter((t) => t.key.startsWith('retort.cached'))).toEqual([{ key: 'retort.cached', value: '2500' }]);
  expect(artifacts.map((a) => [a.runId, a.path])).toEqual([['run0', 'retort/cached.tsv']]);
  const lines = artifacts[0]!.content.split('\n');
  expect(lines).toHaveLength(2502); // header, 2,500 nodes, the final newline
  expect(lines[0]).toBe('node\tkey\tproduced_by');
  expect(lines[1235]).toBe('gen[1234]\tkey-gen[1234]\tproducer1234');
  expect(lines[8]).toBe('gen[7]\tkey-gen[7]\t');
  expect(lines[2501]).toBe('');
});

it('writes the list once, at the end, even when the metrics of very many cached nodes are sent early', async () => {
  const { backend, batches, artifacts } = recordingBackend();
  const observer = new MlflowObserver({ backend: async () => backend, warn: () => {}, env: {}, flushIntervalMs: 0 });
  await observer.runStarted(runInfo());
  const metrics = Array.from({ length: 60 }, (_, m) => ({ name: `m${m}`, value: m, step: 0, timestamp: 1 }));
  for (let i = 0; i < 2000; i++) await observer.nodeCached(nodeInfo(`n[${i}]`), undefined, metrics);
  await vi.waitFor(() => expect(batches.some((b) => b.batch.metrics?.length)).toBe(true));
  expect(artifacts).toEqual([]);
  await observer.runFinished({ status: 'ok', hits: 2000, ran: 0, failed: 0, endedAt: 2 });
  await observer.close();
  expect(batches.flatMap((b) => b.batch.metrics ?? [])).toHaveLength(120_000);
  expect(artifacts).toHaveLength(1);
  expect(artifacts[0]!.content.split('\n')).toHaveLength(2002);
});

it('names a cached node in a tab-separated line that its id cannot split', () => {
  expect(cachedRow('odd\tid\nx\\y', 'k', '')).toBe('odd\\tid\\nx\\\\y\tk\t');
  expect(cachedTable([cachedRow('a', 'k1', 'r1')])).toBe('node\tkey\tproduced_by\na\tk1\tr1\n');
});
