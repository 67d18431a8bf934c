// Runs the misses of a plan on a local pool, each node in its own process, under a per-key lease.
// Nodes with equal keys are one unit of work. A failure is never cached; a cancel leaves no partial entry.
import { appendFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { Plan, PlannedNode } from '../graph/plan.js';
import type { Manifest } from '../store/manifest.js';
import type { Store } from '../store/store.js';
import type { MetricPoint, NodeInfo, RunObserver, TrackingRef } from '../track/observer.js';
import type { Display, Outcome } from './display.js';
import { runInProcess } from './local-process.js';
import { gpuRequestProblem } from './gpus.js';
import { parseTimeLimit } from './time-limit.js';
import type { NodeJob } from './protocol.js';
import { secretMasker } from '../util/secrets.js';

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
  observer: RunObserver;
  display: Display;
  env?: NodeJS.ProcessEnv;
  /** GPU device ids nodes may take (resources.gpus); none by default. */
  gpus?: string[];
  /** Logs of cached nodes: all lines, the last REPLAY_TAIL_LINES, or none (default). */
  replayLogs?: ReplayMode;
  /** With --target: the nodes the run is about; cached nodes outside it are not reported. */
  scope?: ReadonlySet<string>;
}

export interface NodeOutcome { id: string; key: string; outcome: Outcome; durationMs?: number; error?: string; metrics: MetricPoint[] }

