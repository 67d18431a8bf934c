// Runs the misses of a plan with an executor (each node in its own process, locally), under a per-key
// lease, and tells what happens as run events. Nodes with equal keys are one unit of work. A failure
// is never cached; a cancel leaves no partial entry.
import { appendFile, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { Plan, PlannedNode } from '../graph/plan.js';
import type { Manifest, ManifestFile } from '../store/manifest.js';
import type { NodeOutcome, RunStatus } from '../store/runs.js';
import type { Store } from '../store/store.js';
import type { CachedHit, MetricPoint, NodeInfo } from '../track/observer.js';
import type { EventSink, NodeResult, Recomputed, RunEvent } from './events.js';
import { submitsAhead, type AnyExecutor, type NodeExecutor } from './executor.js';
import { inputPaths } from './input-paths.js';
import { submitAhead } from './submit-ahead.js';
import { Units } from './units.js';
import { maskFailure, storeFailure, type Failure } from './failure.js';
import { gpuRequestProblem } from './gpus.js';
import { parseTimeLimit } from '../util/time-limit.js';
import type { NodeJob } from './protocol.js';
import { secretMasker } from '../util/secrets.js';
import type { Key, NodeId } from '../util/ids.js';

export type ReplayMode = 'tail' | 'all' | 'none';
/** Lines of a cached node's log shown by default. */
export const REPLAY_TAIL_LINES = 5;

export interface ExecuteOptions {
  store: Store;
  runId: string;
  recipeName: string;
  jobs?: number;
  keepGoing?: boolean;
  signal: AbortSignal;
  /** Runs each node's job (a local process), or submits it ahead (a cluster job that waits for its upstream jobs). */
  executor: AnyExecutor;
  /** Receives every event of the run; awaited where order matters (a node counts as finished once its end is handled). */
  events: EventSink;
  env?: NodeJS.ProcessEnv;
  /** GPU device ids nodes may take (resources.gpus); none by default. */
  gpus?: string[];
  /** Logs of cached nodes: all lines, the last REPLAY_TAIL_LINES, or none (default). */
  replayLogs?: ReplayMode;
  /** With --target: the nodes the run is about; cached nodes outside it are not reported. */
  scope?: ReadonlySet<NodeId>;
}

/** What became of one node of the plan, as the scheduler saw it. */
export interface NodeReport { id: NodeId; key: Key; outcome: NodeOutcome; durationMs?: number; failure?: Failure; metrics: MetricPoint[] }

export interface ExecuteResult { outcomes: Map<NodeId, NodeReport>; status: RunStatus }

export function nodeInfo(node: PlannedNode): NodeInfo {
  return {
    id: node.spec.id, stage: node.spec.stage, key: node.key,
    plugin: { id: node.spec.plugin.def.id, version: node.spec.plugin.def.version },
    params: node.spec.params, keyStructure: node.structure,
  };
}

/** ctx.seed: the `seed` param when there is one, else a number derived from the key. */
export function seedFor(node: PlannedNode): number {
  const s = node.spec.params.seed;
  return typeof s === 'number' && Number.isInteger(s) ? s : parseInt(node.key.slice(0, 8), 16);
}

export async function executePlan(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const { store, events } = opts;
  const env = opts.env ?? process.env;
  const mask = secretMasker(env);
  const outcomes = new Map<NodeId, NodeReport>();
  const jobs = Math.max(1, opts.jobs ?? cpus().length);
  const freeGpus = [...(opts.gpus ?? [])];
  const gpuProblem = gpuRequestProblem(plan, freeGpus.length);
  if (gpuProblem) throw new Error(gpuProblem);

  // Hits first: report them (with their stored log and metrics). Hits go out together, one event for
  // all those between two replayed logs (a node's replayed lines come before its hit).
  let hits: CachedHit[] = [];
  const reportHits = async () => {
    if (!hits.length) return;
    const nodes = hits;
    hits = [];
    await events.emit({ type: 'nodes-cached', nodes });
  };
  const replay = opts.replayLogs && opts.replayLogs !== 'none' ? opts.replayLogs : undefined;
  const { scope } = opts;
  // Units of work: one per distinct key among the nodes to run (gathered in the same pass as the hits).
  const units = new Units();
  let anyToRun = false;
  for (const id of plan.order) {
    const node = plan.nodes.get(id)!;
    if (node.run) { units.add(node); anyToRun = true; }
    const { manifest } = node;
    if (node.status !== 'hit' || !manifest || (scope && !scope.has(id))) continue;
    const { metrics } = manifest;
    outcomes.set(id, { id, key: node.key, outcome: 'hit', metrics, durationMs: 0 });
    const lines = replay ? await replayedLog(store, node, replay, mask) : undefined;
    if (lines?.length) {
      await reportHits();
      for (const line of lines) events.post(line);
    }
    hits.push({ node: nodeInfo(node), producedBy: manifest.tracking, metrics });
  }
  await reportHits();

  // Only a run with work to do needs the node → key lookup of its units' upstream nodes.
  const keyOfNode = new Map<NodeId, Key>();
  if (anyToRun) for (const id of plan.order) keyOfNode.set(id, plan.nodes.get(id)!.key);
  const depsOf = (key: Key): Set<Key> => {
    const deps = new Set<Key>();
    for (const node of units.get(key)) for (const up of node.spec.upstream) {
      const upKey = keyOfNode.get(up)!;
      if (units.has(upKey) && upKey !== key) deps.add(upKey);
    }
    return deps;
  };
  // Each unit counts its unfinished upstream units; a finished unit releases its dependents.
  const waiting = new Set(units.keys());
  const remaining = new Map<Key, number>();
  const dependents = new Map<Key, Key[]>();
  const ready: Key[] = [];
  for (const key of units.keys()) {
    const deps = depsOf(key);
    remaining.set(key, deps.size);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), key]);
    if (deps.size === 0) ready.push(key);
  }
  const running = new Set<Promise<void>>();
  let stopLaunching = false;

  const record = (node: PlannedNode, result: NodeResult) => {
    outcomes.set(node.spec.id, {
      id: node.spec.id, key: node.key, outcome: result.outcome, metrics: result.metrics,
      durationMs: result.startedAt !== undefined && result.endedAt !== undefined ? result.endedAt - result.startedAt : undefined,
      failure: result.outcome === 'ran' ? undefined : result.failure,
    });
  };
  /** Ends every node of a unit the same way (the lead's events were sent already when `leadReported`); `log`: the failed job's log. */
  const finishUnit = (key: Key, result: NodeResult, leadReported = false, log?: string) => {
    const [lead, ...rest] = units.get(key);
    record(lead, result);
    if (!leadReported) events.post({ type: 'node-finished', node: nodeInfo(lead), result });
    for (const node of rest) {
      const same: NodeResult = leadReported ? { ...result, sameKeyAs: lead.spec.id } : result;
      record(node, same);
      events.post({ type: 'node-finished', node: nodeInfo(node), result: same });
    }
    release(key, result, log);
  };
  /** A settled unit releases its dependents, or takes them with it when it failed. */
  const release = (key: Key, result: NodeResult | { outcome: 'hit' }, log?: string) => {
    waiting.delete(key);
    // Dependents of a failure are skipped, naming the node that failed (however far upstream).
    const failedUpstream: Failure | undefined = result.outcome === 'failed' ? { kind: 'upstream-failed', upstream: units.lead(key).spec.id, ...(log ? { log } : {}) }
      : result.outcome === 'skipped' && result.failure.kind === 'upstream-failed' ? result.failure : undefined;
    for (const dependent of dependents.get(key) ?? []) {
      if (!waiting.has(dependent)) continue;
      if (failedUpstream) { finishUnit(dependent, { outcome: 'skipped', failure: failedUpstream, metrics: [] }); continue; }
      if (result.outcome !== 'ran' && result.outcome !== 'hit') continue;
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  };

  const runUnit = async (key: Key, slots: number, gpus: string[] | undefined): Promise<void> => {
    const nodes = units.get(key);
    const lead = nodes[0];
    let lease: Awaited<ReturnType<Store['waitLease']>> | undefined;
    try {
      lease = await store.waitLease(key, {
        signal: opts.signal,
        onUnreadable: ({ path, expiresInMs }) => events.post({ type: 'warning', message: `${path} is not a valid lease file; ${lead.spec.id} waits until it expires in ${Math.ceil(expiresInMs / 1000)} s (delete it if no retort process is using this store)` }),
      });
    } catch {
      finishUnit(key, { outcome: 'cancelled', failure: { kind: 'cancelled' }, metrics: [] });
      return;
    }
    try {
      // Another process may have published it while we waited for the lease (unless we must recompute it).
      const forced = lead.reason?.kind === 'forced';
      const again = forced ? { status: 'miss' as const } : await store.lookup(key);
      if (again.status === 'corrupt') events.post({ type: 'warning', message: `${lead.spec.id}: stored entry is corrupt (${again.reason}); recomputing` });
      if (again.status === 'hit') {
        await store.removeScratch(key); // a leftover of an attempt that crashed before this run's rival published
        for (const n of nodes) {
          outcomes.set(n.spec.id, { id: n.spec.id, key, outcome: 'hit', metrics: again.manifest.metrics });
          await events.emit({ type: 'node-cached', node: nodeInfo(n), producedBy: again.manifest.tracking, metrics: again.manifest.metrics, detail: 'computed by another run' });
        }
        release(key, { outcome: 'hit' });
        return;
      }
      // A forced recomputation must not resume from working files of an earlier attempt.
      if (forced) await store.removeScratch(key);
      // Losing the lease (e.g. a blocked event loop let it expire) stops the node: another process may take over.
      const signal = AbortSignal.any([opts.signal, lease.signal]);
      const result = await runOne(lead, opts.executor as NodeExecutor, { store, opts, env, mask, signal, slots, gpus });
      finishUnit(key, result, true);
      if (result.outcome === 'failed' && !opts.keepGoing) stopLaunching = true;
    } finally {
      await lease.release();
    }
  };

  // `jobs` is a number of CPU slots: a node declaring resources.cpus takes that many (at most all).
  // Ready nodes start in order; one that does not fit yet waits, and so do those behind it.
  let slotsInUse = 0;
  const slotsOf = (key: Key) => Math.min(jobs, Math.max(1, units.lead(key).spec.resources.cpus ?? 1));
  // GPUs are whole devices: a node waits until it can have as many distinct ones as it asks for.
  const gpusOf = (key: Key) => units.lead(key).spec.resources.gpus ?? 0;
  const launchReady = () => {
    while (!stopLaunching && !opts.signal.aborted) {
      const key = ready[0];
      if (key === undefined) break;
      if (!waiting.has(key)) { ready.shift(); continue; }
      const slots = slotsOf(key);
      if (slotsInUse + slots > jobs || gpusOf(key) > freeGpus.length) break;
      ready.shift();
      slotsInUse += slots;
      // With no GPUs in the run the environment is left alone; otherwise every node gets exactly its own.
      const gpus = opts.gpus?.length ? freeGpus.splice(0, gpusOf(key)) : undefined;
      const p: Promise<void> = runUnit(key, slots, gpus).finally(() => {
        running.delete(p);
        slotsInUse -= slots;
        if (gpus) freeGpus.push(...gpus);
        freeGpus.sort(byDeviceOrder);
      });
      running.add(p);
    }
  };

  /** Nodes found in the store once their turn came (another run published them): hits, as in runUnit. */
  const settleHit = async (key: Key, metrics: MetricPoint[]) => {
    for (const n of units.get(key)) {
      outcomes.set(n.spec.id, { id: n.spec.id, key, outcome: 'hit', metrics });
      await events.emit({ type: 'node-cached', node: nodeInfo(n), metrics, detail: 'computed by another run' });
    }
    release(key, { outcome: 'hit' });
  };

  if (submitsAhead(opts.executor)) {
    await submitAhead({
      executor: opts.executor, store, events, signal: opts.signal, keepGoing: opts.keepGoing ?? false, mask, nodeInfo,
      units, depsOf, waiting, finishUnit, settleHit,
    });
  } else {
    launchReady();
    while (running.size) {
      await Promise.race(running);
      launchReady();
    }
  }
  // Whatever never started: skipped (after a failure without --keep-going) or cancelled.
  for (const key of [...waiting.keys()]) {
    if (!waiting.has(key)) continue;
    const failure: Failure = opts.signal.aborted ? { kind: 'cancelled' } : { kind: 'not-started' };
    finishUnit(key, { outcome: opts.signal.aborted ? 'cancelled' : 'skipped', failure, metrics: [] });
  }
  let settledBadly = false;
  for (const o of outcomes.values()) if (o.outcome === 'failed' || o.outcome === 'skipped' || o.outcome === 'cancelled') { settledBadly = true; break; }
  const status = opts.signal.aborted ? 'cancelled' : settledBadly ? 'failed' : 'ok';
  return { outcomes, status };
}

