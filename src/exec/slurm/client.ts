// The Slurm client the Slurm executor calls: submit, list, follow and cancel jobs through Slurm's
// own commands (sbatch, squeue, scancel, scontrol), with errors as SlurmErrors.
import { processRunner, runChecked, type CommandRunner, type RunnerOptions } from './command.js';
import { commandError, SlurmError, slurmWords } from './errors.js';
import { JobWatch, type WatchOptions } from './follow.js';
import { parseSqueue, squeueArgs, type JobStatus } from './states.js';
import { afterOkList, batchScript, checkJobId, parseParsable, sbatchArgs, type SubmitRequest } from './submit.js';

export interface SlurmClientOptions extends RunnerOptions {
  /** Runs the commands (default: child processes with `bin` and `env`). */
  run?: CommandRunner;
}

export class SlurmClient {
  private readonly run: CommandRunner;

  constructor(opts: SlurmClientOptions = {}) {
    this.run = opts.run ?? processRunner(opts);
  }

  /** Submits one job (or one array) and returns its id; no waiting for it. */
  async submit(req: SubmitRequest): Promise<string> {
    return parseParsable(await runChecked(this.run, 'sbatch', sbatchArgs(req), batchScript(req)));
  }

  /**
   * Submits independent jobs (none waits for another in the list), `concurrency` sbatch calls at a
   * time; their ids in the order given. On a failure the error says which jobs were submitted already.
   */
  async submitAll(requests: readonly SubmitRequest[], concurrency = 4): Promise<string[]> {
    const ids: string[] = new Array(requests.length);
    let next = 0;
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && next < requests.length) {
        const i = next++;
        try { ids[i] = await this.submit(requests[i]!); } catch (err) { failure ??= err; }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, requests.length)) }, worker));
    if (failure !== undefined) {
      const submitted = ids.filter(Boolean);
      if (failure instanceof SlurmError) {
        throw new SlurmError(failure.kind, failure.command, `${failure.message}${submitted.length ? ` (already submitted: ${submitted.join(', ')})` : ''}`, failure.slurmMessage, submitted);
      }
      throw failure;
    }
    return ids;
  }

  /** The state of the given jobs, array tasks listed one by one, in one squeue call. */
  async status(ids: readonly string[]): Promise<JobStatus[]> {
    if (!ids.length) return [];
    const result = await this.run('squeue', squeueArgs(ids));
    // squeue fails when none of the ids is known any more; that is an empty listing, not an error.
    if (result.exitCode !== 0 && /Invalid job id specified/.test(result.stderr)) return [];
    if (result.exitCode !== 0) throw commandError('squeue', result.exitCode, result.stderr);
    return parseSqueue(result.stdout);
  }

  /** A watch over jobs, one squeue per poll; `add` ids to it as they are submitted. */
  watch(opts: Omit<WatchOptions, 'query'> = {}): JobWatch {
    return new JobWatch({ ...opts, query: (ids) => this.status(ids) });
  }

  /** Follows the jobs until all have ended; their final statuses by squeue id ("12", "12_3"). */
  async follow(ids: readonly string[], opts: Omit<WatchOptions, 'query'> & { signal?: AbortSignal } = {}): Promise<Map<string, JobStatus>> {
    const watch = this.watch(opts);
    watch.add(ids);
    return watch.run(opts.signal);
  }

  /** Cancels the jobs in one scancel; jobs that ended already are left as they are. */
  async cancel(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await runChecked(this.run, 'scancel', [...ids]);
  }

  /**
   * Puts an ended (or running) batch job back in the queue under the same id, so that jobs waiting
   * for it keep their dependency. Slurm holds a requeued job back for its credential lifetime (about
   * 2 minutes) by default; the driver decided the new attempt, so it may start at once.
   */
  async requeue(id: string): Promise<void> {
    await runChecked(this.run, 'scontrol', ['requeue', checkJobId(id)]);
    await runChecked(this.run, 'scontrol', ['update', `jobid=${id}`, 'StartTime=now']);
  }

  /**
   * Sets a queued job's afterok dependency again. Slurm marks a dependency on a job that ended badly
   * as failed for good (reason DependencyNeverSatisfied), even once that job is requeued; setting
   * it anew makes Slurm wait for the requeued job.
   */
  async setAfterOk(id: string, afterOk: readonly string[]): Promise<void> {
    await runChecked(this.run, 'scontrol', ['update', `jobid=${checkJobId(id)}`, `Dependency=${afterOkList(afterOk)}`]);
  }

  /** Throws a SlurmError unless the controller answers. */
  async ping(): Promise<void> {
    const result = await this.run('scontrol', ['ping']);
    if (result.exitCode === 0 && !/DOWN/.test(result.stdout)) return;
    const said = slurmWords(result.stderr) || (result.stdout.split('\n')[0] ?? '').trim();
    if (/DOWN/.test(result.stdout) || /Unable to contact/.test(result.stderr)) {
      throw new SlurmError('unreachable', 'scontrol', `the Slurm controller does not answer: ${said}`, said);
    }
    throw commandError('scontrol', result.exitCode, result.stderr);
  }
}
