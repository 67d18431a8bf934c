// The Slurm executor: each node the scheduler hands over becomes one sbatch job running job-main
// on the node's spec file, waiting (afterok) for the jobs of its upstream nodes. One squeue per
// poll follows every job; each job's log (its events) is read as it grows, and its verdict and
// result file settle it.
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../../store/store.js';
import type { NodeSubmission, SubmissionResult, SubmittedJob, SubmittingExecutor } from '../executor.js';
import type { Failure } from '../failure.js';
import { parseTimeLimit } from '../../util/time-limit.js';
import type { SlurmClient } from './client.js';
import { JobWatch } from './follow.js';
import { jobMainCommand, nodeJobSpec, readJobResult, writeSpecFile, writeWhole } from './job-spec.js';
import { slurmMinutes, type SlurmResources } from './resources.js';
import { allDependents, DEFAULT_RETRIES, directDependents, retryDecision, type RetryPolicy } from './retry.js';
import { parseEventLine } from './run-node-job.js';
import { describeState, type JobState, type JobStatus, type Verdict } from './states.js';
import type { Key } from '../../util/ids.js';

export interface SlurmExecutorOptions {
  client: SlurmClient;
  store: Store;
  /** This run's folder for job files (spec, log, result), on a filesystem the cluster's nodes share. */
  dir: string;
  runId: string;
  recipeName: string;
  /** Resources every job asks for unless its stage says otherwise (the recipe's `executor:` block). */
  defaults?: SlurmResources;
  /** Where jobs start (default: this process's working folder). */
  cwd?: string;
  /** Variables set in every job's script (Slurm passes the submitting environment on as well). */
  env?: Record<string, string>;
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** The Node.js the jobs run (default: this one; it must be installed at the same path on the nodes). */
  nodeBinary?: string;
  /** Attempts after the first for a job that was preempted or whose machine failed (default 2; 0: none). */
  retries?: number;
  /** The verdicts retried (default NODE_FAIL, PREEMPTED, BOOT_FAIL). */
  retryOn?: ReadonlySet<Verdict>;
  /** false: only submit (a detached run; `retort status` follows the jobs later). */
  follow?: boolean;
  /** false: one job per foreach member instead of one array per group of alike members. */
  arrays?: boolean;
  /**
   * How long a requeued job may stay listed as its killed attempt's end before it is requeued again
   * (default 30 s; Slurm 22.05 lists that end for 10–15 s, and sometimes keeps it for good).
   */
  stuckEndMs?: number;
}

/** Where a node's job files live in a run's job folder: its spec, Slurm log, result and tracking reference. */
export function jobFiles(dir: string, node: { id: string; key: Key }): { spec: string; log: string; result: string; tracking: string } {
  // File names from the node id (foreach keys may hold any character) and the key (ids may collide once cleaned).
  const base = join(dir, `${node.id.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${node.key.slice(0, 10)}`);
  return { spec: `${base}.spec.json`, log: `${base}.log`, result: `${base}.result.json`, tracking: `${base}.tracking.json` };
}

interface Tracked {
  /** Its Slurm id: "12", or "12_3" for task 3 of array 12. */
  id: string;
  /** The id the watch follows it under: the job's, or its array's. */
  watchId: string;
  submission: NodeSubmission;
  /** The jobs it waits for. */
  after: string[];
  /** Attempts this executor started after the first (scontrol requeue). */
  retries: number;
  /** Slurm's restart count as last seen: a rise this executor did not cause is Slurm's own requeue. */
  restarts: number;
  /** Slurm requeued it while its old end was still listed: its dependents are pointed at it again once it is queued. */
  repoint?: boolean;
  /** When the attempt last listed as running started (Slurm's clock, to the second). */
  attemptStartedAt?: number;
  /**
   * Set from a requeue until the new attempt is listed running: an end listed meanwhile that
   * started no later than the killed attempt is that attempt's end, not the new one's.
   */
  killedAttempt?: { startedAt?: number };
  /** Requeued again by this executor because Slurm kept listing the killed attempt's end. */
  nudged?: boolean;
  /** The queue reason last reported. */
  reason?: string;
  files: { log: string; result: string; tracking: string };
  /** Bytes of the log read so far, and the unfinished line at its end. */
  offset: number;
  partial: string;
  started: boolean;
  settled: boolean;
  /** Settled as computed (or found) in the store. */
  succeeded?: boolean;
  /** Why Slurm said the job can never start, when it did (the job is then cancelled). */
  hopeless?: string;
  limitMs?: number;
  memoryMb?: number;
  resolve(result: SubmissionResult): void;
}

