// Retort's run lifecycle as MLflow runs: one parent run per `retort run`, one child run per executed
// node (tag mlflow.parentRunId), params = the node's resolved params as dotted keys, metrics with steps.
// A cache hit creates no run: the parent gets a tag pointing at the run that produced the node and
// that node's final metrics as `<node>/<metric>`, so the parent shows every result of the recipe.
// The same logic drives the REST backend and the local FileStore backend. Hooks never throw:
// failures become warnings (credentials redacted), and the run goes on.

import { randomUUID } from 'node:crypto';
import type { KeyValue, Metric, RunHandle, RunStatus, TrackingBackend } from './backend.js';
import { BatchPreparer } from './batch-prep.js';
import { flattenParams } from './flatten-params.js';
import { nodeKeySegment, sanitizeKey } from './keys.js';
import type { MetricPoint, NodeInfo, NodeResult, RunInfo, RunObserver, RunSummary, TrackingRef } from './observer.js';
import { redactText, secretsFromEnv } from './redact.js';
import { gitCommit, osUser } from './run-context.js';

export interface MlflowObserverOptions {
  /** Creates the backend on runStarted (may fail: tracking is then off with one warning). */
  backend: () => Promise<TrackingBackend>;
  warn: (msg: string) => void;
  env: NodeJS.ProcessEnv;
  /** Buffered metric points are sent at least this often (ms); 0 disables the timer. */
  flushIntervalMs?: number;
  /** A node's buffer is sent as soon as it holds this many points. */
  maxBufferedPoints?: number;
  now?: () => number;
}

const MAX_WARNINGS = 20;
/** Cached-node tags and metrics gathered before one request (the backends chunk to MLflow's limits). */
const CACHED_BATCH = 1000;
const STATUS: Record<NodeResult['status'], RunStatus> = { ok: 'FINISHED', failed: 'FAILED', cancelled: 'KILLED' };

interface NodeState {
  node: NodeInfo;
  handle?: RunHandle;
  buffer: Metric[];
  /** Points already logged, so NodeResult.metrics repeating them are not logged twice. */
  seen: Set<string>;
  latest: Map<string, MetricPoint>;
  finished: boolean;
  flushQueued: boolean;
}

export class MlflowObserver implements RunObserver {
  private queue: Promise<void> = Promise.resolve();
  private backend?: TrackingBackend;
  private run?: RunInfo;
  private parent?: RunHandle;
  private parentFinished = false;
  private readonly nodes = new Map<string, NodeState>();
  private readonly cachedTags: { key: string; value: string }[] = [];
  private readonly cachedMetrics: { key: string; value: number; timestamp: number; step: number }[] = [];
  private readonly prep: BatchPreparer;
  private readonly secrets: string[];
  private systemTags: KeyValue[] = [];
  private timer?: NodeJS.Timeout;
  private warnings = 0;
  private closed = false;

  constructor(private readonly opts: MlflowObserverOptions) {
    this.secrets = secretsFromEnv(opts.env);
    this.prep = new BatchPreparer((msg) => this.warn(msg));
  }

  async runStarted(run: RunInfo): Promise<void> {
    this.run = run;
    await this.enqueue('starting the MLflow run', async () => {
      try {
        this.backend = await this.opts.backend();
      } catch (e) {
        this.warn(`MLflow tracking is off for this run: ${(e as Error).message}`);
        return;
      }
      const commit = await gitCommit(run.cwd);
      this.systemTags = [
        { key: 'mlflow.user', value: osUser(this.opts.env) },
        { key: 'mlflow.source.name', value: run.recipe },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        ...(commit ? [{ key: 'mlflow.source.git.commit', value: commit }] : []),
        { key: 'retort.recipe', value: run.recipeName },
        { key: 'retort.runId', value: run.runId },
      ];
      const runName = `${run.recipeName}-${timestamp(run.startedAt)}`;
      const userTags = Object.entries(run.track.tags ?? {}).map(([key, value]) => ({ key, value: String(value) }));
      this.parent = await this.backend.createRun({
        experimentName: this.experimentName(),
        runName,
        startTime: run.startedAt,
        tags: this.prep.tags([{ key: 'mlflow.runName', value: runName }, ...this.systemTags, ...userTags]),
        clientRunId: randomUUID().replace(/-/g, ''),
        ...(run.parentRef ? { parent: handleOf(run.parentRef) } : {}),
      });
      // The run's inputs: the recipe's vars and the overrides it was started with.
      const { params, overflow } = this.prep.params(runParams(run));
      if (params.length) await this.backend.logBatch(this.parent, { params });
      for (const full of overflow) {
        const path = `retort/params/${full.key}.txt`;
        this.warn(`MLflow: param "${full.key}" of the parent run is longer than 500 characters; truncated, full value logged as artifact ${path}`);
        await this.backend.logArtifact(this.parent, path, { content: full.value });
      }
    });
    const interval = this.opts.flushIntervalMs ?? 5000;
    if (interval > 0 && !this.timer) {
      this.timer = setInterval(() => void this.enqueue('sending metrics', () => this.flushAll()), interval);
      this.timer.unref();
    }
  }