export interface ExecuteResult { outcomes: Map<string, NodeOutcome>; status: 'ok' | 'failed' | 'cancelled' }

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
  const { store, observer, display } = opts;
  const env = opts.env ?? process.env;
  const mask = secretMasker(env);
  const outcomes = new Map<string, NodeOutcome>();
  const jobs = Math.max(1, opts.jobs ?? cpus().length);
  const freeGpus = [...(opts.gpus ?? [])];
  const gpuProblem = gpuRequestProblem(plan, freeGpus.length);
  if (gpuProblem) throw new Error(gpuProblem);

  // Hits first: report them (with their stored log and metrics).
  for (const id of plan.order) {
    const node = plan.nodes.get(id)!;
    if (node.status !== 'hit' || !node.manifest || (opts.scope && !opts.scope.has(id))) continue;
    outcomes.set(id, { id, key: node.key, outcome: 'hit', metrics: node.manifest.metrics, durationMs: 0 });
    if (opts.replayLogs && opts.replayLogs !== 'none') await replayLog(store, node, display, opts.replayLogs, mask);
    display.nodeEnded(id, 'hit');
    await observer.nodeCached(nodeInfo(node), node.manifest.tracking, node.manifest.metrics);
  }

  // Units of work: one per distinct key among the nodes to run.
  const units = new Map<string, PlannedNode[]>();
  for (const id of plan.order) {
    const node = plan.nodes.get(id)!;
    if (!node.run) continue;
    const list = units.get(node.key) ?? [];
    list.push(node);
    units.set(node.key, list);
  }
  const keyOfNode = new Map<string, string>();
  for (const id of plan.order) keyOfNode.set(id, plan.nodes.get(id)!.key);
  const depsOf = (key: string): Set<string> => {
    const deps = new Set<string>();
    for (const node of units.get(key)!) for (const up of node.spec.upstream) {
      const upKey = keyOfNode.get(up)!;
      if (units.has(upKey) && upKey !== key) deps.add(upKey);
    }
    return deps;
  };
  // Each unit counts its unfinished upstream units; a finished unit releases its dependents.
  const waiting = new Set(units.keys());
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const ready: string[] = [];
  for (const key of units.keys()) {
    const deps = depsOf(key);
    remaining.set(key, deps.size);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), key]);
    if (deps.size === 0) ready.push(key);
  }
  const running = new Set<Promise<void>>();
  let stopLaunching = false;

  const finishUnit = (key: string, outcome: Outcome, extra: Partial<NodeOutcome> = {}) => {
    for (const node of units.get(key)!) {
      outcomes.set(node.spec.id, { id: node.spec.id, key, outcome, metrics: [], ...extra });
    }
    const ok = outcome === 'ran' || outcome === 'hit';
    waiting.delete(key);
    for (const dependent of dependents.get(key) ?? []) {
      if (!waiting.has(dependent)) continue;
      if (!ok && outcome !== 'cancelled') {
        const why = `upstream ${units.get(key)![0].spec.id} failed`;
        finishUnit(dependent, 'skipped', { error: why });
        for (const n of units.get(dependent)!) display.nodeEnded(n.spec.id, 'skipped', why);
        continue;
      }
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0 && ok) ready.push(dependent);
    }
  };

  const runUnit = async (key: string, gpus: string[] | undefined): Promise<void> => {
    const nodes = units.get(key)!;
    const lead = nodes[0];
    let lease: Awaited<ReturnType<Store['waitLease']>> | undefined;
    try {
      lease = await store.waitLease(key, {
        signal: opts.signal,
        onUnreadable: ({ path, expiresInMs }) => display.message(`warning: ${path} is not a valid lease file; ${lead.spec.id} waits until it expires in ${Math.ceil(expiresInMs / 1000)} s (delete it if no retort process is using this store)`),
      });
    } catch {
      finishUnit(key, 'cancelled');
      for (const n of nodes) display.nodeEnded(n.spec.id, 'cancelled');
      return;
    }
    try {
      // Another process may have published it while we waited for the lease (unless we must recompute it).
      const forced = lead.reason?.kind === 'forced';
      const again = forced ? { status: 'miss' as const } : await store.lookup(key);
      if (again.status === 'corrupt') display.message(`warning: ${lead.spec.id}: stored entry is corrupt (${again.reason}); recomputing`);
      if (again.status === 'hit') {
        await store.removeScratch(key); // a leftover of an attempt that crashed before this run's rival published
        finishUnit(key, 'hit', { metrics: again.manifest.metrics });
        for (const n of nodes) {
          display.nodeEnded(n.spec.id, 'hit', 'computed by another run');
          await observer.nodeCached(nodeInfo(n), again.manifest.tracking, again.manifest.metrics);
        }
        return;
      }
      // A forced recomputation must not resume from working files of an earlier attempt.
      if (forced) await store.removeScratch(key);
      // Losing the lease (e.g. a blocked event loop let it expire) stops the node: another process may take over.
      const result = await runOne(lead, store, { ...opts, signal: AbortSignal.any([opts.signal, lease.signal]) }, env, display, observer, mask, gpus);
      const outcome: Outcome = result.status === 'ok' ? 'ran' : result.status;
      finishUnit(key, outcome, { durationMs: result.durationMs, error: result.error, metrics: result.metrics });
      for (const n of nodes.slice(1)) display.nodeEnded(n.spec.id, outcome, `same key as ${lead.spec.id}`);
      if (result.status === 'failed' && !opts.keepGoing) stopLaunching = true;
    } finally {
      await lease.release();
    }
  };

  // `jobs` is a number of CPU slots: a node declaring resources.cpus takes that many (at most all).
  // Ready nodes start in order; one that does not fit yet waits, and so do those behind it.
  let slotsInUse = 0;
  const slotsOf = (key: string) => Math.min(jobs, Math.max(1, units.get(key)![0].spec.resources.cpus ?? 1));
  // GPUs are whole devices: a node waits until it can have as many distinct ones as it asks for.
  const gpusOf = (key: string) => units.get(key)![0].spec.resources.gpus ?? 0;
  const launchReady = () => {
    while (!stopLaunching && !opts.signal.aborted && ready.length) {
      const key = ready[0];
      if (!waiting.has(key)) { ready.shift(); continue; }
      const slots = slotsOf(key);
      if (slotsInUse + slots > jobs || gpusOf(key) > freeGpus.length) break;
      ready.shift();
      slotsInUse += slots;
      // With no GPUs in the run the environment is left alone; otherwise every node gets exactly its own.
      const gpus = opts.gpus?.length ? freeGpus.splice(0, gpusOf(key)) : undefined;
      const p: Promise<void> = runUnit(key, gpus).finally(() => {
        running.delete(p);
        slotsInUse -= slots;
        if (gpus) freeGpus.push(...gpus);
        freeGpus.sort(byDeviceOrder);
      });
      running.add(p);
    }
  };

  launchReady();
  while (running.size) {
    await Promise.race(running);
    launchReady();
  }
  // Whatever never started: skipped (after a failure without --keep-going) or cancelled.
  for (const key of [...waiting.keys()]) {
    const outcome: Outcome = opts.signal.aborted ? 'cancelled' : 'skipped';
    finishUnit(key, outcome, { error: opts.signal.aborted ? 'interrupted' : 'not started after an earlier failure' });
    for (const n of units.get(key)!) display.nodeEnded(n.spec.id, outcome, outcome === 'skipped' ? 'not started after an earlier failure (use --keep-going)' : undefined);
  }
  const all = [...outcomes.values()];
  const status = opts.signal.aborted ? 'cancelled' : all.some((o) => o.outcome === 'failed' || o.outcome === 'skipped' || o.outcome === 'cancelled') ? 'failed' : 'ok';
  return { outcomes, status };
}

