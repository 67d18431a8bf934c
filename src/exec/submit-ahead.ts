// The scheduler's loop for executors that submit ahead (a cluster): every unit of work becomes one
// job, submitted in topological order with the handles of its unfinished upstream jobs, without
// waiting for any to finish. The jobs take the leases and publish the entries; this loop turns
// what they report into the run's events, settles failures and their dependents, and cancels what
// is left when the run stops.
import type { PlannedNode } from '../graph/plan.js';
import type { Store } from '../store/store.js';
import type { EventSink, NodeResult } from './events.js';
import type { NodeSubmission, SubmissionResult, SubmittedJob, SubmittingExecutor } from './executor.js';
import type { Failure } from './failure.js';
import type { NodeInfo } from '../track/observer.js';
import type { Units } from './units.js';
import type { Key } from '../util/ids.js';

export interface AheadContext {
  executor: SubmittingExecutor;
  store: Store;
  events: EventSink;
  signal: AbortSignal;
  keepGoing: boolean;
  mask(text: string): string;
  nodeInfo(node: PlannedNode): NodeInfo;
  /** Units of work by key, in topological order; the lead node first. */
  units: Units;
  /** The units a unit consumes. */
  depsOf(key: Key): Set<Key>;
  /** Units not settled yet. */
  waiting: ReadonlySet<Key>;
  /** Ends a unit's nodes (and takes its dependents with it when it failed, naming `log`). */
  finishUnit(key: Key, result: NodeResult, leadReported?: boolean, log?: string): void;
  /** A unit another run published while its job waited: its nodes are hits. */
  settleHit(key: Key, metrics: SubmissionResult['metrics']): Promise<void>;
}