export class SlurmExecutor implements SubmittingExecutor {
  readonly submitsAhead = true;
  readonly clusterName = 'Slurm';
  private readonly jobs = new Map<string, Tracked>();
  private readonly cancelled = new Set<string>();
  private readonly watch: JobWatch;
  private following?: Promise<void>;
  private readonly retry: RetryPolicy;

  constructor(private readonly opts: SlurmExecutorOptions) {
    this.watch = opts.client.watch({ minIntervalMs: opts.minIntervalMs ?? 500, maxIntervalMs: opts.maxIntervalMs ?? 5000 });
    // Nobody is there to requeue the jobs of a detached run (Slurm's own requeue still may).
    this.retry = { limit: opts.follow === false ? 0 : opts.retries ?? DEFAULT_RETRIES, ...(opts.retryOn ? { on: opts.retryOn } : {}) };
  }

  async submit(submission: NodeSubmission): Promise<SubmittedJob> {
    const [job] = await this.submitJobs([submission]);
    if (!job) throw new Error('internal: one submission gave no job');
    return job;
  }

  /** Alike foreach members as one `sbatch --array`: task i computes requests[i] and is followed as `<array id>_<i>`. */
  async submitGroup(requests: NodeSubmission[]): Promise<SubmittedJob[]> {
    if (this.opts.arrays !== false) return this.submitJobs(requests);
    const jobs: SubmittedJob[] = [];
    for (const r of requests) jobs.push(await this.submit(r));
    return jobs;
  }

  private async submitJobs(requests: readonly NodeSubmission[]): Promise<SubmittedJob[]> {
    const { opts } = this;
    const [first] = requests;
    if (!first) return [];
    const lead = first.node;
    const array = requests.length > 1;
    const tasks = requests.map((submission) => ({ submission, files: jobFiles(opts.dir, { id: submission.node.spec.id, key: submission.node.key }) }));
    // An array's tasks share one spec file (task i runs units[i]) and log by task index.
    const group = array ? jobFiles(opts.dir, { id: `${lead.spec.stage}-array`, key: lead.key }) : jobFiles(opts.dir, { id: lead.spec.id, key: lead.key });
    if (array) tasks.forEach(({ files }, i) => { files.log = group.log.replace(/\.log$/, `-${i}.log`); });
    await writeSpecFile(group.spec, tasks.map(({ submission, files }) => nodeJobSpec(submission.node, opts.store,
      { runId: opts.runId, recipeName: opts.recipeName, result: files.result, trackingFile: files.tracking })));
    const { sbatchArgs, ...stage } = lead.spec.resources;
    const resources: SlurmResources = {
      ...opts.defaults, ...stage,
      extraArgs: [...(opts.defaults?.extraArgs ?? []), ...(sbatchArgs ?? [])],
    };
    let id: string;
    try {
      id = await opts.client.submit({
        name: array ? lead.spec.stage : lead.spec.id, command: jobMainCommand(group.spec, opts.nodeBinary), afterOk: first.after,
        ...(array ? { array: { count: requests.length } } : {}),
        resources, output: array ? group.log.replace(/\.log$/, '-%a.log') : group.log, cwd: opts.cwd ?? process.cwd(), env: opts.env,
        // Retried jobs keep their dependents: Slurm must not cancel those when the first attempt fails (see retry.ts).
        killOnInvalidDep: this.retry.limit === 0,
      });
    } catch (err) {
      throw new Error(`could not submit its Slurm job: ${(err as Error).message}`, { cause: err });
    }
    const limit = resources.timeLimit === undefined ? undefined : parseTimeLimit(resources.timeLimit);
    const submitted = tasks.map(({ submission, files }, i): SubmittedJob => {
      const handle = array ? `${id}_${i}` : id;
      let resolve!: (r: SubmissionResult) => void;
      const result = new Promise<SubmissionResult>((r) => { resolve = r; });
      this.jobs.set(handle, {
        id: handle, watchId: id, submission, after: [...submission.after], retries: 0, restarts: 0, files, offset: 0, partial: '', started: false, settled: false, resolve,
        // Slurm counts whole minutes: the limit the job really had.
        ...(limit === undefined ? {} : { limitMs: slurmMinutes(resources.timeLimit!) * 60_000 }),
        ...(resources.memoryMb === undefined ? {} : { memoryMb: resources.memoryMb }),
      });
      const where = array ? ` (task ${i} of array ${id})` : '';
      submission.report({ type: 'log', level: 'info', line: `submitted as Slurm job ${handle}${where}${submission.after.length ? ` after ${submission.after.join(', ')}` : ''} (log: ${files.log})` });
      return { handle, result };
    });
    if (opts.follow === false) return submitted;
    this.watch.add([id]);
    this.following ??= this.follow().finally(() => { this.following = undefined; });
    return submitted;
  }

