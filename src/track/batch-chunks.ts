// Splitting a log-batch into requests MLflow accepts: ≤1000 metrics, ≤100 params, ≤100 tags,
// ≤1000 entities and a body ≤1 MB each. Same packing as the Python client: params and tags in
// chunks of 100 with metrics filling the rest of each request, then the leftover metrics by 1000.

import type { Metric, RunBatch } from './backend.js';
import { encodeDouble } from './values.js';

export const BATCH_LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  entities: 1000,
  bodyBytes: 1_000_000,
} as const;

export function chunkBatch(batch: RunBatch): RunBatch[] {
  const metrics = [...(batch.metrics ?? [])];
  const params = [...(batch.params ?? [])];
  const tags = [...(batch.tags ?? [])];
  const chunks: RunBatch[] = [];
  while (params.length > 0 || tags.length > 0) {
    const p = params.splice(0, BATCH_LIMITS.params);
    const t = tags.splice(0, BATCH_LIMITS.tags);
    const room = Math.min(BATCH_LIMITS.entities - p.length - t.length, BATCH_LIMITS.metrics);
    const m = metrics.splice(0, room);
    chunks.push(compact({ metrics: m, params: p, tags: t }));
  }
  while (metrics.length > 0) chunks.push({ metrics: metrics.splice(0, BATCH_LIMITS.metrics) });
  return chunks;
}

/** The JSON body of a log-batch request (doubles that JSON cannot carry become strings). */
export function encodeBatchBody(runId: string, chunk: RunBatch): string {
  const body: Record<string, unknown> = { run_id: runId };
  if (chunk.metrics?.length) body.metrics = chunk.metrics.map(encodeMetric);
  if (chunk.params?.length) body.params = chunk.params;
  if (chunk.tags?.length) body.tags = chunk.tags;
  return JSON.stringify(body);
}

export function encodeMetric(m: Metric): Record<string, unknown> {
  return { key: m.key, value: encodeDouble(m.value), timestamp: m.timestamp, step: m.step };
}

/** Chunks that also fit the body-size limit: an oversized chunk is halved until it fits. */
export function chunkBatchForRequests(runId: string, batch: RunBatch, maxBytes: number = BATCH_LIMITS.bodyBytes): RunBatch[] {
  const out: RunBatch[] = [];
  const fit = (chunk: RunBatch): void => {
    if (Buffer.byteLength(encodeBatchBody(runId, chunk)) <= maxBytes || entityCount(chunk) <= 1) {
      out.push(chunk);
      return;
    }
    const [a, b] = halve(chunk);
    fit(a);
    fit(b);
  };
  for (const chunk of chunkBatch(batch)) fit(chunk);
  return out;
}

function entityCount(c: RunBatch): number {
  return (c.metrics?.length ?? 0) + (c.params?.length ?? 0) + (c.tags?.length ?? 0);
}

function halve(c: RunBatch): [RunBatch, RunBatch] {
  // Halve the entity count (n ≥ 2), so each half is strictly smaller.
  const m = c.metrics ?? [];
  const p = c.params ?? [];
  const t = c.tags ?? [];
  let first = Math.ceil((m.length + p.length + t.length) / 2);
  const take = <T>(xs: T[]): [T[], T[]] => {
    const n = Math.min(first, xs.length);
    first -= n;
    return [xs.slice(0, n), xs.slice(n)];
  };
  const [m1, m2] = take(m);
  const [p1, p2] = take(p);
  const [t1, t2] = take(t);
  return [compact({ metrics: m1, params: p1, tags: t1 }), compact({ metrics: m2, params: p2, tags: t2 })];
}

function compact(c: RunBatch): RunBatch {
  const out: RunBatch = {};
  if (c.metrics?.length) out.metrics = c.metrics;
  if (c.params?.length) out.params = c.params;
  if (c.tags?.length) out.tags = c.tags;
  return out;
}
