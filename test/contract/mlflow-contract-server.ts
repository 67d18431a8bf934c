// A contract server for MLflow's tracking REST API (test-only; NOT MLflow). It listens on 127.0.0.1
// (port 0), validates every request against the documented payloads and limits
// (research/mlflow.md §1) and answers the way MLflow does: error bodies {error_code, message} with
// MLflow's HTTP statuses, empty fields omitted, int64 as numbers, NaN/±Infinity as strings. It keeps
// runs, metrics and artifacts in memory and can be told to fail requests, require auth, or stop and
// restart on the same port with its state intact.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredMetric { key: string; value: number; timestamp: number; step: number }

export interface StoredRun {
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  status: string;
  startTime: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: 'active' | 'deleted';
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: StoredMetric[];
}

export interface StoredExperiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: 'active' | 'deleted';
  creationTime: number;
  tags: Map<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (POST), undefined otherwise. */
  json?: unknown;
  bytes: number;
  status: number;
}

export interface FailureSpec {
  status: number;
  retryAfter?: string;
  /** Apply the request to the state first, then answer with the failure (a "lost" response). */
  applyFirst?: boolean;
  /** Only requests whose path ends with this fail (others pass untouched). */
  path?: string;
}

export type AuthRequirement = { basic: { username: string; password: string } } | { bearer: string };

export interface ContractServerOptions {
  /** Param value limit enforced (older 2.x servers: 500; the client must truncate). */
  maxParamValue?: number;
  maxTagValue?: number;
}

const API = '/api/2.0/mlflow/';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts/';
const STATUS_BY_CODE: Record<string, number> = {
  INVALID_PARAMETER_VALUE: 400, BAD_REQUEST: 400, RESOURCE_ALREADY_EXISTS: 400, MALFORMED_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404, ENDPOINT_NOT_FOUND: 404, TEMPORARILY_UNAVAILABLE: 503,
  REQUEST_LIMIT_EXCEEDED: 429, INTERNAL_ERROR: 500,
};
const RUN_STATUS = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
const KEY_REGEX = /^[/\w.\- ]*$/;

