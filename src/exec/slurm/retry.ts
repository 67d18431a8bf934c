// When a Slurm job that ended badly gets another attempt, and which queued jobs that wait for it
// must be pointed at it again.
//
// How: the job is put back in the queue under its own id (`scontrol requeue`), not submitted anew.
// Its dependents name that id, so nothing has to be resubmitted or renumbered; only their
// dependency must be set again, because Slurm marks a dependency on a job that ended badly as
// failed for good (DependencyNeverSatisfied), even after the job is requeued (tried on Slurm
// 22.05). Dependents are submitted with --kill-on-invalid-dep=no for that reason: Slurm would
// otherwise cancel them, and their own dependents after them, a second after the failure.
import { RETRYABLE, type JobState, type Verdict } from './states.js';

export const DEFAULT_RETRIES = 2;

export interface RetryPolicy {
  /** Attempts after the first one (0: never). */
  limit: number;
  /** Verdicts that say nothing about the node itself (default: NODE_FAIL, PREEMPTED, BOOT_FAIL). */
  on?: ReadonlySet<Verdict>;
}

export type RetryDecision =
  | { retry: true; /** the attempt about to start, counting the first as 1 */ attempt: number; maxAttempts: number; verdict: Verdict }
  | { retry: false; /** set when the verdict was retryable but no attempts were left */ exhausted?: { attempts: number; verdict: Verdict } };

/** What to do with a job that reached `state` after `retriesDone` retries. */
export function retryDecision(state: JobState, retriesDone: number, policy: RetryPolicy): RetryDecision {
  if (state.phase !== 'ended' || !(policy.on ?? RETRYABLE).has(state.verdict)) return { retry: false };
  const maxAttempts = 1 + Math.max(0, policy.limit);
  if (retriesDone + 1 >= maxAttempts) return { retry: false,
    ...(policy.limit > 0 ? { exhausted: { attempts: retriesDone + 1, verdict: state.verdict } } : {}) };
  return { retry: true, attempt: retriesDone + 2, maxAttempts, verdict: state.verdict };
}

/** A job as far as dependencies go: its id, the ids it waits for, and whether it is over. */
export interface DependentJob { id: string; after: readonly string[]; settled: boolean }

/** Queued jobs that wait for `id` directly: their dependency is set again when `id` is requeued. */
export function directDependents(id: string, jobs: Iterable<DependentJob>): DependentJob[] {
  return [...jobs].filter((j) => !j.settled && j.after.includes(id));
}

/** Every unsettled job that waits for `id`, however far down: cancelled when `id` failed for good. */
export function allDependents(id: string, jobs: Iterable<DependentJob>): DependentJob[] {
  const list = [...jobs];
  const found = new Map<string, DependentJob>();
  const frontier = [id];
  while (frontier.length) {
    const up = frontier.pop()!;
    for (const j of directDependents(up, list)) {
      if (found.has(j.id) || j.id === id) continue;
      found.set(j.id, j);
      frontier.push(j.id);
    }
  }
  return [...found.values()];
}