  async nodeStarted(node: NodeInfo): Promise<TrackingRef | void> {
    const state = this.freshState(node);
    let ref: TrackingRef | undefined;
    await this.enqueue(`starting the MLflow run of ${node.id}`, async () => {
      const backend = this.backend;
      if (!backend) return;
      const tags = this.prep.tags([
        { key: 'mlflow.runName', value: node.id },
        ...this.systemTags,
        { key: 'retort.key', value: node.key },
        { key: 'retort.stage', value: node.stage },
        { key: 'retort.plugin', value: `${node.plugin.id}@${node.plugin.version}` },
        { key: 'retort.node', value: node.id },
      ]);
      state.handle = await backend.createRun({
        experimentName: this.experimentName(),
        runName: node.id,
        startTime: this.now(),
        tags,
        parent: this.parent,
        clientRunId: randomUUID().replace(/-/g, ''),
      });
      ref = this.refFor(state.handle);
      const { params, overflow } = this.prep.params(flattenParams(node.params));
      if (params.length) await backend.logBatch(state.handle, { params });
      for (const full of overflow) {
        // MLflow keeps 500 characters of a param; the whole value stays reachable as an artifact.
        const path = `retort/params/${full.key}.txt`;
        this.warn(`MLflow: param "${full.key}" of ${node.id} is longer than 500 characters; truncated, full value logged as artifact ${path}`);
        await backend.logArtifact(state.handle, path, { content: full.value });
      }
    });
    return ref;
  }

  nodeMetric(node: NodeInfo, point: MetricPoint): void {
    const state = this.state(node);
    this.record(state, point);
    if (state.buffer.length >= (this.opts.maxBufferedPoints ?? 1000) && !state.flushQueued) {
      state.flushQueued = true;
      void this.enqueue(`sending metrics of ${node.id}`, () => this.flush(state));
    }
  }

  async nodeFinished(node: NodeInfo, result: NodeResult): Promise<void> {
    const state = this.state(node);
    for (const point of result.metrics) if (!state.seen.has(pointId(point))) this.record(state, point);
    state.finished = true;
    await this.enqueue(`finishing the MLflow run of ${node.id}`, async () => {
      // Each step is guarded on its own: a rejected metric batch must not leave the run RUNNING.
      await this.guard(`sending metrics of ${node.id}`, () => this.flush(state));
      await this.guard(`logging ${node.id} results on the parent run`, () => this.logOnParent(node, [...state.latest.values()]));
      const backend = this.backend;
      const handle = state.handle;
      if (!backend || !handle) return;
      const tags: KeyValue[] = [{ key: 'retort.status', value: result.status }];
      if (result.error) tags.push({ key: 'retort.error', value: this.redact(result.error) });
      if (result.artifactDir) tags.push({ key: 'retort.artifactDir', value: result.artifactDir });
      await this.guard(`tagging the MLflow run of ${node.id}`, () => backend.logBatch(handle, { tags: this.prep.tags(tags) }));
      await backend.updateRun(handle, STATUS[result.status], result.endedAt);
    });
  }

  async nodeCached(node: NodeInfo, producedBy: TrackingRef | undefined, metrics: MetricPoint[]): Promise<void> {
    await this.enqueue(`recording the cached node ${node.id}`, async () => {
      if (!this.backend || !this.parent) return;
      // Gathered and sent in large batches: a recipe of thousands of cached nodes costs a few requests.
      this.cachedTags.push({ key: `retort.cached/${nodeKeySegment(node.id)}`, value: await this.describeRef(producedBy) });
      const prefix = nodeKeySegment(node.id);
      for (const p of latestByName(metrics)) this.cachedMetrics.push({ key: sanitizeKey(`${prefix}/${sanitizeKey(p.name)}`), value: p.value, timestamp: p.timestamp, step: p.step });
      if (this.cachedTags.length + this.cachedMetrics.length >= CACHED_BATCH) await this.flushCached();
    });
  }

