// Retort's run lifecycle as MLflow runs: one parent run per `retort run`, one child run per executed
// node (tag mlflow.parentRunId), params = the node's resolved params as dotted keys, metrics with steps.
// A cache hit creates no run: the parent gets that node's final metrics as `<node>/<metric>`, so the
// parent shows every result of the recipe, and one line in the run's list of cached nodes (one tag
// and one artifact per run, see cached-records.ts) naming the run that produced it.
// A sweep's run adds a run per trial between the two (see sweep-runs.ts for the layout).
// The same logic drives the REST backend and the local FileStore backend. Hooks never throw:
// failures become warnings (credentials redacted), and the run goes on.

import { randomUUID } from 'node:crypto';
import type { KeyValue, Metric, RunHandle, RunStatus, TrackingBackend } from './backend.js';
import { BatchPreparer } from './batch-prep.js';
import { CACHED_ARTIFACT, CACHED_COUNT_TAG, cachedRow, cachedTable } from './cached-records.js';
import { flattenParams } from './flatten-params.js';
import { nodeKeySegment, sanitizeKey } from './keys.js';
import type { CachedHit, MetricPoint, NodeInfo, NodeResult, RunInfo, RunObserver, RunSummary, TrackingRef } from './observer.js';
import { redactText, secretsFromEnv } from './redact.js';
import { gitCommit, osUser } from './run-context.js';
import { trialList, trialsByNode, trialStatus, type TrialRunInfo, type TrialRunState } from './sweep-runs.js';
import type { NodeId } from '../util/ids.js';

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
/** Cached nodes' metrics held for the run's end before they are sent early (bounds memory). */
const CACHED_HELD_MAX = 100_000;
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
  private readonly nodes = new Map<NodeId, NodeState>();
  /** Cached nodes' final metrics waiting to be sent, by the run they go to. */
  private readonly cachedMetrics = new Map<RunHandle, Metric[]>();
  /** Cached nodes as lines of `retort/cached.tsv`, by run: written once, when the run ends. */
  private readonly cachedRows = new Map<RunHandle, string[]>();
  /** Cached nodes heard and not yet gathered: one queued task gathers every node heard before it runs. */
  private cachedHeard: CachedHit[] = [];
  private cachedHeld = 0;
  /** A sweep's trials by id, and the trials of each node (empty outside a sweep). */
  private readonly trials = new Map<string, TrialRunState>();
  private nodeTrials = new Map<NodeId, string[]>();
  private readonly redactedUris = new Map<string, string>();
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
      if (run.sweep) await this.startTrials(run);
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
        ...this.trialTags(node),
      ]);
      state.handle = await backend.createRun({
        experimentName: this.experimentName(),
        runName: node.id,
        startTime: this.now(),
        tags,
        parent: this.parentOf(node),
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
    this.hear(node, result.status);
    await this.enqueue(`finishing the MLflow run of ${node.id}`, async () => {
      // Each step is guarded on its own: a rejected metric batch must not leave the run RUNNING.
      await this.guard(`sending metrics of ${node.id}`, () => this.flush(state));
      await this.guard(`logging ${node.id} results on the parent run`, () => this.logOnParent(node, [...state.latest.values()], state.handle));
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

  /**
   * Records a cache hit without waiting for it: the hits of a run arrive back to back (thousands in a
   * no-op run of a large recipe), so they are gathered by queued tasks and sent when the run ends:
   * their metrics as one batch per run (the backends chunk to MLflow's limits), the list of them as
   * one tag and one artifact per run.
   */
  async nodeCached(node: NodeInfo, producedBy: TrackingRef | undefined, metrics: MetricPoint[]): Promise<void> {
    this.hear(node, 'hit');
    this.cachedHeard.push({ node, producedBy, metrics });
    if (this.cachedHeard.length === 1) void this.enqueue('recording cached nodes', () => this.gatherCached());
  }

  /** The hits of a run found at plan time, in one call: gathered as nodeCached gathers them. */
  async nodesCached(hits: readonly CachedHit[]): Promise<void> {
    if (!hits.length) return;
    const first = this.cachedHeard.length === 0;
    for (const hit of hits) {
      this.hear(hit.node, 'hit');
      this.cachedHeard.push(hit);
    }
    if (first) void this.enqueue('recording cached nodes', () => this.gatherCached());
  }

  /** Turns the cached nodes heard so far into metrics and list lines of their runs (sent by flushCached). */
  private async gatherCached(): Promise<void> {
    const heard = this.cachedHeard;
    this.cachedHeard = [];
    if (!this.backend || !this.parent) return;
    // Outside a sweep every hit goes to the run itself (thousands of hits: no list per node then).
    const parentOnly = [this.parent];
    const sweep = this.nodeTrials.size > 0;
    const parentRows = !sweep && heard.length ? listOf(this.cachedRows, this.parent) : undefined;
    for (const { node, producedBy, metrics } of heard) {
      // A run id needs no lookup; only a spooled run's is resolved (and awaited: never once per hit otherwise).
      const produced = !producedBy ? undefined
        : producedBy.mlflowRunId ? this.refText(producedBy.mlflowRunId, producedBy.trackingUri) : await this.describeRef(producedBy);
      const row = cachedRow(node.id, node.key, produced ?? '');
      if (parentRows && !metrics.length) { parentRows.push(row); continue; } // most hits of a large no-op run
      const finals = metrics.length ? finalMetrics(nodeKeySegment(node.id), metrics) : [];
      for (const run of sweep ? this.resultRuns(node) : parentOnly) {
        listOf(this.cachedRows, run).push(row);
        if (finals.length) pushTo(this.cachedMetrics, run, finals);
        this.cachedHeld += finals.length;
      }
    }
    if (this.cachedHeld >= CACHED_HELD_MAX) await this.flushCachedMetrics();
  }

  /** Sends the cached nodes' metrics, then each run's count tag and list artifact (once per run). */
  private async flushCached(): Promise<void> {
    await this.flushCachedMetrics();
    const backend = this.backend;
    if (!backend) return;
    const waiting = [...this.cachedRows];
    this.cachedRows.clear();
    for (const [run, rows] of waiting) {
      await backend.logBatch(run, { tags: [{ key: CACHED_COUNT_TAG, value: String(rows.length) }] });
      await backend.logArtifact(run, CACHED_ARTIFACT, { content: cachedTable(rows) });
    }
  }

  private async flushCachedMetrics(): Promise<void> {
    const backend = this.backend;
    if (!backend) return;
    const waiting = [...this.cachedMetrics];
    this.cachedMetrics.clear();
    this.cachedHeld = 0;
    for (const [run, metrics] of waiting) await backend.logBatch(run, { metrics: this.prep.metrics(metrics) });
  }

  /** The trial runs of a sweep, nested under its run; a trial that comes back whole from the store is linked to its earlier run instead. */
  private async startTrials(run: RunInfo): Promise<void> {
    const sweep = run.sweep!;
    const backend = this.backend!;
    const parent = this.parent!;
    this.nodeTrials = trialsByNode(sweep);
    const links: KeyValue[] = [{ key: 'retort.sweep', value: sweep.id }, { key: 'retort.trialCount', value: String(sweep.trials.length) }];
    for (const info of sweep.trials) {
      const state: TrialRunState = { info, heard: new Map(), finished: false };
      this.trials.set(info.id, state);
      if (info.linkTo) { links.push({ key: `retort.trial/${sanitizeKey(info.id)}`, value: info.linkTo }); continue; }
      await this.guard(`starting the MLflow run of trial ${info.id}`, async () => {
        state.handle = await backend.createRun({
          experimentName: this.experimentName(),
          runName: info.id,
          startTime: run.startedAt,
          tags: this.prep.tags([
            { key: 'mlflow.runName', value: info.id }, ...this.systemTags,
            { key: 'retort.sweep', value: sweep.id }, { key: 'retort.trial', value: info.id },
            ...Object.entries(info.tags).map(([key, value]) => ({ key, value: String(value) })),
          ]),
          parent,
          clientRunId: randomUUID().replace(/-/g, ''),
        });
        const { params, overflow } = this.prep.params(trialParams(run, info));
        if (params.length) await backend.logBatch(state.handle, { params });
        for (const full of overflow) {
          const path = `retort/params/${full.key}.txt`;
          this.warn(`MLflow: param "${full.key}" of trial ${info.id} is longer than 500 characters; truncated, full value logged as artifact ${path}`);
          await backend.logArtifact(state.handle, path, { content: full.value });
        }
      });
    }
    await backend.logBatch(parent, { tags: this.prep.tags(links) });
  }

  /** A node of one trial nests under that trial's run; any other node (shared, or outside a sweep) under the run itself. */
  private parentOf(node: NodeInfo): RunHandle | undefined {
    const trials = this.nodeTrials.get(node.id);
    const only = trials?.length === 1 ? trials[0] : undefined;
    return (only === undefined ? undefined : this.trials.get(only)?.handle) ?? this.parent;
  }

  /** The runs a node's final metrics go to: its trials' runs, and the run itself for a shared node (or outside a sweep). */
  private resultRuns(node: NodeInfo): RunHandle[] {
    const trials = this.nodeTrials.get(node.id) ?? [];
    const runs = trials.map((t) => this.trials.get(t)?.handle).filter((h): h is RunHandle => h !== undefined);
    return trials.length === 1 || !this.parent ? runs : [this.parent, ...runs];
  }

  private trialTags(node: NodeInfo): KeyValue[] {
    const trials = this.nodeTrials.get(node.id);
    if (!trials?.length) return [];
    const [only] = trials;
    if (trials.length === 1 && only !== undefined) return [{ key: 'retort.trial', value: only }];
    return [{ key: 'retort.trials', value: trialList(trials) }, { key: 'retort.trialCount', value: String(trials.length) }];
  }

  /** How a node ended, for the trials it belongs to. */
  private hear(node: NodeInfo, end: 'hit' | NodeResult['status']): void {
    const trials = this.nodeTrials.get(node.id);
    if (trials) for (const t of trials) this.trials.get(t)?.heard.set(node.id, end);
  }

  /** Each trial run ends as its nodes did. */
  private async finishTrials(summary: RunSummary): Promise<void> {
    const backend = this.backend!;
    for (const state of this.trials.values()) {
      const handle = state.handle;
      if (!handle || state.finished) continue;
      const status = trialStatus(state, STATUS[summary.status] as 'FINISHED' | 'FAILED' | 'KILLED');
      const ends = [...state.heard.values()];
      const tags = [
        { key: 'retort.status', value: status === 'FINISHED' ? 'ok' : status === 'FAILED' ? 'failed' : 'cancelled' },
        { key: 'retort.hits', value: String(ends.filter((e) => e === 'hit').length) },
        { key: 'retort.ran', value: String(ends.filter((e) => e === 'ok').length) },
        { key: 'retort.failed', value: String(ends.filter((e) => e === 'failed').length) },
      ];
      await this.guard(`tagging the MLflow run of trial ${state.info.id}`, () => backend.logBatch(handle, { tags }));
      await this.guard(`ending the MLflow run of trial ${state.info.id}`, () => backend.updateRun(handle, status, summary.endedAt));
      state.finished = true;
    }
  }

  trialRef(trialId: string): TrackingRef | undefined {
    const handle = this.trials.get(trialId)?.handle;
    return this.backend && handle ? this.refFor(handle) : undefined;
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
      await this.finishTrials(summary);
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
      for (const trial of this.trials.values()) {
        const handle = trial.handle;
        if (trial.finished || !handle) continue;
        // A trial whose nodes all ended before the interruption keeps the end they had.
        await this.guard(`ending the MLflow run of trial ${trial.info.id}`, () => backend.updateRun(handle, trialStatus(trial, 'KILLED'), this.now()));
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

  /**
   * A node's final metrics as `<node>/<metric>` on the parent run (in a sweep: on its trials' runs,
   * and the sweep's for a shared node); a shared node's trials also get a tag naming its run.
   */
  private async logOnParent(node: NodeInfo, finals: MetricPoint[], nodeRun: RunHandle | undefined): Promise<void> {
    const backend = this.backend;
    if (!backend || !this.parent) return;
    const prefix = nodeKeySegment(node.id);
    // Names were already reported when the node logged them; derived keys are sanitised silently.
    const metrics = this.prep.metrics(finals.map((p) => ({ key: sanitizeKey(`${prefix}/${sanitizeKey(p.name)}`), value: p.value, timestamp: p.timestamp, step: p.step })));
    const shared = (this.nodeTrials.get(node.id)?.length ?? 0) > 1 && nodeRun ? [{ key: `retort.shared/${prefix}`, value: (await this.describeRef(this.refFor(nodeRun))) ?? 'unknown' }] : [];
    for (const run of this.resultRuns(node)) {
      const tags = run === this.parent ? [] : shared;
      if (metrics.length || tags.length) await backend.logBatch(run, { metrics, ...(tags.length ? { tags } : {}) });
    }
  }

  private refFor(handle: RunHandle): TrackingRef {
    const backend = this.backend!;
    if (handle.runId) return { mlflowRunId: handle.runId, experimentId: handle.experimentId ?? '', trackingUri: backend.trackingUri };
    return { mlflowSpoolId: handle.spoolId ?? '', experimentName: this.experimentName(), trackingUri: backend.trackingUri };
  }

  /** The producing run as text: its run id (plus its tracking URI when it lives elsewhere); undefined when unknown. */
  private async describeRef(ref: TrackingRef | undefined): Promise<string | undefined> {
    if (!ref) return undefined;
    let runId = ref.mlflowRunId;
    if (!runId && ref.mlflowSpoolId) runId = (await this.backend?.resolveSpooled(ref.mlflowSpoolId)) ?? `spooled:${ref.mlflowSpoolId}`;
    if (!runId) return undefined;
    return this.refText(runId, ref.trackingUri);
  }

  /** A run id as describeRef gives it: with its tracking URI when that is not this backend's. */
  private refText(runId: string, uri: string | undefined): string {
    if (!uri || uri === this.backend?.trackingUri) return runId;
    // Thousands of hits name a few stores: each URI is redacted once.
    let shown = this.redactedUris.get(uri);
    if (shown === undefined) this.redactedUris.set(uri, (shown = this.redact(uri)));
    return `${runId} (${shown})`;
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

/**
 * Trial-run params: the run's `-S` overrides, then the trial's own values (`override.<path>`, a
 * variant's name as `variant`), and the trial's resolved vars.
 */
function trialParams(run: RunInfo, trial: TrialRunInfo): { key: string; value: string }[] {
  const byKey = new Map<string, string>();
  for (const p of runParams({ ...run, vars: trial.vars, params: undefined })) byKey.set(p.key, p.value);
  for (const [path, value] of Object.entries(trial.assignments)) {
    byKey.set(path === 'variant' ? 'variant' : `override.${path}`, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** A stored reference as the backend's handle of that run. */
function handleOf(ref: TrackingRef): RunHandle {
  return ref.mlflowRunId ? { runId: ref.mlflowRunId, experimentId: ref.experimentId || undefined } : { spoolId: ref.mlflowSpoolId };
}

function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A cached node's final metrics as `<node>/<metric>` keys of the runs its results go to. */
function finalMetrics(prefix: string, metrics: MetricPoint[]): Metric[] {
  return latestByName(metrics).map((p) => ({ key: sanitizeKey(`${prefix}/${sanitizeKey(p.name)}`), value: p.value, timestamp: p.timestamp, step: p.step }));
}

/** The run's list in `map`, made empty the first time. */
function listOf<T>(map: Map<RunHandle, T[]>, run: RunHandle): T[] {
  let list = map.get(run);
  if (!list) map.set(run, (list = []));
  return list;
}

function pushTo<T>(map: Map<RunHandle, T[]>, run: RunHandle, items: T[]): void {
  const list = map.get(run);
  if (list) list.push(...items);
  else map.set(run, [...items]);
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
