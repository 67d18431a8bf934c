// Runs one Slurm client command (sbatch, squeue, scancel…) and turns its failures into SlurmErrors.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { commandError, notInstalled, SlurmError } from './errors.js';

export interface CommandResult { stdout: string; stderr: string; exitCode: number | null }

/** How the client runs a command; tests and other schedulers' templates can pass their own. */
export type CommandRunner = (command: string, args: readonly string[], opts?: { input?: string }) => Promise<CommandResult>;

export interface RunnerOptions {
  /** Folder holding the Slurm commands; the PATH when absent. */
  bin?: string;
  /** Environment of the commands (SLURM_CONF among others); this process's when absent. */
  env?: NodeJS.ProcessEnv;
  /** A command that hangs this long is killed (default 120 s: Slurm retries an unreachable controller for a while). */
  timeoutMs?: number;
}

/** Starts commands as child processes; ENOENT becomes a 'not-installed' SlurmError. */
export function processRunner(opts: RunnerOptions = {}): CommandRunner {
  return (command, args, { input } = {}) => new Promise((resolve, reject) => {
    const file = opts.bin ? join(opts.bin, command) : command;
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    // Our own timer, not spawn's: spawn's outlives a command that never started and keeps the process alive.
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 120_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? notInstalled(command, opts.bin) : new SlurmError('failed', command, `${command} could not be started: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) stderr += `\n(${command} was stopped by ${signal})`;
      resolve({ stdout, stderr, exitCode: code });
    });
    child.stdin.on('error', () => undefined); // a command that exits before reading its input
    child.stdin.end(input ?? '');
  });
}

/** Runs a command and returns its stdout; a non-zero exit is a SlurmError quoting stderr. */
export async function runChecked(run: CommandRunner, command: string, args: readonly string[],
  input?: string, opts: { submit?: boolean } = {}): Promise<string> {
  const result = await run(command, args, { input });
  if (result.exitCode !== 0) throw commandError(command, result.exitCode, result.stderr, opts);
  return result.stdout;
}
