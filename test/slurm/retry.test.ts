// When a job gets another attempt (a unit test over the decision: the local cluster cannot be made
// to preempt a job or fail a node without disturbing everyone else's jobs on it), and which jobs
// follow it.
import { describe, expect, it } from 'vitest';
import { allDependents, DEFAULT_RETRIES, directDependents, retryDecision } from '../../src/exec/slurm/retry.js';
import type { JobState, Verdict } from '../../src/exec/slurm/states.js';

const ended = (verdict: Verdict): JobState => ({ phase: 'ended', verdict, exitCode: 0 });

describe('retrying Slurm jobs', () => {
  it('retries the ends that say nothing about the node, up to the limit', () => {
    for (const verdict of ['PREEMPTED', 'NODE_FAIL', 'BOOT_FAIL'] as const) {
      expect(retryDecision(ended(verdict), 0, { limit: 2 })).toEqual({ retry: true, attempt: 2, maxAttempts: 3, verdict });
      expect(retryDecision(ended(verdict), 1, { limit: 2 })).toEqual({ retry: true, attempt: 3, maxAttempts: 3, verdict });
      expect(retryDecision(ended(verdict), 2, { limit: 2 })).toEqual({ retry: false, exhausted: { attempts: 3, verdict } });
    }
    expect(DEFAULT_RETRIES).toBe(2);
  });

  it("never retries the node's own failures, a cancel, a time limit or a running job", () => {
    for (const verdict of ['COMPLETED', 'FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'CANCELLED', 'DEADLINE', 'UNKNOWN'] as const) {
      expect(retryDecision(ended(verdict), 0, { limit: 5 })).toEqual({ retry: false });
    }
    expect(retryDecision({ phase: 'running', state: 'RUNNING' }, 0, { limit: 5 })).toEqual({ retry: false });
    expect(retryDecision({ phase: 'pending', reason: 'Priority', hopeless: false }, 0, { limit: 5 })).toEqual({ retry: false });
  });

  it('with a limit of 0 retries nothing and says no attempts were counted', () => {
    expect(retryDecision(ended('PREEMPTED'), 0, { limit: 0 })).toEqual({ retry: false });
  });

  it('retries what the policy names instead of the default verdicts', () => {
    const on = new Set<Verdict>(['FAILED']);
    expect(retryDecision(ended('FAILED'), 0, { limit: 1, on })).toMatchObject({ retry: true, attempt: 2, maxAttempts: 2 });
    expect(retryDecision(ended('PREEMPTED'), 0, { limit: 1, on })).toEqual({ retry: false });
  });

  it('re-points the queued jobs waiting for a requeued job, and cancels every waiting job below a failed one', () => {
    const jobs = [
      { id: '1', after: [], settled: false },
      { id: '2', after: ['1'], settled: false },
      { id: '3', after: ['1', '2'], settled: false },
      { id: '4', after: ['3'], settled: false },
      { id: '5', after: ['1'], settled: true },
      { id: '6', after: [], settled: false },
    ];
    expect(directDependents('1', jobs).map((j) => j.id)).toEqual(['2', '3']);
    expect(allDependents('1', jobs).map((j) => j.id).sort()).toEqual(['2', '3', '4']);
    expect(allDependents('6', jobs)).toEqual([]);
  });
});