function byDeviceOrder(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

interface RunContext {
  store: Store;
  opts: ExecuteOptions;
  env: NodeJS.ProcessEnv;
  mask: (text: string) => string;
  signal: AbortSignal;
  slots: number;
  gpus: string[] | undefined;
}

/** Prepares the node's entry, runs its job with the executor, publishes the result; the node's events on the way. */
async function runOne(node: PlannedNode, executor: NodeExecutor, { store, opts, env, mask, signal, slots, gpus }: RunContext): Promise<NodeResult> {
  const { events } = opts;
  const info = nodeInfo(node);
  const finished = async (result: NodeResult): Promise<NodeResult> => {
    await events.emit({ type: 'node-finished', node: info, result });
    return result;
  };
  const startedAt = Date.now();
  let staging: Awaited<ReturnType<Store['beginWrite']>>;
  try {
    staging = await store.beginWrite(node.key);
  } catch (err) {
    return finished({ outcome: 'failed', failure: maskFailure(storeFailure(err, 'prepare', store.root), mask), metrics: [], startedAt, endedAt: startedAt });
  }
  const metrics: MetricPoint[] = [];
  let logChain = Promise.resolve();
  // Secrets are masked before a line is shown or stored.
  const log = (level: 'info' | 'warn' | 'error', raw: string) => {
    const line = mask(raw);
    events.post({ type: 'node-log', nodeId: node.spec.id, level, line, cached: false });
    const text = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${line}\n`;
    logChain = logChain.then(() => appendFile(staging.logPath, text)).catch(() => undefined);
  };
  const { tracking } = await events.emit({ type: 'node-started', node: info });

  const job: NodeJob = {
    nodeId: node.spec.id, stage: node.spec.stage, key: node.key,
    plugin: {
      kind: node.spec.plugin.kind, entry: node.spec.plugin.entry, command: node.spec.plugin.command,
      outputs: Object.fromEntries(Object.entries(node.spec.plugin.def.outputs).map(([p, s]) => [p, { optional: s.optional }])),
    },
    params: node.spec.params,
    inputs: inputPaths(node, store),
    outDir: staging.outDir,
    scratch: store.scratchDir(node.key),
    seed: seedFor(node),
    env: Object.fromEntries((node.spec.plugin.def.env ?? []).filter((n) => env[n] !== undefined).map((n) => [n, env[n]!])),
  };
  const { resources } = node.spec;
  const outcome = await executor.run({
    job,
    resources: {
      cpus: slots, gpus, memoryMb: resources.memoryMb,
      timeLimitMs: resources.timeLimit === undefined ? undefined : parseTimeLimit(resources.timeLimit),
    },
    signal,
    report: (r) => {
      switch (r.type) {
        case 'log': log(r.level, r.line); break;
        case 'metric': {
          const point = { name: r.name, value: r.value, step: r.step, timestamp: r.timestamp };
          metrics.push(point);
          events.post({ type: 'node-metric', node: info, point });
          break;
        }
        case 'progress': events.post({ type: 'node-progress', nodeId: node.spec.id, done: r.done, total: r.total }); break;
      }
    },
  });
  await logChain;
  const endedAt = Date.now();
  if (!outcome.ok) {
    await store.abort(staging);
    const failure = maskFailure(outcome.failure, mask);
    return finished({ outcome: failure.kind === 'cancelled' ? 'cancelled' : 'failed', failure, metrics, startedAt, endedAt });
  }
  const forced = node.reason?.kind === 'forced';
  // What a forced recomputation replaces, so the run can say whether the node reproduces its outputs.
  const replaced = forced ? await store.lookup(node.key).then((r) => (r.status === 'hit' ? r.manifest : undefined), () => undefined) : undefined;
  let manifest: Manifest;
  try {
    manifest = await store.publish(staging, {
      keyStructure: node.structure, nodeId: node.spec.id, stage: node.spec.stage, recipe: opts.recipeName,
      plugin: { id: node.spec.plugin.def.id, version: node.spec.plugin.def.version },
      metrics, startedAt, endedAt, runId: opts.runId, tracking,
    }, { replace: forced });
  } catch (err) {
    await store.abort(staging).catch(() => undefined);
    return finished({ outcome: 'failed', failure: maskFailure(storeFailure(err, 'publish', store.root), mask), metrics, startedAt, endedAt });
  }
  const recomputed = replaced ? compareOutputs(replaced.files, manifest.files) : undefined;
  return finished({ outcome: 'ran', metrics, startedAt, endedAt, artifactDir: store.entryDir(manifest.key), ...(recomputed ? { recomputed } : {}) });
}

/** Which output files differ between two entries of one key (by content hash; added and removed ones too). */
export function compareOutputs(before: readonly ManifestFile[], after: readonly ManifestFile[]): Recomputed {
  const old = new Map(before.map((f) => [f.path, f.sha256]));
  const now = new Map(after.map((f) => [f.path, f.sha256]));
  const changed = [...new Set([...old.keys(), ...now.keys()])].filter((path) => old.get(path) !== now.get(path)).sort();
  return { identical: changed.length === 0, changed };
}

/** A cached node's stored log as the run replays it: log events, none when the log is empty or gone. */
async function replayedLog(store: Store, node: PlannedNode, mode: 'tail' | 'all', mask: (text: string) => string): Promise<RunEvent[]> {
  let text: string;
  try { text = await readFile(store.logPath(node.key), 'utf8'); } catch { return []; }
  const lines = text.split('\n').filter(Boolean);
  // A long log would bury the run's own output: by default say how to read the rest instead.
  const shown = mode === 'all' ? lines : lines.slice(-REPLAY_TAIL_LINES);
  const hidden = lines.length - shown.length;
  const nodeId = node.spec.id;
  const events: RunEvent[] = [];
  if (hidden > 0) events.push({ type: 'node-log', nodeId, level: 'info', line: `… ${hidden} earlier line${hidden > 1 ? 's' : ''} (retort show ${node.key.slice(0, 12)} --log)`, cached: true });
  for (const line of shown) {
    const m = /^\S+ (INFO|WARN|ERROR)\s+(.*)$/.exec(line);
    events.push({ type: 'node-log', nodeId, level: (m?.[1]?.toLowerCase() ?? 'info') as 'info', line: mask(m?.[2] ?? line), cached: true });
  }
  return events;
}
