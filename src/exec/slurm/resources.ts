// A stage's resources as sbatch options.
import type { Resources } from '../../graph/types.js';
import { parseTimeLimit } from '../../util/time-limit.js';

/** What a job asks Slurm for: the recipe's resources plus where and as whom it runs. */
export interface SlurmResources extends Resources {
  partition?: string;
  account?: string;
  qos?: string;
  /** Node features, in Slurm's --constraint syntax ("a100", "skylake&ib"). */
  constraint?: string;
  /** The GRES name GPUs are requested by (default "gpu"). */
  gpuGres?: string;
  /** Further sbatch options, passed as they are, after Retort's own (so they win). */
  extraArgs?: string[];
}

/**
 * sbatch options for `r`, in a fixed order. Slurm counts time limits in whole minutes, so a limit
 * of seconds is rounded up ("90s" asks for 2 minutes).
 */
export function renderResources(r: SlurmResources): string[] {
  const args: string[] = [];
  if (r.cpus !== undefined) args.push(`--cpus-per-task=${positiveInt(r.cpus, 'cpus')}`);
  if (r.memoryMb !== undefined) args.push(`--mem=${positiveInt(r.memoryMb, 'memoryMb')}M`);
  if (r.timeLimit !== undefined) args.push(`--time=${slurmMinutes(r.timeLimit)}`);
  if (r.gpus !== undefined && r.gpus > 0) args.push(`--gres=${r.gpuGres ?? 'gpu'}:${positiveInt(r.gpus, 'gpus')}`);
  if (r.partition) args.push(`--partition=${r.partition}`);
  if (r.account) args.push(`--account=${r.account}`);
  if (r.qos) args.push(`--qos=${r.qos}`);
  if (r.constraint) args.push(`--constraint=${r.constraint}`);
  args.push(...(r.extraArgs ?? []));
  return args;
}

/** A Retort time limit ("90s", "15m", "1:30:00", "2-12") as Slurm minutes. */
export function slurmMinutes(timeLimit: string): number {
  const ms = parseTimeLimit(timeLimit);
  if (ms === undefined) throw new RangeError(`timeLimit ${JSON.stringify(timeLimit)} is not a time limit (e.g. "90s", "15m", "2h", "1:30:00")`);
  return Math.ceil(ms / 60_000);
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive whole number, got ${n}`);
  return n;
}