export async function submitAhead(ctx: AheadContext): Promise<void> {
  const { executor, events, signal } = ctx;
  const handles = new Map<Key, string>();
  const started = new Set<Key>();
  /** Units whose jobs this loop asked the cluster to cancel. */
  const cancelled = new Set<Key>();
  const settling: Promise<void>[] = [];
  let stopped = false;

  /** Cancels the unsettled jobs (or only those still queued) and says which. */
  const cancel = async (which: 'all' | 'queued', why: string) => {
    const keys = [...handles.keys()].filter((k) => ctx.waiting.has(k) && !cancelled.has(k) && (which === 'all' || !started.has(k)));
    for (const k of keys) cancelled.add(k);
    const ids = keys.map((k) => handles.get(k)!);
    if (!ids.length) return;
    const named = keys.map((k) => `${handles.get(k)} (${ctx.units.lead(k).spec.id})`).join(', ');
    try {
      await executor.cancel(ids);
      await events.emit({ type: 'warning', message: `${why}: cancelled ${executor.clusterName} job${ids.length > 1 ? 's' : ''} ${named}` });
    } catch (err) {
      await events.emit({ type: 'warning', message: `${why}: could not cancel ${executor.clusterName} jobs ${ids.join(', ')} (${ctx.mask((err as Error).message)}); they may still be queued` });
    }
  };
  const onAbort = () => { stopped = true; settling.push(cancel('all', 'interrupted')); };
  signal.addEventListener('abort', onAbort, { once: true });

  const settle = async (key: Key, r: SubmissionResult) => {
    // Settled already: an upstream node failed and the cluster cancels this job through its dependency.
    if (!ctx.waiting.has(key)) return;
    if (r.outcome === 'hit') { await ctx.settleHit(key, r.metrics); return; }
    if (r.outcome === 'ran') {
      ctx.finishUnit(key, { outcome: 'ran', metrics: r.metrics, startedAt: r.startedAt, endedAt: r.endedAt, artifactDir: ctx.store.entryDir(key) });
      return;
    }
    // A job this run cancelled after a failure (not an interrupt) never got its turn.
    const notStarted = r.outcome === 'cancelled' && stopped && !signal.aborted && !started.has(key);
    const failure: Failure = notStarted ? { kind: 'not-started' } : r.failure;
    const outcome = notStarted ? 'skipped' : r.outcome === 'cancelled' ? 'cancelled' : 'failed';
    ctx.finishUnit(key, { outcome, failure, metrics: r.metrics, startedAt: r.startedAt, endedAt: r.endedAt }, false, r.log);
    if (outcome === 'failed' && !ctx.keepGoing && !stopped) {
      stopped = true;
      await cancel('queued', `${ctx.units.lead(key).spec.id} failed`);
    }
  };

  try {
    const submission = (key: Key, after: string[]): NodeSubmission => {
      const lead = ctx.units.lead(key);
      return {
        node: lead,
        after,
        started: async () => {
          started.add(key);
          const { tracking } = await events.emit({ type: 'node-started', node: ctx.nodeInfo(lead) });
          return tracking;
        },
        report: (r) => {
          switch (r.type) {
            case 'log': events.post({ type: 'node-log', nodeId: lead.spec.id, level: r.level, line: ctx.mask(r.line), cached: false }); break;
            case 'metric': events.post({ type: 'node-metric', node: ctx.nodeInfo(lead), point: { name: r.name, value: r.value, step: r.step, timestamp: r.timestamp } }); break;
            case 'progress': events.post({ type: 'node-progress', nodeId: lead.spec.id, done: r.done, total: r.total }); break;
            case 'queued': events.post({ type: 'node-queued', nodeId: lead.spec.id, reason: r.reason }); break;
            case 'retry': events.post({ type: 'node-retry', nodeId: lead.spec.id, attempt: r.attempt, maxAttempts: r.maxAttempts, reason: ctx.mask(r.reason) }); break;
          }
        },
      };
    };
    const afterOf = (key: Key) => [...ctx.depsOf(key)].filter((k) => ctx.waiting.has(k)).map((k) => handles.get(k)!);
    const keys = [...ctx.units.keys()];
    for (let i = 0; i < keys.length;) {
      if (stopped || signal.aborted) break;
      const key = keys[i]!;
      if (!ctx.waiting.has(key)) { i++; continue; } // an upstream node failed already
      // Members of one foreach that ask for the same resources and wait for the same jobs go as one array.
      const group = executor.submitGroup ? alikeMembers(keys, i, ctx, afterOf) : [key];
      const lead = ctx.units.lead(key);
      const requests = group.map((k) => submission(k, afterOf(k)));
      let jobs: SubmittedJob[];
      try {
        jobs = executor.submitGroup && requests.length > 1 ? await executor.submitGroup(requests) : await Promise.all(requests.map((r) => executor.submit(r)));
      } catch (err) {
        // Nothing more is submitted; what was is cancelled, and the user is told which jobs those were.
        for (const k of group) ctx.finishUnit(k, { outcome: 'failed', failure: { kind: 'submit-failed', message: ctx.mask((err as Error).message) }, metrics: [] });
        stopped = true;
        await cancel('all', `${lead.spec.id} could not be submitted`);
        break;
      }
      i += group.length;
      for (const [j, request] of requests.entries()) {
        const job = jobs[j];
        if (!job) throw new Error(`internal: ${executor.clusterName} returned ${jobs.length} jobs for ${requests.length} submissions`);
        const k = request.node.key;
        handles.set(k, job.handle);
        await events.emit({ type: 'node-submitted', nodeId: request.node.spec.id, job: job.handle, after: request.after });
        settling.push(job.result.then((r) => settle(k, r)));
      }
      // Stopped while this job was being submitted: the cancel that went out before did not know it.
      if (signal.aborted) settling.push(cancel('all', 'interrupted'));
      else if (stopped) settling.push(cancel('queued', 'stopped'));
    }
    // Results may start further cancels while they settle: wait until nothing new is added.
    let awaited = 0;
    while (awaited < settling.length) {
      const batch = settling.slice(awaited);
      awaited = settling.length;
      await Promise.all(batch);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The units from keys[i] on that can share one array job: consecutive members of the same foreach
 * stage, with equal resources, waiting for the same jobs. Just keys[i] when it is not such a member.
 */
function alikeMembers(keys: Key[], i: number, ctx: AheadContext, afterOf: (key: Key) => string[]): Key[] {
  const first = keys[i]!;
  const lead = ctx.units.lead(first).spec;
  if (lead.item === undefined) return [first];
  const resources = JSON.stringify(lead.resources);
  const after = afterOf(first).sort().join(',');
  const group = [first];
  for (let j = i + 1; j < keys.length; j++) {
    const key = keys[j]!;
    const spec = ctx.units.lead(key).spec;
    if (!ctx.waiting.has(key) || spec.stage !== lead.stage || spec.item === undefined || JSON.stringify(spec.resources) !== resources) break;
    if (afterOf(key).sort().join(',') !== after) break;
    group.push(key);
  }
  return group;
}
