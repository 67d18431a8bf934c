// One sbatch submission: the request, its command line, and the job id sbatch --parsable prints.
import { renderResources, type SlurmResources } from './resources.js';
import { SlurmError } from './errors.js';

export interface ArraySpec {
  /** Task indices 0..count-1. */
  count: number;
  /** At most this many tasks run at once (`%N`). */
  maxRunning?: number;
}

export interface SubmitRequest {
  /** --job-name (shown by squeue). */
  name: string;
  /** The command the job runs (argv, quoted into a shell script; `$SLURM_ARRAY_TASK_ID` is not expanded in it). */
  command: string[];
  /** Job ids (or array job ids) that must have completed successfully first. */
  afterOk?: string[];
  /**
   * Slurm cancels the job when an upstream job fails (default). Off, the job stays queued with reason
   * DependencyNeverSatisfied, so that a driver that puts the upstream job back in the queue can
   * point the job at it again (see retry.ts).
   */
  killOnInvalidDep?: boolean;
  array?: ArraySpec;
  resources?: SlurmResources;
  /** The job's stdout and stderr; Slurm's patterns (%j, %A, %a) allowed. Default: Slurm's slurm-%j.out in cwd. */
  output?: string;
  /** Where the job starts (--chdir). */
  cwd?: string;
  /** Variables set in the batch script, on top of the submitting environment (Slurm exports it by default). */
  env?: Record<string, string>;
}

/** The sbatch arguments for `req`; the script itself goes to sbatch's stdin (see batchScript). */
export function sbatchArgs(req: SubmitRequest): string[] {
  const args = ['--parsable', `--job-name=${req.name}`];
  if (req.output) args.push(`--output=${req.output}`);
  if (req.cwd) args.push(`--chdir=${req.cwd}`);
  if (req.afterOk?.length) {
    // kill-on-invalid-dep: if an upstream job fails this one is cancelled, not left pending for ever.
    args.push(`--dependency=${afterOkList(req.afterOk)}`, `--kill-on-invalid-dep=${req.killOnInvalidDep === false ? 'no' : 'yes'}`);
  }
  if (req.array) {
    const { count, maxRunning } = req.array;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`an array needs at least one task, got ${count}`);
    args.push(`--array=0-${count - 1}${maxRunning ? `%${maxRunning}` : ''}`);
  }
  args.push(...renderResources(req.resources ?? {}));
  return args;
}

/** The batch script: a POSIX shell that sets the request's variables and execs its command. */
export function batchScript(req: Pick<SubmitRequest, 'command' | 'env'>): string {
  if (!req.command.length) throw new RangeError('a job needs a command');
  const exports = Object.entries(req.env ?? {}).map(([name, value]) => `export ${envName(name)}=${shellQuote(value)}\n`).join('');
  return `#!/bin/sh\n${exports}exec ${req.command.map(shellQuote).join(' ')}\n`;
}

/** `sbatch --parsable` prints "<id>" or "<id>;<cluster>". */
export function parseParsable(stdout: string): string {
  const first = stdout.trim().split('\n').pop() ?? '';
  const id = first.split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) throw new SlurmError('failed', 'sbatch', `sbatch printed no job id (got ${JSON.stringify(stdout.trim())})`);
  return id;
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** "afterok:12:13", Slurm's dependency on the given jobs. */
export function afterOkList(ids: readonly string[]): string {
  return `afterok:${ids.map(checkJobId).join(':')}`;
}

export function checkJobId(id: string): string {
  if (!/^\d+(_\d+)?$/.test(id)) throw new RangeError(`${JSON.stringify(id)} is not a Slurm job id`);
  return id;
}

function envName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`${JSON.stringify(name)} is not an environment variable name`);
  return name;
}
