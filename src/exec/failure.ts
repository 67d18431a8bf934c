// Why a node did not produce a result, as a value: the scheduler, the display, the tracker and the
// run record all read the same `kind`, and `failureMessage` renders the text users see for it.
import type { NodeOutcome } from '../store/runs.js';
import { formatLimit } from '../util/time-limit.js';
import type { RunnerReason } from './protocol.js';
import type { NodeId } from '../util/ids.js';

/** The node's own process (the node runner) or the command a command plugin runs inside it. */
export type FailedProcess = 'node' | 'command';

/** When the store refused: creating the node's staging entry, or publishing its result. */
export type StoreStep = 'prepare' | 'publish';

/** The cluster job a node ran as, when the cluster's verdict ended it: its id and the verdict in the cluster's words. */
export interface ClusterJob { id: string; verdict: string }

export type Failure =
  | { kind: 'exit-code'; process: FailedProcess; code: number }
  | { kind: 'signal'; process: FailedProcess; signal: string }
  /** `job`: the cluster stopped the node's job at its limit (Slurm's TIMEOUT). */
  | { kind: 'time-limit'; limitMs: number; job?: ClusterJob }
  /** The V8 heap limit (resources.memoryMb, or V8's own default) was reached; `job`: the cluster said so (OUT_OF_MEMORY). */
  | { kind: 'out-of-memory'; signal?: string; memoryMb?: number; job?: ClusterJob }
  /** The cluster ended the node's job for a reason of its own (NODE_FAIL, PREEMPTED, BOOT_FAIL, a cancel by someone else…). */
  | { kind: 'job-ended'; job: ClusterJob; reason?: string }
  /** The cluster would not take the node's job (no sbatch, controller unreachable, a request it rejects): its own words. */
  | { kind: 'submit-failed'; message: string }
  | { kind: 'missing-output'; ports: string[] }
  /** The node wrote outside its output ports; `message` names the paths. */
  | { kind: 'stray-output'; message: string }
  /** The plugin failed: a NodeFailure it threw, or any other error, with its message. */
  | { kind: 'plugin-error'; message: string }
  | { kind: 'store-full'; step: StoreStep; root: string }
  | { kind: 'store-unwritable'; step: StoreStep; root: string; message: string }
  | { kind: 'store-error'; step: StoreStep; message: string }
  /** `log`: where the failed node's job log is, when it ran on a cluster. */
  | { kind: 'upstream-failed'; upstream: NodeId; log?: string }
  /** Not started because an earlier node failed and the run was not --keep-going. */
  | { kind: 'not-started' }
  /** Interrupted (or its lease was lost) while waiting or running. */
  | { kind: 'cancelled' };

export type FailureKind = Failure['kind'];

const STORE_STEP: Record<StoreStep, string> = {
  prepare: 'could not prepare its entry in the store',
  publish: 'could not store the result',
};

/** The one text of each failure: shown by the display, tagged in MLflow, kept in the run record. */
export function failureMessage(f: Failure): string {
  switch (f.kind) {
    case 'exit-code': return f.process === 'command' ? `command exited with code ${f.code}` : `the node's process exited with code ${f.code}`;
    case 'signal':
      if (f.process === 'command') return `command killed by ${f.signal}`;
      // SIGKILL is also what the kernel's OOM killer sends; we cannot tell, so we say both.
      return `the node's process was killed by ${f.signal}${f.signal === 'SIGKILL' ? ' (out of memory?)' : ''}`;
    case 'time-limit':
      if (f.job) return `Slurm stopped job ${f.job.id} at its time limit of ${formatLimit(f.limitMs)} (${f.job.verdict}; resources.timeLimit)`;
      return `stopped after its time limit of ${formatLimit(f.limitMs)} (resources.timeLimit)`;
    case 'out-of-memory': {
      if (f.job) return `Slurm job ${f.job.id} ran out of memory (${f.job.verdict}${f.memoryMb === undefined ? '' : `; resources.memoryMb ${f.memoryMb}`})`;
      const killed = f.signal ? `the node's process was killed by ${f.signal}` : `the node's process stopped`;
      const limit = f.memoryMb === undefined ? 'its JavaScript heap is full' : `its JavaScript heap reached resources.memoryMb (${f.memoryMb})`;
      return `${killed} (out of memory: ${limit})`;
    }
    case 'missing-output': return `the plugin did not write output port${f.ports.length > 1 ? 's' : ''} ${f.ports.map((p) => `'${p}'`).join(', ')}`;
    case 'stray-output': return f.message;
    case 'plugin-error': return f.message;
    case 'store-full': return `${STORE_STEP[f.step]}: no space left on the device of the store (${f.root}); free some (retort gc) and run again`;
    case 'store-unwritable': return `${STORE_STEP[f.step]}: the store (${f.root}) is not writable: ${f.message}`;
    case 'store-error': return `${STORE_STEP[f.step]}: ${f.message}`;
    case 'job-ended': return `Slurm job ${f.job.id} ended ${f.job.verdict}${f.reason ? ` (${f.reason})` : ''}`;
    case 'submit-failed': return f.message;
    case 'upstream-failed': return `upstream ${f.upstream} failed${f.log ? ` (its log: ${f.log})` : ''}`;
    case 'not-started': return 'not started after an earlier failure (use --keep-going)';
    case 'cancelled': return 'cancelled';
  }
}

/** A failed node is 'failed'; one that never ran because of another is 'skipped'; an interrupt 'cancelled'. */
export function outcomeOf(f: Failure): Exclude<NodeOutcome, 'hit' | 'ran'> {
  switch (f.kind) {
    case 'upstream-failed': case 'not-started': return 'skipped';
    case 'cancelled': return 'cancelled';
    default: return 'failed';
  }
}

/** The failure of a store write, from the error the file system gave. */
export function storeFailure(err: unknown, step: StoreStep, root: string): Failure {
  const code = (err as NodeJS.ErrnoException)?.code;
  const message = (err as Error)?.message ?? String(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return { kind: 'store-full', step, root };
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return { kind: 'store-unwritable', step, root, message };
  return { kind: 'store-error', step, message };
}

/** The same failure with `mask` applied to every text that came from outside (secrets removed). */
export function maskFailure(f: Failure, mask: (text: string) => string): Failure {
  switch (f.kind) {
    case 'stray-output': case 'plugin-error': case 'store-error': case 'submit-failed': return { ...f, message: mask(f.message) };
    case 'store-unwritable': return { ...f, root: mask(f.root), message: mask(f.message) };
    case 'store-full': return { ...f, root: mask(f.root) };
    default: return f;
  }
}

/** The failure a node runner's 'failed' message stands for: its reason, else the plugin's own error. */
export function runnerFailure(message: string, reason?: RunnerReason): Failure {
  switch (reason?.kind) {
    case 'missing-output': return { kind: 'missing-output', ports: reason.ports };
    case 'stray-output': return { kind: 'stray-output', message };
    case 'exit-code': return { kind: 'exit-code', process: 'command', code: reason.code };
    case 'signal': return { kind: 'signal', process: 'command', signal: reason.signal };
    case undefined: return { kind: 'plugin-error', message };
  }
}
