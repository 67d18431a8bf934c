// A detached Slurm run told to its tracker once its jobs have ended, as the typed events an attached
// run of the same plan would have sent: the run's start, its plan-time hits, each job's start,
// metrics (every point its log printed) and end with the job's own times, then the run's end. The
// tracker (the MLflow observer) is the same, so the run looks in MLflow as an attached run does.
import { readFile } from 'node:fs/promises';
import type { NodeOutcome, RunRecord, RunRecordNode, RunStatus } from '../../store/runs.js';
import type { MetricPoint, NodeInfo, RunInfo } from '../../track/observer.js';
import { emptyCounts, type NodeResult, type OutcomeCounts, type RunEvent, type RunSubscriber } from '../events.js';
import type { Failure } from '../failure.js';
import type { DetachedTracking } from './detached-tracking.js';
import type { JobResult } from './job-spec.js';
import { parseEventLine } from './run-node-job.js';
import type { JobState } from './states.js';
import type { Key, NodeId } from '../../util/ids.js';

/** What one job left: its result file, Slurm's last word on it, and its log. */
export interface SettledJob {
  result?: JobResult;
  state?: JobState;
  /** Why it failed, as `retort status` tells it (used when the job left no failure of its own). */
  detail?: string;
  log: string;
}

export interface ReplayRequest {
  /** The record as submitted (its nodes say which were plan-time hits and which had a job). */
  record: RunRecord;
  /** Each node's outcome now, by id. */
  outcomes: ReadonlyMap<NodeId, NodeOutcome>;
  /** Each job's files and state, by job id. */
  jobs: ReadonlyMap<string, SettledJob>;
  snapshot: DetachedTracking;
  status: RunStatus;
  endedAt: number;
  /** The store folder of a key (a ran node's artifact). */
  entryDir(key: Key): string;
  /** The tracker's subscriber (with the tables logged at the end, as `retort run` wires it). */
  tracking: RunSubscriber;
  /** Sets the tracker's clock: events are dated by when they happened, not by when they are replayed. */
  setClock(ms: number): void;
}

export async function replayDetachedRun(req: ReplayRequest): Promise<void> {
  const { record, snapshot } = req;
  const info = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const send = async (event: RunEvent) => { await req.tracking.handle(event); };
  try {
    req.setClock(record.startedAt);
    const run: RunInfo = {
      runId: record.runId, recipe: record.recipe, recipeName: record.recipeName, startedAt: record.startedAt,
      argv: record.argv, cwd: snapshot.cwd, track: snapshot.track, vars: snapshot.vars, overrides: record.overrides ?? [],
    };
    const hits = record.nodes.filter((n) => n.outcome === 'hit' && !n.job).length;
    await send({ type: 'run-started', run, totals: { nodes: record.nodes.length, hits, toRun: record.nodes.filter((n) => n.job).length } });

    for (const n of record.nodes) {
      const node = info.get(n.id);
      const cached = snapshot.cached[n.id];
      if (node && cached && !n.job) await send({ type: 'node-cached', node, ...(cached.producedBy ? { producedBy: cached.producedBy } : {}), metrics: cached.metrics });
    }

    // Nodes of one key share one job: the first of them (the lead) is the one the tracker hears run.
    const leads = new Map<string, RunRecordNode>();
    for (const n of record.nodes) if (n.job && !leads.has(n.job)) leads.set(n.job, n);
    for (const [job, lead] of leads) {
      const settled = req.jobs.get(job);
      const outcome = req.outcomes.get(lead.id);
      const node = info.get(lead.id);
      if (!settled || !outcome || !node) continue;
      const members = record.nodes.filter((n) => n.job === job).map((n) => info.get(n.id)).filter((m): m is NodeInfo => m !== undefined);
      await replayJob(node, members, outcome, settled, req, send);
    }

    req.setClock(req.endedAt);
    await send({ type: 'run-finished', status: req.status, counts: countOutcomes(record.nodes, req.outcomes), startedAt: record.startedAt, endedAt: req.endedAt });
  } finally {
    await req.tracking.close?.();
  }
}

async function replayJob(lead: NodeInfo, members: NodeInfo[], outcome: NodeOutcome, job: SettledJob, req: ReplayRequest,
  send: (event: RunEvent) => Promise<void>): Promise<void> {
  const { result, state } = job;
  // The job found its node published by someone else: every node of it is a hit, as when a run waits for another.
  if (outcome === 'hit') {
    for (const m of members) await send({ type: 'node-cached', node: m, metrics: result?.metrics ?? [], detail: 'computed by another run' });
    return;
  }
  const log = await readJobLog(job.log);
  // A node that never started (skipped for a failed upstream job, cancelled while queued) has no run of its own.
  if (outcome !== 'ran' && !log.started) return;
  const startedAt = result?.startedAt ?? stateTime(state, 'startedAt') ?? req.record.startedAt;
  const endedAt = result?.endedAt ?? stateTime(state, 'endedAt') ?? startedAt;
  req.setClock(startedAt);
  await send({ type: 'node-started', node: lead });
  for (const point of log.metrics) await send({ type: 'node-metric', node: lead, point });
  const metrics = result?.metrics ?? [];
  const end: NodeResult = outcome === 'ran'
    ? { outcome: 'ran', metrics, startedAt, endedAt, artifactDir: req.entryDir(lead.key) }
    : { outcome: outcome === 'cancelled' ? 'cancelled' : 'failed', failure: failureOf(job), metrics, startedAt, endedAt };
  req.setClock(endedAt);
  for (const m of members) await send({ type: 'node-finished', node: m, result: m === lead ? end : { ...end, sameKeyAs: lead.id } });
}

/** Whether the job's program started its node, and the metric points it printed, from the job's log. */
export async function readJobLog(path: string): Promise<{ started: boolean; metrics: MetricPoint[] }> {
  let text = '';
  try { text = await readFile(path, 'utf8'); } catch { /* no log: the job never ran */ }
  let started = false;
  const metrics: MetricPoint[] = [];
  for (const line of text.split('\n')) {
    const event = parseEventLine(line);
    if (event?.type === 'started') started = true;
    if (event?.type === 'metric') metrics.push({ name: event.name, value: event.value, step: event.step, timestamp: event.timestamp });
  }
  return { started, metrics };
}

function failureOf(job: SettledJob): Failure {
  if (job.result?.failure) return job.result.failure;
  if (job.result?.outcome === 'cancelled' || (job.state?.phase === 'ended' && job.state.verdict === 'CANCELLED')) return { kind: 'cancelled' };
  return { kind: 'plugin-error', message: job.detail ?? job.result?.error ?? 'the job ended without a result' };
}

function stateTime(state: JobState | undefined, which: 'startedAt' | 'endedAt'): number | undefined {
  if (!state || state.phase === 'pending') return undefined;
  return which === 'startedAt' ? state.startedAt : state.phase === 'ended' ? state.endedAt : undefined;
}

function countOutcomes(nodes: RunRecordNode[], outcomes: ReadonlyMap<NodeId, NodeOutcome>): OutcomeCounts {
  const counts = emptyCounts();
  for (const n of nodes) counts[outcomes.get(n.id) ?? n.outcome]++;
  return counts;
}