function byDeviceOrder(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

interface RunResult { status: 'ok' | 'failed' | 'cancelled'; durationMs: number; error?: string; metrics: MetricPoint[] }

async function runOne(node: PlannedNode, store: Store, opts: ExecuteOptions, env: NodeJS.ProcessEnv, display: Display, observer: RunObserver,
  mask: (text: string) => string, gpus: string[] | undefined): Promise<RunResult> {
  const info = nodeInfo(node);
  const startedAt = Date.now();
  let staging: Awaited<ReturnType<Store['beginWrite']>>;
  try {
    staging = await store.beginWrite(node.key);
  } catch (err) {
    const error = mask(`could not prepare its entry in the store: ${storeErrorText(err, store)}`);
    display.nodeEnded(node.spec.id, 'failed', error);
    return { status: 'failed', durationMs: 0, error, metrics: [] };
  }
  const metrics: MetricPoint[] = [];
  let logChain = Promise.resolve();
  // Secrets are masked before a line is shown or stored.
  const log = (level: 'info' | 'warn' | 'error', raw: string) => {
    const message = mask(raw);
    display.nodeLog(node.spec.id, level, message);
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`;
    logChain = logChain.then(() => appendFile(staging.logPath, line)).catch(() => undefined);
  };
  display.nodeStarted(node.spec.id);
  let tracking: TrackingRef | undefined;
  try {
    tracking = (await observer.nodeStarted(info)) ?? undefined;
  } catch { /* trackers report their own problems; the run goes on */ }

  const job: NodeJob = {
    nodeId: node.spec.id, stage: node.spec.stage, key: node.key,
    plugin: {
      kind: node.spec.plugin.kind, entry: node.spec.plugin.entry, command: node.spec.plugin.command,
      outputs: Object.fromEntries(Object.entries(node.spec.plugin.def.outputs).map(([p, s]) => [p, { optional: s.optional }])),
    },
    params: node.spec.params,
    inputs: resolveInputs(node, store),
    outDir: staging.outDir,
    scratch: store.scratchDir(node.key),
    seed: seedFor(node),
    env: Object.fromEntries((node.spec.plugin.def.env ?? []).filter((n) => env[n] !== undefined).map((n) => [n, env[n]!])),
  };
  const outcome = await runInProcess(job, {
    onLog: log,
    onMetric: (name, value, step, timestamp) => {
      const point = { name, value, step, timestamp };
      metrics.push(point);
      observer.nodeMetric(info, point);
    },
    onProgress: (done, total) => display.nodeProgress(node.spec.id, done, total),
  }, {
    signal: opts.signal,
    env: gpus ? { ...process.env, CUDA_VISIBLE_DEVICES: gpus.join(',') } : undefined,
    memoryMb: node.spec.resources.memoryMb,
    timeLimitMs: node.spec.resources.timeLimit === undefined ? undefined : parseTimeLimit(node.spec.resources.timeLimit),
  });
  await logChain;
  const endedAt = Date.now();
  if (!outcome.ok) {
    await store.abort(staging);
    const status = outcome.cancelled ? 'cancelled' : 'failed';
    const error = outcome.error === undefined ? undefined : mask(outcome.error);
    display.nodeEnded(node.spec.id, status, error);
    await observer.nodeFinished(info, { status, metrics, startedAt, endedAt, error });
    return { status, durationMs: endedAt - startedAt, error, metrics };
  }
  let manifest: Manifest;
  try {
    manifest = await store.publish(staging, {
      keyStructure: node.structure, nodeId: node.spec.id, stage: node.spec.stage, recipe: opts.recipeName,
      plugin: { id: node.spec.plugin.def.id, version: node.spec.plugin.def.version },
      metrics, startedAt, endedAt, runId: opts.runId, tracking,
    }, { replace: node.reason?.kind === 'forced' });
  } catch (err) {
    await store.abort(staging).catch(() => undefined);
    const error = mask(`could not store the result: ${storeErrorText(err, store)}`);
    display.nodeEnded(node.spec.id, 'failed', error);
    await observer.nodeFinished(info, { status: 'failed', metrics, startedAt, endedAt, error });
    return { status: 'failed', durationMs: endedAt - startedAt, error, metrics };
  }
  display.nodeEnded(node.spec.id, 'ran');
  await observer.nodeFinished(info, { status: 'ok', metrics, startedAt, endedAt, artifactDir: store.entryDir(manifest.key) });
  return { status: 'ok', durationMs: endedAt - startedAt, metrics };
}

/** Says what a user can do about the common file-system failures; anything else as the system put it. */
function storeErrorText(err: unknown, store: Store): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `no space left on the device of the store (${store.root}); free some (retort gc) and run again`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `the store (${store.root}) is not writable: ${(err as Error).message}`;
  return (err as Error).message;
}

function resolveInputs(node: PlannedNode, store: Store): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [port, value] of Object.entries(node.spec.inputs)) {
    const keyInputs = node.structure.inputs[port];
    const refs = Array.isArray(value) ? value : [value];
    const keys = Array.isArray(keyInputs) ? keyInputs : [keyInputs];
    const paths = refs.map((ref, i) => {
      if (ref.kind === 'path') return ref.path;
      const k = keys[i] as { node: string; port: string };
      return store.portPath(k.node, ref.port);
    });
    out[port] = Array.isArray(value) ? paths : paths[0];
  }
  return out;
}

async function replayLog(store: Store, node: PlannedNode, display: Display, mode: 'tail' | 'all', mask: (text: string) => string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  let text = '';
  try { text = await readFile(store.logPath(node.key), 'utf8'); } catch { return; }
  const lines = text.split('\n').filter(Boolean);
  // A long log would bury the run's own output: by default say how to read the rest instead.
  const shown = mode === 'all' ? lines : lines.slice(-REPLAY_TAIL_LINES);
  const hidden = lines.length - shown.length;
  if (hidden > 0) display.nodeLog(node.spec.id, 'info', `… ${hidden} earlier line${hidden > 1 ? 's' : ''} (retort show ${node.key.slice(0, 12)} --log)`, true);
  for (const line of shown) {
    const m = /^\S+ (INFO|WARN|ERROR)\s+(.*)$/.exec(line);
    display.nodeLog(node.spec.id, (m?.[1].toLowerCase() ?? 'info') as 'info', mask(m ? m[2] : line), true);
  }
}