  private async flushCached(): Promise<void> {
    if (!this.backend || !this.parent || (this.cachedTags.length === 0 && this.cachedMetrics.length === 0)) return;
    const tags = this.prep.tags(this.cachedTags.splice(0));
    const metrics = this.prep.metrics(this.cachedMetrics.splice(0));
    await this.backend.logBatch(this.parent, { tags, metrics });
  }

  runRef(): TrackingRef | undefined {
    return this.backend && this.parent ? this.refFor(this.parent) : undefined;
  }

  async runMetrics(points: MetricPoint[]): Promise<void> {
    await this.enqueue('logging metrics of the MLflow run', async () => {
      if (!this.backend || !this.parent || !points.length) return;
      const metrics = this.prep.metrics(points.map((p) => ({ key: p.name, value: p.value, timestamp: p.timestamp, step: p.step })));
      await this.guard('logging metrics of the MLflow run', () => this.backend!.logBatch(this.parent!, { metrics }));
    });
  }

  async runTags(tags: Record<string, string>): Promise<void> {
    await this.enqueue('tagging the MLflow run', async () => {
      if (!this.backend || !this.parent) return;
      const list = this.prep.tags(Object.entries(tags).map(([key, value]) => ({ key, value })));
      await this.guard('tagging the MLflow run', () => this.backend!.logBatch(this.parent!, { tags: list }));
    });
  }

  async runArtifacts(files: { path: string; content: string }[]): Promise<void> {
    await this.enqueue('logging artifacts of the MLflow run', async () => {
      const backend = this.backend;
      const parent = this.parent;
      if (!backend || !parent) return;
      for (const f of files) await this.guard(`logging ${f.path}`, () => backend.logArtifact(parent, f.path, { content: f.content }));
    });
  }