  async cancel(handles: readonly string[]): Promise<void> {
    for (const id of handles) this.cancelled.add(id);
    await this.opts.client.cancel(handles);
  }

  /** Polls until every job submitted so far has ended and been settled. */
  private async follow(): Promise<void> {
    let failedPolls = 0;
    while (this.watch.unfinished.length) {
      let changed: JobStatus[] = [];
      try {
        changed = await this.watch.poll();
        failedPolls = 0;
      } catch (err) {
        // A controller that stays unreachable ends the jobs as unknown, saying why, rather than hanging.
        if (++failedPolls >= 5) { await this.settleAll({ phase: 'ended', verdict: 'UNKNOWN', reason: (err as Error).message }); return; }
      }
      for (const job of this.jobs.values()) if (!job.settled) await this.readLog(job);
      // Ends first, so that a job requeued now is known before its dependents' lines are read; a
      // failure before the dependents Slurm cancelled for it (both show in the same listing), so that
      // they are reported as skipped for it, not as cancelled.
      const rank = (x: JobStatus) => (x.state.phase !== 'ended' ? 1 : x.state.verdict === 'CANCELLED' ? 2 : 0);
      const requeued = new Set<string>();
      for (const status of [...changed].sort((x, y) => rank(x) - rank(y))) for (const job of this.jobsOf(status)) {
        if (job.settled) continue;
        if (status.state.phase === 'ended') {
          // Slurm requeued it (its restart count rose): this end is the killed attempt's, the job runs again.
          if ((status.restarts ?? 0) > job.restarts) { await this.noteRestart(job, status); this.watch.reopen(status.id); continue; }
          // Listed after the restart was seen (as the killed attempt completing): still that attempt's end.
          // Slurm may judge the dependents' afterok by it: they are pointed at the new attempt once it is listed.
          if (isKilledAttemptsEnd(job, status.state)) { job.repoint = true; this.watch.reopen(status.id); continue; }
          // The new attempt was first listed as its end: dependents still waiting on the killed one's are pointed at it.
          if (job.repoint && status.state.verdict === 'COMPLETED') { job.repoint = false; await this.repointDependents(job); }
          if (await this.retryJob(job, status.state)) requeued.add(job.id);
          else await this.settle(job, status.state);
          continue;
        }
        await this.noteRestart(job, status);
        noteAttempt(job, status.state);
        if (job.repoint) { job.repoint = false; await this.repointDependents(job); }
        if (status.state.phase !== 'pending') continue;
        if (status.state.reason !== job.reason) {
          job.reason = status.state.reason;
          job.submission.report({ type: 'queued', reason: status.state.reason });
        }
        // A job that can never start (its dependency failed, a limit no node meets) is cancelled, not left queued.
        if (status.state.hopeless) {
          // Listed before its upstream job was requeued in this poll: its dependency is set again already.
          if (job.after.some((a) => requeued.has(a))) continue;
          // Submitted while its upstream job was being requeued: it is pointed at the new attempt.
          if (status.state.reason === 'DependencyNeverSatisfied' && this.waitsOnRetry(job)) {
            await this.opts.client.setAfterOk(job.id, job.after).catch(() => undefined);
            continue;
          }
          if (job.hopeless) continue;
          job.hopeless = status.state.reason;
          job.submission.report({ type: 'log', level: 'warn', line: `Slurm job ${job.id} cannot start (${status.state.reason}): cancelling it` });
          await this.opts.client.cancel([job.id]).catch(() => undefined);
        }
      }
      await this.requeueStuck();
      if (!this.watch.unfinished.length) break;
      await new Promise((r) => setTimeout(r, this.watch.nextIntervalMs));
    }
    // Jobs that ended before the watch listed them again (it stops at the last end) are settled too.
    for (const job of this.jobs.values()) {
      if (job.settled) continue;
      const own = this.watch.statuses.get(job.id)?.state;
      const whole = this.watch.statuses.get(job.watchId)?.state;
      await this.settle(job, own?.phase === 'ended' ? own : whole?.phase === 'ended' ? whole : { phase: 'ended', verdict: 'UNKNOWN' });
    }
  }

