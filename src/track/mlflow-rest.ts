// A small MLflow tracking REST client (/api/2.0/mlflow/...) over HttpTransport: experiments, runs,
// log-batch (chunked to the server limits, retried without duplicating metric points), metric
// history, run search, and artifact upload through the server's mlflow-artifacts proxy.

import { createReadStream } from 'node:fs';
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { artifactUrl, guessContentType, resolveArtifactTarget } from './artifact-uri.js';
import { CLIENT_RUN_ID_TAG, type ArtifactSource, type KeyValue, type Metric, type RunBatch, type RunStatus } from './backend.js';
import { chunkBatchForRequests, encodeBatchBody } from './batch-chunks.js';
import type { HttpTransport } from './http-transport.js';
import { MlflowError } from './mlflow-error.js';
import { decodeDouble, decodeInt, encodeDouble } from './values.js';

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation?: string;
  lifecycleStage: string;
}

export interface RunInfoLite {
  runId: string;
  experimentId: string;
  runName?: string;
  status: string;
  startTime?: number;
  endTime?: number;
  artifactUri?: string;
  lifecycleStage?: string;
}

export interface RunData {
  info: RunInfoLite;
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

const API = '/api/2.0/mlflow';

export class MlflowRestClient {
  constructor(readonly transport: HttpTransport) {}

  get trackingUri(): string {
    return this.transport.baseUrl;
  }

  /** null when the experiment does not exist (RESOURCE_DOES_NOT_EXIST), like the Python client. */
  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      const res = (await this.transport.request({ method: 'GET', path: `${API}/experiments/get-by-name`, query: { experiment_name: name } })) as { experiment?: unknown };
      return parseExperiment(res.experiment);
    } catch (e) {
      if (e instanceof MlflowError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    }
  }

  async createExperiment(name: string, tags: KeyValue[] = []): Promise<string> {
    const body: Record<string, unknown> = { name };
    if (tags.length) body.tags = tags;
    const res = (await this.transport.request({ method: 'POST', path: `${API}/experiments/create`, json: body })) as { experiment_id?: unknown };
    return String(res.experiment_id);
  }

