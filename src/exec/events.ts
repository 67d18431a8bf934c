// A run as a stream of typed events. The scheduler and the run engine emit them; the display, the
// tracker and the run record are subscribers (see fan-out.ts for the delivery rules).
import type { NodeOutcome, RunStatus } from '../store/runs.js';
import type { CachedHit, MetricPoint, NodeInfo, RunInfo, TrackingRef } from '../track/observer.js';
import type { Failure } from './failure.js';
import type { Key, NodeId } from '../util/ids.js';

/** A node as planned: enough to list it in the run record before anything runs. */
export interface PlannedNodeInfo { id: NodeId; stage: string; key: Key }

/** What this run settles: every node it counts, the cached ones, and those it runs. */
export interface RunTotals { nodes: number; hits: number; toRun: number }

export type OutcomeCounts = Record<NodeOutcome, number>;

/** A forced recomputation against the entry it replaced: the output files whose bytes changed, appeared or went. */
export interface Recomputed { identical: boolean; changed: string[] }

/** How a node that was not a plan-time hit ended. `sameKeyAs`: it shared the key (and the work) of that node. */
export type NodeResult =
  | { outcome: 'ran'; metrics: MetricPoint[]; startedAt: number; endedAt: number; artifactDir: string; sameKeyAs?: NodeId; recomputed?: Recomputed }
  | { outcome: Exclude<NodeOutcome, 'hit' | 'ran'>; failure: Failure; metrics: MetricPoint[]; startedAt?: number; endedAt?: number; sameKeyAs?: NodeId };

export type RunEvent =
  /** Every node of the plan, before anything else is written or started. */
  | { type: 'run-planned'; runId: string; nodes: PlannedNodeInfo[] }
  | { type: 'run-started'; run: RunInfo; totals: RunTotals }
  | { type: 'warning'; message: string }
  /** A hit: found in the store at plan time, or published by another run while this one waited. */
  | { type: 'node-cached'; node: NodeInfo; producedBy?: TrackingRef; metrics: MetricPoint[]; detail?: string }
  /** Hits found at plan time, in plan order, as one event: a no-op run of a large recipe has thousands. */
  | { type: 'nodes-cached'; nodes: CachedHit[] }
  | { type: 'node-started'; node: NodeInfo }
  /** A line of a node's log (secrets masked); `cached`: replayed from a stored entry. */
  | { type: 'node-log'; nodeId: NodeId; level: 'info' | 'warn' | 'error'; line: string; cached: boolean }
  | { type: 'node-progress'; nodeId: NodeId; done: number; total: number }
  /** A node's cluster job was accepted: its id (`job`) and the jobs it waits for. */
  | { type: 'node-submitted'; nodeId: NodeId; job: string; after: string[] }
  /** A node's cluster job is (still) queued, and why, in the cluster's words; sent when the reason changes. */
  | { type: 'node-queued'; nodeId: NodeId; reason: string }
  /** A node's job runs again after an end that says nothing about the node (preempted, its machine failed). */
  | { type: 'node-retry'; nodeId: NodeId; attempt: number; maxAttempts: number; reason: string }
  | { type: 'node-metric'; node: NodeInfo; point: MetricPoint }
  | { type: 'node-finished'; node: NodeInfo; result: NodeResult }
  | { type: 'run-finished'; status: RunStatus; counts: OutcomeCounts; startedAt: number; endedAt: number };

export type RunEventType = RunEvent['type'];

/** What subscribers may hand back to the emitter: the tracker's reference of a started node. */
export interface EventReply { tracking?: TrackingRef }

export interface RunSubscriber {
  readonly name: string;
  /** A required subscriber's failure fails the run (the run record); any other one's is reported and the run goes on. */
  readonly required?: boolean;
  handle(event: RunEvent): void | EventReply | Promise<void | EventReply>;
  /** Last call, after the run's final event (also when the run failed): flush and release. */
  close?(): Promise<void>;
}

/** Where the scheduler sends its events. */
export interface EventSink {
  /** Resolves once every subscriber has handled the event. */
  emit(event: RunEvent): Promise<EventReply>;
  /** The same, for events nobody waits for (log lines, progress, metrics). */
  post(event: RunEvent): void;
}

export function emptyCounts(): OutcomeCounts {
  return { hit: 0, ran: 0, failed: 0, cancelled: 0, skipped: 0 };
}
