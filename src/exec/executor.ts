// The seam between the scheduler and whatever runs a node's job: a local process today, a cluster
// job tomorrow. The scheduler owns the order, the leases, the store and the events of the run; an
// executor only runs one job to its end, reports what the job says while it runs, and resolves with
// a typed result. It never rejects for a failure of the node: that failure is its result.
import type { PlannedNode } from '../graph/plan.js';
import type { MetricPoint, TrackingRef } from '../track/observer.js';
import type { Failure } from './failure.js';
import type { NodeJob } from './protocol.js';

/** What a running job reports. The scheduler turns these into run events for the node. */
export type JobReport =
  | { type: 'log'; level: 'info' | 'warn' | 'error'; line: string }
  | { type: 'metric'; name: string; value: number; step: number; timestamp: number }
  | { type: 'progress'; done: number; total: number }
  /** Still queued on a cluster, and why, in the cluster's words (Priority, Resources, Dependency, JobHeldUser…). */
  | { type: 'queued'; reason: string }
  /** The job ended in a way that says nothing about the node (its machine failed, it was preempted) and runs again. */
  | { type: 'retry'; attempt: number; maxAttempts: number; reason: string };

/** What a job may use, as the node's `resources:` declared them and the scheduler granted them. */
export interface JobResources {
  /** CPU slots the scheduler counted for the node. */
  cpus: number;
  /** Device ids the node was given; undefined when the run has no GPUs (leave the environment alone). */
  gpus?: string[];
  memoryMb?: number;
  timeLimitMs?: number;
}

export interface JobRequest {
  job: NodeJob;
  resources: JobResources;
  /** Aborted on an interrupt or when the node's lease is lost: stop the job, resolve 'cancelled'. */
  signal: AbortSignal;
  /** Called for each line, metric and progress report, in the order the job made them. */
  report(event: JobReport): void;
}

export type JobResult = { ok: true } | { ok: false; failure: Failure };

export interface NodeExecutor {
  /** Runs one job to its end; when it resolves, nothing more is reported for it. */
  run(request: JobRequest): Promise<JobResult>;
}

/**
 * A node handed to an executor whose jobs compute whole nodes by themselves (a batch job on a
 * cluster takes the key's lease, writes the entry and publishes it, as job-main does).
 */
export interface NodeSubmission {
  node: PlannedNode;
  /** Handles of the jobs of the node's upstream nodes that are still to finish: the job waits until they succeed. */
  after: string[];
  /** Call once the job starts computing (no longer queued); resolves with what the tracker hands back. */
  started(): Promise<TrackingRef | undefined>;
  /** The job's log lines, metrics and progress, after started(). */
  report(event: JobReport): void;
}

/** How a submitted job ended. `log`: where its log is, for people to read. */
export type SubmissionResult =
  | { outcome: 'ran'; metrics: MetricPoint[]; startedAt: number; endedAt: number }
  /** Another run published the entry while the job waited for its turn or the lease. */
  | { outcome: 'hit'; metrics: MetricPoint[] }
  | { outcome: 'failed' | 'cancelled'; failure: Failure; metrics: MetricPoint[]; startedAt?: number; endedAt?: number; log?: string };

export interface SubmittedJob {
  /** The cluster's id of the job: what dependents wait on, and what a cancel names. */
  handle: string;
  /** Settles once the job has ended; never rejects. */
  result: Promise<SubmissionResult>;
}

/**
 * An executor that submits ahead: the scheduler hands it a node as soon as the node's upstream
 * nodes are submitted (not finished), takes no lease and writes no entry itself.
 */
export interface SubmittingExecutor {
  readonly submitsAhead: true;
  /** The cluster's name, for messages ("Slurm"). */
  readonly clusterName: string;
  /** Rejects, with the cluster's own words, when the job could not be submitted. */
  submit(request: NodeSubmission): Promise<SubmittedJob>;
  /**
   * Submits alike nodes (members of one foreach, same resources, same upstream jobs) as one array;
   * their jobs in order, each with its own handle (an array task's id). Optional.
   */
  submitGroup?(requests: NodeSubmission[]): Promise<SubmittedJob[]>;
  /** Cancels jobs, queued or running, at once; their results then settle as 'cancelled'. */
  cancel(handles: readonly string[]): Promise<void>;
}

export type AnyExecutor = NodeExecutor | SubmittingExecutor;

export function submitsAhead(executor: AnyExecutor): executor is SubmittingExecutor {
  return (executor as Partial<SubmittingExecutor>).submitsAhead === true;
}