  /** The id of an active experiment with this name, created if missing (a concurrent creator is tolerated). */
  async getOrCreateExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found && found.lifecycleStage !== 'deleted') return found.experimentId;
    if (found) throw new MlflowError('INVALID_STATE', `experiment '${name}' is deleted; restore it or choose another name`);
    try {
      return await this.createExperiment(name);
    } catch (e) {
      if (!(e instanceof MlflowError) || e.errorCode !== 'RESOURCE_ALREADY_EXISTS') throw e;
      const again = await this.getExperimentByName(name);
      if (!again) throw e;
      return again.experimentId;
    }
  }

  async createRun(req: { experimentId: string; runName?: string; startTime: number; tags: KeyValue[]; userId?: string }): Promise<RunInfoLite> {
    const body: Record<string, unknown> = { experiment_id: req.experimentId, start_time: req.startTime };
    if (req.runName) body.run_name = req.runName;
    if (req.userId) body.user_id = req.userId;
    if (req.tags.length) body.tags = req.tags;
    // With a client run id tag, a retry first looks for the run an earlier attempt may have created.
    const clientId = req.tags.find((t) => t.key === CLIENT_RUN_ID_TAG)?.value;
    let recovered: RunInfoLite | undefined;
    const res = (await this.transport.request({
      method: 'POST',
      path: `${API}/runs/create`,
      json: body,
      beforeRetry: clientId
        ? async () => {
          recovered = await this.findRunByClientId(req.experimentId, clientId);
          return recovered ? {} : undefined;
        }
        : undefined,
    })) as { run?: { info?: unknown } };
    const info = recovered ?? parseRunInfo(res.run?.info);
    if (!info) throw new MlflowError('BAD_RESPONSE', 'runs/create answered without run.info');
    return info;
  }

  /** The run tagged `retort.clientRunId = clientId`, if the server has one. */
  async findRunByClientId(experimentId: string, clientId: string): Promise<RunInfoLite | undefined> {
    const { runs } = await this.searchRuns({ experimentIds: [experimentId], filter: `tags.\`${CLIENT_RUN_ID_TAG}\` = '${clientId}'`, maxResults: 1 });
    return runs[0]?.info;
  }

  async updateRun(runId: string, update: { status?: RunStatus; endTime?: number; runName?: string }): Promise<void> {
    const body: Record<string, unknown> = { run_id: runId, run_uuid: runId };
    if (update.status) body.status = update.status;
    if (update.endTime !== undefined) body.end_time = update.endTime;
    if (update.runName) body.run_name = update.runName;
    await this.transport.request({ method: 'POST', path: `${API}/runs/update`, json: body });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.transport.request({ method: 'POST', path: `${API}/runs/set-tag`, json: { run_id: runId, run_uuid: runId, key, value } });
  }

  /**
   * Logs a batch in as many requests as the limits need; returns the number of requests.
   * A retried request first drops the metric points the server already holds (a timed-out
   * attempt may have been applied), so points are never duplicated.
   */
  async logBatch(runId: string, batch: RunBatch): Promise<number> {
    const chunks = chunkBatchForRequests(runId, batch);
    for (const original of chunks) {
      let chunk = original;
      await this.transport.request({
        method: 'POST',
        path: `${API}/runs/log-batch`,
        json: () => encodeBatchBody(runId, chunk),
        beforeRetry: async () => {
          if (chunk.metrics?.length) chunk = { ...chunk, metrics: await this.undeliveredMetrics(runId, chunk.metrics) };
        },
      });
    }
    return chunks.length;
  }

  /** The points of `metrics` not yet in the server's history (a multiset difference on key/step/timestamp/value). */
  async undeliveredMetrics(runId: string, metrics: Metric[], history?: Map<string, Metric[]>): Promise<Metric[]> {
    const seen = new Map<string, number>();
    for (const key of new Set(metrics.map((m) => m.key))) {
      const points = history?.get(key) ?? (await this.getMetricHistory(runId, key));
      history?.set(key, points);
      for (const p of points) seen.set(pointId(p), (seen.get(pointId(p)) ?? 0) + 1);
    }
    return metrics.filter((m) => {
      const id = pointId(m);
      const n = seen.get(id) ?? 0;
      if (n === 0) return true;
      seen.set(id, n - 1);
      return false;
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const out: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const res = (await this.transport.request({
        method: 'GET',
        path: `${API}/metrics/get-history`,
        query: { run_id: runId, run_uuid: runId, metric_key: key, page_token: pageToken },
      })) as { metrics?: unknown[]; next_page_token?: string };
      for (const m of res.metrics ?? []) out.push(parseMetric(m));
      pageToken = res.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  async getRun(runId: string): Promise<RunData> {
    const res = (await this.transport.request({ method: 'GET', path: `${API}/runs/get`, query: { run_id: runId, run_uuid: runId } })) as { run?: unknown };
    const run = parseRun(res.run);
    if (!run) throw new MlflowError('BAD_RESPONSE', 'runs/get answered without a run');
    return run;
  }

  async searchRuns(
    req: { experimentIds: string[]; filter?: string; maxResults?: number; pageToken?: string },
  ): Promise<{ runs: RunData[]; nextPageToken?: string }> {
    const body: Record<string, unknown> = { experiment_ids: req.experimentIds, run_view_type: 'ACTIVE_ONLY' };
    if (req.filter) body.filter = req.filter;
    if (req.maxResults) body.max_results = req.maxResults;
    if (req.pageToken) body.page_token = req.pageToken;
    const res = (await this.transport.request({ method: 'POST', path: `${API}/runs/search`, json: body })) as { runs?: unknown[]; next_page_token?: string };
    const runs = (res.runs ?? []).map(parseRun).filter((r): r is RunData => r !== null);
    return { runs, nextPageToken: res.next_page_token || undefined };
  }

  /** Uploads one artifact into a run's artifact_uri (mlflow-artifacts proxy, or a shared local directory). */
  async uploadArtifact(artifactUri: string, artifactPath: string, source: ArtifactSource): Promise<void> {
    const target = resolveArtifactTarget(this.transport.baseUrl, artifactUri);
    if (target.kind === 'unsupported') {
      throw new MlflowError('NOT_IMPLEMENTED', `artifact store '${target.scheme}:' needs direct cloud credentials; only mlflow-artifacts (--serve-artifacts) and file stores are supported`);
    }
    if (target.kind === 'file') {
      const dest = join(target.dir, ...artifactPath.split('/'));
      await mkdir(dirname(dest), { recursive: true });
      if ('file' in source) await copyFile(source.file, dest);
      else await writeFile(dest, source.content);
      return;
    }
    const size = 'file' in source ? (await stat(source.file)).size : undefined;
    await this.transport.request({
      method: 'PUT',
      path: artifactUrl(target.baseUrl, artifactPath),
      body: () => ({
        // Files are streamed (one fresh stream per attempt); in-memory content is sent as is.
        body: 'file' in source ? (Readable.toWeb(createReadStream(source.file)) as ReadableStream) : toBody(source.content),
        contentType: guessContentType(artifactPath),
        contentLength: size,
      }),
    });
  }
}

function toBody(content: string | Uint8Array): BodyInit {
  return typeof content === 'string' ? content : new Uint8Array(content);
}

function pointId(m: Metric): string {
  return `${m.key}\u0000${m.step}\u0000${m.timestamp}\u0000${String(encodeDouble(m.value))}`;
}

function parseExperiment(raw: unknown): Experiment | null {
  if (!raw || typeof raw !== 'object') return null;
  const e = raw as Record<string, unknown>;
  return {
    experimentId: String(e.experiment_id),
    name: String(e.name ?? ''),
    artifactLocation: typeof e.artifact_location === 'string' ? e.artifact_location : undefined,
    lifecycleStage: String(e.lifecycle_stage ?? 'active'),
  };
}

function parseRunInfo(raw: unknown): RunInfoLite | null {
  if (!raw || typeof raw !== 'object') return null;
  const i = raw as Record<string, unknown>;
  const runId = String(i.run_id ?? i.run_uuid ?? '');
  if (!runId) return null;
  return {
    runId,
    experimentId: String(i.experiment_id ?? ''),
    runName: typeof i.run_name === 'string' ? i.run_name : undefined,
    status: typeof i.status === 'string' ? i.status : 'RUNNING',
    startTime: i.start_time === undefined ? undefined : decodeInt(i.start_time),
    endTime: i.end_time === undefined ? undefined : decodeInt(i.end_time),
    artifactUri: typeof i.artifact_uri === 'string' ? i.artifact_uri : undefined,
    lifecycleStage: typeof i.lifecycle_stage === 'string' ? i.lifecycle_stage : undefined,
  };
}

function parseMetric(raw: unknown): Metric {
  const m = (raw ?? {}) as Record<string, unknown>;
  return { key: String(m.key ?? ''), value: decodeDouble(m.value), timestamp: decodeInt(m.timestamp), step: decodeInt(m.step) };
}

function parseKeyValues(raw: unknown): KeyValue[] {
  return Array.isArray(raw) ? raw.map((x) => ({ key: String((x as KeyValue).key ?? ''), value: String((x as KeyValue).value ?? '') })) : [];
}

function parseRun(raw: unknown): RunData | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as { info?: unknown; data?: Record<string, unknown> };
  const info = parseRunInfo(r.info);
  if (!info) return null;
  const data = r.data ?? {};
  return {
    info,
    metrics: Array.isArray(data.metrics) ? data.metrics.map(parseMetric) : [],
    params: parseKeyValues(data.params),
    tags: parseKeyValues(data.tags),
  };
}