class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function missing(name: string): ApiError {
  return new ApiError('INVALID_PARAMETER_VALUE',
    `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
}

export class MlflowContractServer {
  readonly requests: RecordedRequest[] = [];
  readonly experiments = new Map<string, StoredExperiment>();
  readonly runs = new Map<string, StoredRun>();
  readonly artifacts = new Map<string, Buffer>();
  private server?: Server;
  private port = 0;
  private nextExperimentId = 1;
  private failures: FailureSpec[] = [];
  private auth: AuthRequirement | null = null;
  private readonly maxParamValue: number;
  private readonly maxTagValue: number;

  constructor(opts: ContractServerOptions = {}) {
    this.maxParamValue = opts.maxParamValue ?? 500;
    this.maxTagValue = opts.maxTagValue ?? 5000;
    const now = Date.now();
    this.experiments.set('0', {
      experimentId: '0', name: 'Default', artifactLocation: 'mlflow-artifacts:/0', lifecycleStage: 'active', creationTime: now, tags: new Map(),
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens on 127.0.0.1 (port 0 the first time, then the same port again after stop()). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections; state is kept for start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `n` requests fail with `status` (503 by default). */
  failNext(n: number, spec: Partial<FailureSpec> = {}): void {
    for (let i = 0; i < n; i++) this.failures.push({ status: spec.status ?? 503, retryAfter: spec.retryAfter, applyFirst: spec.applyFirst, path: spec.path });
  }

  requireAuth(auth: AuthRequirement | null): void {
    this.auth = auth;
  }

  // ---- queries for tests ----

  experimentByName(name: string): StoredExperiment | undefined {
    return [...this.experiments.values()].find((e) => e.name === name && e.lifecycleStage === 'active');
  }

  runsOf(experimentName: string): StoredRun[] {
    const exp = this.experimentByName(experimentName);
    return exp ? [...this.runs.values()].filter((r) => r.experimentId === exp.experimentId) : [];
  }

  runNamed(name: string): StoredRun | undefined {
    return [...this.runs.values()].find((r) => r.runName === name);
  }

  apiRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path !== '/health');
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, bytes: raw.length, status: 0 };
    this.requests.push(record);
    const send = (status: number, body: string, contentType = 'application/json', headers: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': contentType, ...headers });
      res.end(body);
    };

    if (url.pathname === '/health') return send(200, 'OK', 'text/plain');
    if (this.auth && !this.authorized(req.headers.authorization)) {
      return send(401, 'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
        'text/plain', { 'WWW-Authenticate': 'Basic realm="mlflow"' });
    }
    const index = this.failures.findIndex((f) => !f.path || url.pathname.endsWith(f.path));
    const failure = index >= 0 ? this.failures.splice(index, 1)[0] : undefined;
    if (failure && !failure.applyFirst) return send(...this.failureResponse(failure));

    let status = 200;
    let body: string;
    let contentType = 'application/json';
    try {
      const result = this.route(req.method ?? 'GET', url, req.headers['content-type'], raw, record);
      if (Buffer.isBuffer(result)) {
        body = result.toString('latin1');
        contentType = 'application/octet-stream';
      } else body = JSON.stringify(result);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('INTERNAL_ERROR', String((e as Error)?.message ?? e));
      status = STATUS_BY_CODE[err.code] ?? 400;
      body = JSON.stringify({ error_code: err.code, message: err.message });
    }
    if (failure) return send(...this.failureResponse(failure));
    send(status, body, contentType);
  }

  private failureResponse(f: FailureSpec): [number, string, string, Record<string, string>] {
    const code = f.status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : f.status === 503 ? 'TEMPORARILY_UNAVAILABLE' : 'INTERNAL_ERROR';
    return [f.status, JSON.stringify({ error_code: code, message: 'injected failure' }), 'application/json', f.retryAfter ? { 'Retry-After': f.retryAfter } : {}];
  }

  private authorized(header: string | undefined): boolean {
    const auth = this.auth!;
    if ('basic' in auth) {
      const expected = Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64');
      return header === `Basic ${expected}`;
    }
    return header === `Bearer ${auth.bearer}`;
  }

  private route(method: string, url: URL, contentType: string | undefined, raw: Buffer, record: RecordedRequest): unknown {
    const path = url.pathname;
    if (path.startsWith(ARTIFACTS)) return this.artifact(method, decodeURIComponent(path.slice(ARTIFACTS.length)), raw);
    if (!path.startsWith(API)) throw new ApiError('ENDPOINT_NOT_FOUND', `No API endpoint ${method} ${path}`);
    const endpoint = `${method} ${path.slice(API.length)}`;
    let body: Record<string, unknown> = {};
    if (method === 'POST') {
      if (!contentType) throw new ApiError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.');
      if (contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
        throw new ApiError('INVALID_PARAMETER_VALUE', "Bad Request. Content-Type must be one of ['application/json'].");
      }
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new ApiError('MALFORMED_REQUEST', 'Malformed JSON body');
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError('MALFORMED_REQUEST', 'Body must be a JSON object');
      record.json = body;
    } else if (method === 'GET') {
      for (const [k, v] of url.searchParams) body[k] = v;
    }
    switch (endpoint) {
      case 'GET experiments/get-by-name': return this.getExperimentByName(body);
      case 'GET experiments/get': return { experiment: this.experimentJson(this.experiment(body.experiment_id)) };
      case 'POST experiments/create': return this.createExperiment(body);
      case 'POST runs/create': return this.createRun(body);
      case 'POST runs/update': return this.updateRun(body);
      case 'POST runs/log-batch': return this.logBatch(body, raw.length);
      case 'POST runs/log-metric': return this.logBatchItems(body, { metrics: [{ key: body.key, value: body.value, timestamp: body.timestamp, step: body.step }] });
      case 'POST runs/log-parameter': return this.logBatchItems(body, { params: [{ key: body.key, value: body.value }] });
      case 'POST runs/set-tag': return this.logBatchItems(body, { tags: [{ key: body.key, value: body.value }] });
      case 'GET runs/get': return { run: this.runJson(this.run(body.run_id)) };
      case 'POST runs/search': return this.searchRuns(body);
      case 'GET metrics/get-history': return this.metricHistory(body);
      default: throw new ApiError('ENDPOINT_NOT_FOUND', `No API endpoint ${endpoint}`);
    }
  }

  // ---- experiments ----

  private getExperimentByName(body: Record<string, unknown>): unknown {
    const name = body.experiment_name;
    if (typeof name !== 'string' || name === '') throw missing('experiment_name');
    const exp = this.experimentByName(name) ?? [...this.experiments.values()].find((e) => e.name === name);
    if (!exp) throw new ApiError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
    return { experiment: this.experimentJson(exp) };
  }

  private createExperiment(body: Record<string, unknown>): unknown {
    const name = body.name;
    if (typeof name !== 'string' || name === '') throw missing('name');
    if (name.length > 500) throw new ApiError('INVALID_PARAMETER_VALUE', `'name' exceeds the maximum length of 500 characters`);
    if ([...this.experiments.values()].some((e) => e.name === name)) {
      throw new ApiError('RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
    }
    const id = String(this.nextExperimentId++);
    this.experiments.set(id, {
      experimentId: id, name, artifactLocation: `mlflow-artifacts:/${id}`, lifecycleStage: 'active', creationTime: Date.now(),
      tags: new Map(this.keyValues(body.tags, 'tags', this.maxTagValue).map((t) => [t.key, t.value])),
    });
    return { experiment_id: id };
  }

  private experiment(id: unknown): StoredExperiment {
    if (id === undefined || id === null || id === '') throw missing('experiment_id');
    const exp = this.experiments.get(String(id));
    if (!exp) throw new ApiError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${String(id)} exists`);
    return exp;
  }

  private experimentJson(e: StoredExperiment): unknown {
    return omitEmpty({
      experiment_id: e.experimentId, name: e.name, artifact_location: e.artifactLocation, lifecycle_stage: e.lifecycleStage,
      creation_time: e.creationTime, last_update_time: e.creationTime, tags: [...e.tags].map(([key, value]) => ({ key, value })),
    });
  }

  // ---- runs ----

  private createRun(body: Record<string, unknown>): unknown {
    const exp = this.experiment(body.experiment_id);
    const tags = this.keyValues(body.tags, 'tags', this.maxTagValue);
    const tagName = tags.find((t) => t.key === 'mlflow.runName')?.value;
    const runName = body.run_name === undefined ? undefined : String(body.run_name);
    if (runName && tagName && runName !== tagName) {
      throw new ApiError('INVALID_PARAMETER_VALUE', `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${runName}', mlflow.runName='${tagName}').`);
    }
    const startTime = body.start_time === undefined ? Date.now() : int64(body.start_time, 'start_time');
    const runId = randomBytes(16).toString('hex');
    const name = runName || tagName || `run-${runId.slice(0, 6)}`;
    const run: StoredRun = {
      runId, experimentId: exp.experimentId, runName: name, userId: typeof body.user_id === 'string' ? body.user_id : '',
      status: 'RUNNING', startTime, artifactUri: `${exp.artifactLocation}/${runId}/artifacts`, lifecycleStage: 'active',
      params: new Map(), tags: new Map(tags.map((t) => [t.key, t.value])), metrics: [],
    };
    run.tags.set('mlflow.runName', name);
    this.runs.set(runId, run);
    return { run: this.runJson(run) };
  }

  private run(id: unknown): StoredRun {
    if (id === undefined || id === null || id === '') throw missing('run_id');
    const run = this.runs.get(String(id));
    if (!run) throw new ApiError('RESOURCE_DOES_NOT_EXIST', `Run with id=${String(id)} not found`);
    return run;
  }

  private activeRun(id: unknown): StoredRun {
    const run = this.run(id);
    if (run.lifecycleStage !== 'active') throw new ApiError('INVALID_PARAMETER_VALUE', `The run ${run.runId} must be in the 'active' state. Current state is ${run.lifecycleStage}.`);
    return run;
  }

  private updateRun(body: Record<string, unknown>): unknown {
    const run = this.activeRun(body.run_id ?? body.run_uuid);
    if (body.status !== undefined) {
      const status = typeof body.status === 'number' ? RUN_STATUS[body.status - 1] : String(body.status);
      if (!status || !RUN_STATUS.includes(status)) throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(body.status)} for parameter 'status'`);
      run.status = status;
    }
    if (body.end_time !== undefined) run.endTime = int64(body.end_time, 'end_time');
    if (typeof body.run_name === 'string' && body.run_name) {
      run.runName = body.run_name;
      run.tags.set('mlflow.runName', body.run_name);
    }
    return { run_info: this.runInfoJson(run) };
  }

  private logBatch(body: Record<string, unknown>, bytes: number): unknown {
    if (bytes > 1_000_000) {
      throw new ApiError('INVALID_PARAMETER_VALUE', `Batched logging API requests must be at most 1000000 bytes, got a request of size ${bytes}.`);
    }
    const limits: [string, number][] = [['metrics', 1000], ['params', 100], ['tags', 100]];
    let total = 0;
    for (const [field, limit] of limits) {
      const items = body[field];
      if (items !== undefined && !Array.isArray(items)) throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid value for parameter '${field}': expected a list`);
      const n = (items as unknown[] | undefined)?.length ?? 0;
      if (n > limit) {
        throw new ApiError('INVALID_PARAMETER_VALUE', `A batch logging request can contain at most ${limit} ${field}. Got ${n} ${field}. Please split up ${field} across multiple requests and try again.`);
      }
      total += n;
    }
    if (total > 1000) {
      throw new ApiError('INVALID_PARAMETER_VALUE', `A batch logging request can contain at most 1000 total metrics, params, and tags. Got ${total} total metrics, params, and tags. Please split up across multiple requests and try again.`);
    }
    return this.logBatchItems(body, body as { metrics?: unknown; params?: unknown; tags?: unknown });
  }

  private logBatchItems(body: Record<string, unknown>, items: { metrics?: unknown; params?: unknown; tags?: unknown }): unknown {
    const run = this.activeRun(body.run_id ?? body.run_uuid);
    const metrics = this.metrics(items.metrics);
    const params = this.keyValues(items.params, 'params', this.maxParamValue);
    const tags = this.keyValues(items.tags, 'tags', this.maxTagValue);
    const keys = params.map((p) => p.key);
    const dupes = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
    if (dupes.length) throw new ApiError('INVALID_PARAMETER_VALUE', `Duplicate parameter keys have been submitted: ${JSON.stringify(dupes)}. Please ensure the request contains only one param value per param key.`);
    for (const p of params) {
      const old = run.params.get(p.key);
      if (old !== undefined && old !== p.value) {
        throw new ApiError('INVALID_PARAMETER_VALUE', `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${run.runId}'. Attempted logging new value '${p.value}'.`);
      }
    }
    for (const p of params) run.params.set(p.key, p.value);
    for (const t of tags) {
      run.tags.set(t.key, t.value);
      if (t.key === 'mlflow.runName') run.runName = t.value;
    }
    run.metrics.push(...metrics);
    return {};
  }

  private metrics(raw: unknown): StoredMetric[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw new ApiError('INVALID_PARAMETER_VALUE', "Invalid value for parameter 'metrics': expected a list");
    return raw.map((m: Record<string, unknown>, i) => {
      const key = this.key(m?.key, `metrics[${i}].key`);
      if (m.value === undefined || m.value === null) throw missing(`metrics[${i}].value`);
      const value = parseDouble(m.value);
      if (value === undefined) {
        throw new ApiError('INVALID_PARAMETER_VALUE', `Got invalid value ${JSON.stringify(m.value)} for metric '${key}'. Please specify value as a valid double (64-bit floating point)`);
      }
      if (m.timestamp === undefined || m.timestamp === null) throw missing(`metrics[${i}].timestamp`);
      const timestamp = int64(m.timestamp, `metrics[${i}].timestamp`);
      if (timestamp < 0) throw new ApiError('INVALID_PARAMETER_VALUE', `Got invalid timestamp ${timestamp} for metric '${key}'`);
      const step = m.step === undefined ? 0 : int64(m.step, `metrics[${i}].step`);
      return { key, value, timestamp, step };
    });
  }

  private keyValues(raw: unknown, field: string, maxValue: number): { key: string; value: string }[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid value for parameter '${field}': expected a list`);
    return raw.map((kv: Record<string, unknown>, i) => {
      const key = this.key(kv?.key, `${field}[${i}].key`);
      if (kv.value === undefined || kv.value === null) throw missing(`${field}[${i}].value`);
      if (typeof kv.value !== 'string') throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(kv.value)} for parameter '${field}[${i}].value': expected a string`);
      if ([...kv.value].length > maxValue) {
        throw new ApiError('INVALID_PARAMETER_VALUE', `'${field}[${i}].value' exceeds the maximum length of ${maxValue} characters`);
      }
      return { key, value: kv.value };
    });
  }

  private key(raw: unknown, field: string): string {
    if (raw === undefined || raw === null) throw new ApiError('INVALID_PARAMETER_VALUE', 'A key name must be provided.');
    if (typeof raw !== 'string') throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(raw)} for parameter '${field}'`);
    if (raw.length > 250) throw new ApiError('INVALID_PARAMETER_VALUE', `'${field}' exceeds the maximum length of 250 characters`);
    if (!KEY_REGEX.test(raw) || !/^[\x20-\x7e]*$/.test(raw)) {
      throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid name: '${raw}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`);
    }
    if (raw === '' || pythonNormpath(raw) !== raw || raw.startsWith('/') || raw.startsWith('..')) {
      throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid value "${raw}" for parameter '${field}' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${pythonNormpath(raw)}'`);
    }
    return raw;
  }

  private searchRuns(body: Record<string, unknown>): unknown {
    const ids = body.experiment_ids;
    if (!Array.isArray(ids) || ids.length === 0) throw missing('experiment_ids');
    const clauses = parseFilter(typeof body.filter === 'string' ? body.filter : '');
    const max = body.max_results === undefined ? 1000 : Number(body.max_results);
    if (!Number.isInteger(max) || max < 1 || max > 50_000) throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid value ${String(body.max_results)} for parameter 'max_results'`);
    const runs = [...this.runs.values()]
      .filter((r) => ids.map(String).includes(r.experimentId) && r.lifecycleStage === 'active')
      .filter((r) => clauses.every((c) => {
        const actual = c.entity === 'tags' ? r.tags.get(c.key) : c.entity === 'params' ? r.params.get(c.key) : c.key === 'run_name' ? r.runName : c.key === 'status' ? r.status : undefined;
        return c.op === '=' ? actual === c.value : actual !== c.value;
      }))
      .sort((a, b) => b.startTime - a.startTime)
      .slice(0, max);
    return omitEmpty({ runs: runs.map((r) => this.runJson(r)) });
  }

  private metricHistory(body: Record<string, unknown>): unknown {
    const run = this.run(body.run_id ?? body.run_uuid);
    if (typeof body.metric_key !== 'string' || !body.metric_key) throw missing('metric_key');
    const points = run.metrics.filter((m) => m.key === body.metric_key);
    return omitEmpty({ metrics: points.map(metricJson) });
  }

  private artifact(method: string, path: string, raw: Buffer): unknown {
    if (path.split('/').some((s) => s === '..' || s === '')) throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid artifact path: '${path}'`);
    if (method === 'PUT') {
      this.artifacts.set(path, raw);
      return {};
    }
    if (method === 'GET') {
      const data = this.artifacts.get(path);
      if (!data) throw new ApiError('RESOURCE_DOES_NOT_EXIST', `Artifact '${path}' not found`);
      return data;
    }
    throw new ApiError('ENDPOINT_NOT_FOUND', `No API endpoint ${method} artifacts`);
  }

  private runInfoJson(r: StoredRun): unknown {
    return omitEmpty({
      run_id: r.runId, run_uuid: r.runId, run_name: r.runName, experiment_id: r.experimentId, user_id: r.userId,
      status: r.status, start_time: r.startTime, end_time: r.endTime, artifact_uri: r.artifactUri, lifecycle_stage: r.lifecycleStage,
    });
  }

  private runJson(r: StoredRun): unknown {
    const latest = new Map<string, StoredMetric>();
    for (const m of r.metrics) {
      const cur = latest.get(m.key);
      if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp)) latest.set(m.key, m);
    }
    return {
      info: this.runInfoJson(r),
      data: omitEmpty({
        metrics: [...latest.values()].map(metricJson),
        params: [...r.params].map(([key, value]) => ({ key, value })),
        tags: [...r.tags].map(([key, value]) => ({ key, value })),
      }),
    };
  }
}

