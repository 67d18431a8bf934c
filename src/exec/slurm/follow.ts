// Follows many Slurm jobs with one query per poll, polling fast while things change and backing off
// while nothing does.
import type { JobState, JobStatus } from './states.js';

export interface WatchOptions {
  /** Lists the given submitted ids (and their array tasks) in ONE call: e.g. one squeue. */
  query(ids: string[]): Promise<JobStatus[]>;
  /** Hears every status that is new or changed since the last poll. */
  onChange?(changed: JobStatus[]): void;
  /** First and shortest interval between polls (default 500 ms). */
  minIntervalMs?: number;
  /** Longest interval (default 10 s). */
  maxIntervalMs?: number;
  /** Growth of the interval per poll without change (default 1.5). */
  backoff?: number;
  /** Polls in a row a job may be missing from the listing before it is reported UNKNOWN (default 3). */
  missingPolls?: number;
  /** Waits between polls (tests pass fake timers' own). */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  /** How long a reopened job's old end may stay listed before it counts as its end after all (default 2 min). */
  staleEndMs?: number;
}

export class JobWatch {
  /** Latest status of every job and array task seen, by squeue id ("12", "12_3"). */
  readonly statuses = new Map<string, JobStatus>();
  private readonly open = new Set<string>();
  private readonly missing = new Map<string, number>();
  /** Ends Slurm still lists for jobs it has restarted (by squeue id), and since when. */
  private readonly staleEnds = new Map<string, { state: JobState; since: number }>();
  private interval: number;
  polls = 0;

  constructor(private readonly opts: WatchOptions) {
    this.interval = opts.minIntervalMs ?? 500;
  }

  /** Starts following submitted ids (a plain job's id or an array's id). */
  add(ids: readonly string[]): void {
    for (const id of ids) this.open.add(id);
    this.interval = this.opts.minIntervalMs ?? 500;
  }

  /**
   * Keeps following a job whose listed end belongs to an attempt Slurm restarted: for a few seconds
   * after a requeue, squeue still shows the killed attempt's end (FAILED, exit 1) with the new restart
   * count, and that end must not close the job. It is its end only once something else is listed.
   */
  reopen(statusId: string): void {
    const status = this.statuses.get(statusId);
    if (!status || status.state.phase !== 'ended') return;
    this.staleEnds.set(statusId, { state: status.state, since: Date.now() });
    this.add([status.submittedId]);
  }

  /** When the old end that `reopen` kept open was first held, while squeue still lists it unchanged. */
  staleSince(statusId: string): number | undefined {
    return this.staleEnds.get(statusId)?.since;
  }

  private ended(status: JobStatus): boolean {
    if (status.state.phase !== 'ended') return false;
    const stale = this.staleEnds.get(status.id);
    return !stale || !sameState(stale.state, status.state) || Date.now() - stale.since > (this.opts.staleEndMs ?? 120_000);
  }

  /** Submitted ids not ended yet. */
  get unfinished(): string[] {
    return [...this.open];
  }

  /** The statuses of one submitted id: the job itself, or every task of an array. */
  of(submittedId: string): JobStatus[] {
    return [...this.statuses.values()].filter((s) => s.submittedId === submittedId);
  }

  /** One query for every unfinished job; returns what changed. */
  async poll(): Promise<JobStatus[]> {
    const ids = this.unfinished;
    if (!ids.length) return [];
    this.polls++;
    const listed = await this.opts.query(ids);
    const changed: JobStatus[] = [];
    const seen = new Set<string>();
    for (const status of listed) {
      if (!this.open.has(status.submittedId)) continue;
      seen.add(status.submittedId);
      const before = this.statuses.get(status.id);
      if (!before || !sameState(before.state, status.state)) changed.push(status);
      const stale = this.staleEnds.get(status.id);
      if (stale && !sameState(stale.state, status.state)) this.staleEnds.delete(status.id);
      this.statuses.set(status.id, status);
      // Slurm lists an array none of whose tasks was split off from it (all cancelled while queued)
      // as one line: that line stands for every task seen before.
      if (status.arrayTask === undefined && status.id === status.submittedId) {
        for (const task of this.of(status.submittedId)) {
          if (task.arrayTask === undefined || sameState(task.state, status.state)) continue;
          const now: JobStatus = { ...task, state: status.state };
          this.statuses.set(task.id, now);
          changed.push(now);
        }
      }
    }
    for (const id of ids) {
      if (seen.has(id)) { this.missing.delete(id); continue; }
      const n = (this.missing.get(id) ?? 0) + 1;
      this.missing.set(id, n);
      if (n < (this.opts.missingPolls ?? 3)) continue;
      // Tasks that ended keep their verdict; the rest (or the job, if it was never listed) become UNKNOWN.
      const known = this.of(id);
      const gone = known.length ? known.filter((s) => s.state.phase !== 'ended') : [{ id, submittedId: id }];
      for (const { id: taskId, submittedId, arrayTask } of gone as JobStatus[]) {
        const status: JobStatus = { id: taskId, submittedId, ...(arrayTask === undefined ? {} : { arrayTask }), state: { phase: 'ended', verdict: 'UNKNOWN', reason: 'Slurm no longer lists this job' } };
        this.statuses.set(taskId, status);
        changed.push(status);
      }
    }
    for (const id of ids) {
      const all = this.of(id);
      if (all.length && all.every((s) => this.ended(s))) this.open.delete(id);
    }
    if (changed.length) this.opts.onChange?.(changed);
    const min = this.opts.minIntervalMs ?? 500;
    this.interval = changed.length ? min : Math.min(this.opts.maxIntervalMs ?? 10_000, this.interval * (this.opts.backoff ?? 1.5));
    return changed;
  }

  /** The wait before the next poll. */
  get nextIntervalMs(): number {
    return this.interval;
  }

  /** Polls until every job added has ended (jobs may be added meanwhile). */
  async run(signal?: AbortSignal): Promise<Map<string, JobStatus>> {
    const sleep = this.opts.sleep ?? defaultSleep;
    for (;;) {
      signal?.throwIfAborted();
      await this.poll();
      if (!this.open.size) return this.statuses;
      await sleep(this.interval, signal);
    }
  }
}

function sameState(a: JobState, b: JobState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
