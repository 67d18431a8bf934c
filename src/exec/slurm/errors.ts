// What can go wrong when Retort talks to Slurm, as values a caller can tell apart and show as they are.

export type SlurmErrorKind =
  /** The Slurm command is not installed (or not on the PATH given). */
  | 'not-installed'
  /** The command ran but could not reach slurmctld. */
  | 'unreachable'
  /** Slurm refused the request: an unknown partition, account or QOS, a resource request no node can meet, a bad option. */
  | 'rejected'
  /** Anything else the command reported, or output Retort could not read. */
  | 'failed';

export class SlurmError extends Error {
  override readonly name = 'SlurmError';
  constructor(
    readonly kind: SlurmErrorKind,
    /** The command that failed, e.g. `sbatch`. */
    readonly command: string,
    message: string,
    /** Slurm's own words (its stderr), when it said something. */
    readonly slurmMessage?: string,
    /** Jobs submitted before the failure, still queued: the caller cancels them or names them. */
    readonly submitted: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Slurm's stderr, one clean line per message ("sbatch: error: x" and "x" on the next line both kept). */
export function slurmWords(stderr: string): string {
  return stderr.split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
}

/** Classifies a failed Slurm command from its exit and its stderr. */
export function commandError(command: string, exitCode: number | null, stderr: string, opts: { submit?: boolean } = {}): SlurmError {
  const words = slurmWords(stderr);
  const said = words ? `: ${words}` : ` (exit code ${exitCode}, nothing on stderr)`;
  if (/Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted/i.test(stderr)) {
    return new SlurmError('unreachable', command, `${command} could not reach the Slurm controller${said}`, words || undefined);
  }
  // A shell that cannot find the program (a command template naming a scheduler that is not installed).
  if (exitCode === 127 && /not found/.test(stderr)) {
    return new SlurmError('not-installed', command, `${command} is not installed here${said}`, words || undefined);
  }
  if ((opts.submit ?? command === 'sbatch') && exitCode !== null) {
    return new SlurmError('rejected', command, `${command} rejected the job${said}`, words || undefined);
  }
  return new SlurmError('failed', command, `${command} failed${said}`, words || undefined);
}

export function notInstalled(command: string, bin: string | undefined): SlurmError {
  const where = bin ? `in ${bin}` : 'on the PATH';
  return new SlurmError('not-installed', command,
    `${command} is not ${where}: Slurm's client commands must be installed on this machine (or set the folder that holds them)`);
}
