// The seam between the scheduler and whatever runs a node's job: a local process today, a cluster
// job tomorrow. The scheduler owns the order, the leases, the store and the events of the run; an
// executor only runs one job to its end, reports what the job says while it runs, and resolves with
// a typed result. It never rejects for a failure of the node: that failure is its result.
import type { Failure } from './failure.js';
import type { NodeJob } from './protocol.js';

/** What a running job reports. The scheduler turns these into run events for the node. */
export type JobReport =
  | { type: 'log'; level: 'info' | 'warn' | 'error'; line: string }
  | { type: 'metric'; name: string; value: number; step: number; timestamp: number }
  | { type: 'progress'; done: number; total: number };

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