export async function startMlflowContractServer(opts: ContractServerOptions = {}): Promise<MlflowContractServer> {
  const server = new MlflowContractServer(opts);
  await server.start();
  return server;
}

function metricJson(m: StoredMetric): unknown {
  const value = Number.isNaN(m.value) ? 'NaN' : m.value === Infinity ? 'Infinity' : m.value === -Infinity ? '-Infinity' : m.value;
  return { key: m.key, value, timestamp: m.timestamp, step: m.step };
}

/** Protobuf JSON doubles: numbers, numeric strings, "NaN", "Infinity", "-Infinity". */
function parseDouble(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return Number(v);
  return undefined;
}

function int64(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(v)} for parameter '${field}': expected an integer`);
}

/** Drops undefined values and empty arrays, as protobuf JSON does. */
function omitEmpty(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

/** Python's posixpath.normpath. */
export function pythonNormpath(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('/') ? (p.startsWith('//') && !p.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..' || (!initial && out.length === 0) || out[out.length - 1] === '..') out.push(c);
    else if (out.length) out.pop();
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined || '.';
}

interface FilterClause { entity: 'tags' | 'params' | 'attributes'; key: string; op: '=' | '!='; value: string }

/** The subset of MLflow's search filter grammar Retort uses: `tags.\`k\` = 'v' and params.p != 'x' and attributes.run_name = 'n'`. */
function parseFilter(filter: string): FilterClause[] {
  if (!filter.trim()) return [];
  return filter.split(/\s+and\s+/i).map((part) => {
    const m = /^\s*(tags?|params?|attributes?|attr)\.(`[^`]+`|"[^"]+"|[\w.]+)\s*(=|!=)\s*'((?:[^']|'')*)'\s*$/i.exec(part);
    if (!m) throw new ApiError('INVALID_PARAMETER_VALUE', `Invalid filter '${filter}'. Could not be parsed.`);
    const prefix = m[1]!.toLowerCase();
    const entity = prefix.startsWith('tag') ? 'tags' : prefix.startsWith('param') ? 'params' : 'attributes';
    const key = m[2]!.replace(/^[`"]|[`"]$/g, '');
    return { entity, key, op: m[3] as '=' | '!=', value: m[4]!.replace(/''/g, "'") };
  });
}