  /**
   * The jobs a squeue line is about: the job or array task it names, or every task of an array that
   * Slurm lists as one line (an array cancelled before any task was split off from it).
   */
  private jobsOf(status: JobStatus): Tracked[] {
    const job = this.jobs.get(status.id);
    if (job) return [job];
    if (status.arrayTask !== undefined) return [];
    return [...this.jobs.values()].filter((j) => j.watchId === status.submittedId && j.id !== j.watchId);
  }

  /** Requeues a job whose end says nothing about its node, while attempts are left; true if it did. */
  private async retryJob(job: Tracked, state: JobState): Promise<boolean> {
    if (this.cancelled.has(job.id)) return false;
    const decision = retryDecision(state, job.retries, this.retry);
    if (!decision.retry) {
      if (decision.exhausted) job.submission.report({ type: 'log', level: 'warn', line: `Slurm job ${job.id} ended ${describeState(state)} on attempt ${decision.exhausted.attempts} of ${decision.exhausted.attempts}: no attempts left` });
      return false;
    }
    await this.readLog(job);
    try {
      await this.opts.client.requeue(job.id);
      for (const dependent of directDependents(job.id, this.jobs.values())) await this.opts.client.setAfterOk(dependent.id, dependent.after);
    } catch (err) {
      job.submission.report({ type: 'log', level: 'warn', line: `Slurm job ${job.id} ended ${describeState(state)} and could not be requeued: ${(err as Error).message}` });
      return false;
    }
    job.retries++;
    job.restarts++;
    job.killedAttempt = { startedAt: latest(startedAtOf(state), job.attemptStartedAt) };
    await this.restartFiles(job, false);
    job.submission.report({ type: 'retry', attempt: decision.attempt, maxAttempts: decision.maxAttempts, reason: `Slurm job ${job.id} ended ${describeState(state)}` });
    // squeue may list the ended attempt for a moment after the requeue: that end must not close the job.
    this.watch.reopen(job.id);
    this.watch.add([job.watchId]);
    return true;
  }

  /**
   * Slurm 22.05 sometimes leaves a job it requeued listed as the killed attempt's end (FAILED) for
   * good, never starting it again: such a job is requeued once more, as an administrator would.
   * Not a retry: the attempt Slurm meant to start is the one that runs.
   */
  private async requeueStuck(): Promise<void> {
    const limit = this.opts.stuckEndMs ?? 30_000;
    for (const job of this.jobs.values()) {
      if (job.settled || !job.killedAttempt || job.nudged || this.cancelled.has(job.id)) continue;
      const since = this.watch.staleSince(job.id);
      if (since === undefined || Date.now() - since < limit) continue;
      job.nudged = true;
      const seconds = Math.round((Date.now() - since) / 1000);
      try {
        await this.opts.client.requeue(job.id);
        // Its restart count rises by this requeue: not Slurm's own.
        job.restarts++;
        job.submission.report({ type: 'log', level: 'warn', line: `Slurm still listed job ${job.id}'s killed attempt as its end after ${seconds} s: requeued it again` });
      } catch (err) {
        job.submission.report({ type: 'log', level: 'warn', line: `Slurm still lists job ${job.id}'s killed attempt as its end and it could not be requeued again: ${(err as Error).message}` });
      }
    }
  }

  /** Every job `job` waits for is requeued (by us or by Slurm) or done, none failed for good: its failed dependency is stale. */
  private waitsOnRetry(job: Tracked): boolean {
    const ups = job.after.map((id) => this.jobs.get(id));
    return ups.some((u) => u && !u.settled && u.restarts > 0) && ups.every((u) => u && (!u.settled || u.succeeded));
  }

  /** Points the jobs waiting for `job` at its new attempt: Slurm judged their dependency by the killed one's end. */
  private async repointDependents(job: Tracked): Promise<void> {
    for (const dependent of directDependents(job.id, this.jobs.values())) {
      await this.opts.client.setAfterOk(dependent.id, dependent.after).catch(() => undefined);
    }
  }