  async runFinished(summary: RunSummary): Promise<void> {
    await this.enqueue('finishing the MLflow run', async () => {
      await this.guard('sending metrics', () => this.flushAll());
      await this.guard('recording cached nodes', () => this.flushCached());
      const backend = this.backend;
      const parent = this.parent;
      if (!backend || !parent) return;
      const tags = [
        { key: 'retort.status', value: summary.status },
        { key: 'retort.hits', value: String(summary.hits) },
        { key: 'retort.ran', value: String(summary.ran) },
        { key: 'retort.failed', value: String(summary.failed) },
      ];
      await this.guard('tagging the MLflow run', () => backend.logBatch(parent, { tags }));
      await backend.updateRun(parent, STATUS[summary.status], summary.endedAt);
      this.parentFinished = true;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return this.queue;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.enqueue('closing MLflow runs', async () => {
      const backend = this.backend;
      if (!backend) return;
      await this.guard('recording cached nodes', () => this.flushCached());
      // Runs still open at close were interrupted.
      for (const state of this.nodes.values()) {
        const handle = state.handle;
        if (state.finished || !handle) continue;
        await this.guard(`sending metrics of ${state.node.id}`, () => this.flush(state));
        await this.guard(`ending the MLflow run of ${state.node.id}`, () => backend.updateRun(handle, 'KILLED', this.now()));
      }
      const parent = this.parent;
      if (parent && !this.parentFinished) await backend.updateRun(parent, 'KILLED', this.now());
    });
    await this.enqueue('closing the MLflow backend', async () => this.backend?.close());
  }

  private record(state: NodeState, point: MetricPoint): void {
    state.seen.add(pointId(point));
    const latest = state.latest.get(point.name);
    if (!latest || isLater(point, latest)) state.latest.set(point.name, point);
    state.buffer.push(...this.prep.metrics([{ key: point.name, value: point.value, timestamp: point.timestamp, step: point.step }]));
  }

  private async flush(state: NodeState): Promise<void> {
    state.flushQueued = false;
    if (state.buffer.length === 0) return;
    const metrics = state.buffer.splice(0);
    if (!this.backend || !state.handle) return;
    try {
      await this.backend.logBatch(state.handle, { metrics });
    } catch (e) {
      // A full disk (the local store beside a node filling it) frees up when that node's partial
      // output is removed: keep the points for the next flush instead of losing them.
      if (isDiskFull(e)) state.buffer.unshift(...metrics);
      throw e;
    }
  }

  private async flushAll(): Promise<void> {
    for (const state of this.nodes.values()) await this.flush(state);
  }

  /** A node's final metrics on the parent run as `<node>/<metric>`. */
  private async logOnParent(node: NodeInfo, finals: MetricPoint[]): Promise<void> {
    if (!this.backend || !this.parent || finals.length === 0) return;
    const prefix = nodeKeySegment(node.id);
    // Names were already reported when the node logged them; derived keys are sanitised silently.
    const metrics = this.prep.metrics(finals.map((p) => ({ key: sanitizeKey(`${prefix}/${sanitizeKey(p.name)}`), value: p.value, timestamp: p.timestamp, step: p.step })));
    await this.backend.logBatch(this.parent, { metrics });
  }

  private refFor(handle: RunHandle): TrackingRef {
    const backend = this.backend!;
    if (handle.runId) return { mlflowRunId: handle.runId, experimentId: handle.experimentId ?? '', trackingUri: backend.trackingUri };
    return { mlflowSpoolId: handle.spoolId ?? '', experimentName: this.experimentName(), trackingUri: backend.trackingUri };
  }

  /** The producing run as a tag value: its run id (plus its tracking URI when it lives elsewhere). */
  private async describeRef(ref: TrackingRef | undefined): Promise<string> {
    if (!ref) return 'unknown';
    let runId = ref.mlflowRunId;
    if (!runId && ref.mlflowSpoolId) runId = (await this.backend?.resolveSpooled(ref.mlflowSpoolId)) ?? `spooled:${ref.mlflowSpoolId}`;
    if (!runId) return 'unknown';
    const uri = ref.trackingUri;
    return uri && uri !== this.backend?.trackingUri ? `${runId} (${this.redact(uri)})` : runId;
  }

  private state(node: NodeInfo): NodeState {
    return this.nodes.get(node.id) ?? this.freshState(node);
  }

  /** A node executed again in the same run (e.g. a retry) gets a new MLflow run. */
  private freshState(node: NodeInfo): NodeState {
    const state: NodeState = { node, buffer: [], seen: new Set(), latest: new Map(), finished: false, flushQueued: false };
    this.nodes.set(node.id, state);
    return state;
  }

  private experimentName(): string {
    return this.run?.track.experiment || this.run?.recipeName || 'Default';
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Runs `fn` after every earlier operation (one ordered stream per run); failures become warnings. */
  private enqueue(label: string, fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(() => this.guard(label, fn));
    return this.queue;
  }

  private async guard(label: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.warn(`MLflow: ${label} failed: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  private redact(text: string): string {
    return redactText(text, this.secrets);
  }

  private warn(msg: string): void {
    this.warnings++;
    if (this.warnings <= MAX_WARNINGS) this.opts.warn(this.redact(msg));
    else if (this.warnings === MAX_WARNINGS + 1) this.opts.warn('MLflow: further tracking warnings suppressed');
  }
}

/** Parent-run params: `vars.<name>` (nested values as dotted keys) and `override.<path>` for each -S. */
function runParams(run: RunInfo): { key: string; value: string }[] {
  const vars = flattenParams(run.vars ?? {}).map((p) => ({ ...p, key: `vars.${p.key}` }));
  const overrides = (run.overrides ?? []).map((text) => {
    const eq = text.indexOf('=');
    return eq < 0 ? { key: `override.${text}`, value: '' } : { key: `override.${text.slice(0, eq).trim()}`, value: text.slice(eq + 1) };
  });
  const extra = Object.entries(run.params ?? {}).map(([key, value]) => ({ key, value }));
  return [...vars, ...overrides, ...extra];
}

/** A stored reference as the backend's handle of that run. */
function handleOf(ref: TrackingRef): RunHandle {
  return ref.mlflowRunId ? { runId: ref.mlflowRunId, experimentId: ref.experimentId || undefined } : { spoolId: ref.mlflowSpoolId };
}

function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function pointId(p: MetricPoint): string {
  return `${p.name}\u0000${p.step}\u0000${p.timestamp}\u0000${p.value}`;
}

/** MLflow's "latest" value: the greatest (step, timestamp). */
function isLater(a: MetricPoint, b: MetricPoint): boolean {
  return a.step !== b.step ? a.step > b.step : a.timestamp >= b.timestamp;
}

function latestByName(points: MetricPoint[]): MetricPoint[] {
  const latest = new Map<string, MetricPoint>();
  for (const p of points) {
    const cur = latest.get(p.name);
    if (!cur || isLater(p, cur)) latest.set(p.name, p);
  }
  return [...latest.values()];
}

/** 20250102-030405 (UTC): readable and sortable in the run list. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*/, '');
}