  /** Slurm put the job back in the queue by itself (a node failure with JobRequeue, preemption by requeue). */
  private async noteRestart(job: Tracked, status: JobStatus): Promise<void> {
    const restarts = status.restarts ?? 0;
    if (restarts <= job.restarts) return;
    job.restarts = restarts;
    // Listed running, the restarted job shows its new attempt; listed otherwise, its killed one may still be listed next.
    const newAttemptListed = status.state.phase === 'running' && status.state.state === 'RUNNING';
    // Slurm sets a killed attempt's start time to the requeue's when it lists it completing: the later one is kept.
    job.killedAttempt = newAttemptListed ? undefined : { startedAt: latest(job.attemptStartedAt, startedAtOf(status.state)) };
    // Listed as ended still (the killed attempt's end): dependents can be pointed at it only once it is queued again.
    if (status.state.phase === 'ended') job.repoint = true;
    else await this.repointDependents(job);
    await this.restartFiles(job, status.state.phase === 'running' && status.state.state === 'RUNNING');
    job.submission.report({ type: 'retry', attempt: restarts + 1, maxAttempts: 0, reason: `Slurm requeued job ${job.id} itself` });
  }

  /**
   * A requeued job starts a new log (Slurm truncates the file when the attempt starts): the last
   * attempt's is kept beside it, and its result removed so that it cannot settle the next attempt.
   * `running`: the new attempt is writing the log already, which then stays where it is.
   */
  private async restartFiles(job: Tracked, running: boolean): Promise<void> {
    if (!running) await rename(job.files.log, `${job.files.log}.attempt-${job.restarts}`).catch(() => undefined);
    await rm(job.files.result, { force: true });
    job.offset = 0;
    job.partial = '';
    job.reason = undefined;
  }

  /** A job that failed for good takes the queued jobs that wait for it along (Slurm leaves them queued: see retry.ts). */
  private cancelDependents(job: Tracked): void {
    const ids = allDependents(job.id, this.jobs.values()).map((j) => j.id).filter((id) => !this.cancelled.has(id));
    if (!ids.length) return;
    for (const id of ids) this.cancelled.add(id);
    this.opts.client.cancel(ids).catch((err: Error) => job.submission.report({ type: 'log', level: 'warn', line: `could not cancel Slurm jobs ${ids.join(', ')} that wait for job ${job.id}: ${err.message}` }));
  }

  private async settleAll(state: JobState): Promise<void> {
    for (const job of this.jobs.values()) if (!job.settled) await this.settle(job, state);
  }

  /** Reads what the job's log gained since the last read: its events, and any other line as a warning. */
  private async readLog(job: Tracked): Promise<void> {
    let text: string;
    try {
      const handle = await open(job.files.log, 'r');
      try {
        const { size } = await handle.stat();
        // Shorter than what was read: a new attempt of a requeued job started the log again.
        if (size < job.offset) { job.offset = 0; job.partial = ''; }
        if (size <= job.offset) return;
        const buffer = Buffer.alloc(size - job.offset);
        await handle.read(buffer, 0, buffer.length, job.offset);
        job.offset = size;
        text = job.partial + buffer.toString('utf8');
      } finally {
        await handle.close();
      }
    } catch {
      return; // no log yet: the job has not started
    }
    const lines = text.split('\n');
    job.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      const event = parseEventLine(line);
      if (!event) { job.submission.report({ type: 'log', level: 'warn', line }); continue; }
      switch (event.type) {
        case 'started': await this.markStarted(job); break;
        case 'log': job.submission.report({ type: 'log', level: event.level, line: event.message }); break;
        case 'metric': job.submission.report(event); break;
        case 'progress': job.submission.report(event); break;
        case 'result': break; // the result file says the same, and is read once the job has ended
      }
    }
  }

  private async markStarted(job: Tracked): Promise<void> {
    if (job.started) return;
    job.started = true;
    const tracking = await job.submission.started();
    // The job puts it in the manifest when it publishes (a job that is quicker goes without).
    if (tracking) await writeWhole(job.files.tracking, JSON.stringify(tracking)).catch(() => undefined);
  }

  private async settle(job: Tracked, state: JobState): Promise<void> {
    if (job.settled || state.phase !== 'ended') return;
    await this.readLog(job);
    if (job.partial) { job.submission.report({ type: 'log', level: 'warn', line: job.partial }); job.partial = ''; }
    const result = await readJobResult(job.files.result).catch(() => undefined);
    job.settled = true;
    const timing = result ? { startedAt: result.startedAt, endedAt: result.endedAt } : { startedAt: state.startedAt, endedAt: state.endedAt };
    const metrics = result?.metrics ?? [];
    if (state.verdict === 'COMPLETED' && result?.outcome === 'ran') {
      job.succeeded = true;
      await this.markStarted(job);
      job.resolve({ outcome: 'ran', metrics, startedAt: result.startedAt, endedAt: result.endedAt });
      return;
    }
    if (state.verdict === 'COMPLETED' && result?.outcome === 'hit') { job.succeeded = true; job.resolve({ outcome: 'hit', metrics }); return; }
    const failed = (failure: Failure): void => {
      job.resolve({ outcome: failure.kind === 'cancelled' ? 'cancelled' : 'failed', failure, metrics, ...timing, log: job.files.log });
      this.cancelDependents(job);
    };
    const cluster = { id: job.id, verdict: state.verdict };
    switch (state.verdict) {
      case 'TIMEOUT': return failed({ kind: 'time-limit', limitMs: job.limitMs ?? 0, job: cluster });
      case 'OUT_OF_MEMORY': return failed({ kind: 'out-of-memory', ...(job.memoryMb === undefined ? {} : { memoryMb: job.memoryMb }), job: cluster });
      case 'CANCELLED':
        // Ours (an interrupt, a failure elsewhere) or Slurm's for a dependency that failed: the scheduler knows why.
        if (this.cancelled.has(job.id) || state.reason === 'DependencyNeverSatisfied' || job.hopeless === 'DependencyNeverSatisfied') return failed({ kind: 'cancelled' });
        if (job.hopeless) return failed({ kind: 'job-ended', job: cluster, reason: `it could never start: ${job.hopeless}` });
        return failed({ kind: 'job-ended', job: cluster, reason: state.reason ?? 'cancelled outside this run' });
      case 'FAILED':
      case 'COMPLETED':
        if (result?.failure) return failed(result.failure);
        if (result?.error) return failed({ kind: 'plugin-error', message: result.error });
        return failed({ kind: 'job-ended', job: cluster, reason: state.exitCode ? `exit code ${state.exitCode}; the job left no result, see its log` : 'the job left no result, see its log' });
      default: return failed({ kind: 'job-ended', job: cluster, ...(state.reason ? { reason: state.reason } : {}) });
    }
  }
}

/** Follows which attempt of a job squeue lists: only a running new attempt ends the killed one's window. */
function noteAttempt(job: Tracked, state: JobState): void {
  // Queued is not enough: after `scontrol requeue`, Slurm 22.05 was seen listing the job PENDING, then
  // the killed attempt's end (FAILED, its start time) for over ten seconds, then PENDING again. Only a
  // running (not completing) listing is surely the new attempt: the killed one is listed COMPLETING.
  if (state.phase !== 'running') return;
  if (state.state === 'RUNNING') { job.killedAttempt = undefined; job.nudged = false; }
  if (state.startedAt !== undefined) job.attemptStartedAt = state.startedAt;
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function startedAtOf(state: JobState): number | undefined {
  return state.phase === 'pending' ? undefined : state.startedAt;
}

/**
 * An end listed before the job's new attempt was seen running, that did not start after the killed
 * attempt did, or that bears Slurm's mark of a killed attempt's end.
 */
function isKilledAttemptsEnd(job: Tracked, state: JobState): boolean {
  const killedStart = job.killedAttempt?.startedAt;
  if (!job.killedAttempt || state.phase !== 'ended') return false;
  if (killedStart === undefined || state.startedAt === undefined || state.startedAt <= killedStart) return true;
  // Slurm 22.05 lists the end of an attempt it killed to requeue the job with the requeue's time as
  // both its start and its end (seen on the local cluster when the listing in between, COMPLETING,
  // was missed). A new attempt that failed unseen within the second it started is taken for it too:
  // it is requeued once more (requeueStuck), and the end of that attempt settles it (if that attempt
  // is not seen running either, its end settles it once the watch's limit on stale ends is reached).
  // An end that completed is always the new attempt's.
  return state.verdict !== 'COMPLETED' && state.endedAt !== undefined && state.endedAt === state.startedAt;
}
