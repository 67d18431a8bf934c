// Slurm job states as typed values, read from one `squeue --states=all` listing.

/** How a job ended, in Slurm's own words. */
export type Verdict =
  | 'COMPLETED' | 'FAILED' | 'TIMEOUT' | 'OUT_OF_MEMORY' | 'NODE_FAIL' | 'PREEMPTED' | 'CANCELLED'
  | 'BOOT_FAIL' | 'DEADLINE'
  /** Slurm no longer knows the job (it aged out of the controller and there is no accounting). */
  | 'UNKNOWN';

export type JobState =
  | { phase: 'pending'; /** squeue's reason: Priority, Resources, Dependency, BeginTime… */ reason: string; /** the reason cannot clear by itself */ hopeless: boolean }
  | { phase: 'running'; state: 'RUNNING' | 'COMPLETING' | 'CONFIGURING' | 'SUSPENDED' | 'STOPPED' | 'SIGNALING' | 'STAGE_OUT' | 'RESIZING'; startedAt?: number }
  | { phase: 'ended'; verdict: Verdict; reason?: string; exitCode?: number; signal?: number; startedAt?: number; endedAt?: number };

export interface JobStatus {
  /** As squeue prints it: "12" for a job, "12_3" for task 3 of array 12. */
  id: string;
  /** The id the job was submitted under ("12" for every task of array 12). */
  submittedId: string;
  arrayTask?: number;
  state: JobState;
  /** How many times Slurm put the job back in the queue (scontrol requeue, a node failure with JobRequeue, preemption by requeue). */
  restarts?: number;
}

/** Jobs Slurm may still run after this ended state: Retort may resubmit them. */
export const RETRYABLE: ReadonlySet<Verdict> = new Set(['NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL']);

/**
 * Pending reasons that never clear without someone changing the job or the cluster: the request
 * exceeds what the partition has, names a feature, account or QOS that does not exist, or waits on
 * a dependency that cannot be met.
 */
const HOPELESS_REASONS = new Set([
  'PartitionConfig', 'BadConstraints', 'InvalidAccount', 'InvalidQOS', 'DependencyNeverSatisfied',
  'PartitionNodeLimit', 'PartitionTimeLimit', 'AccountNotAllowed', 'QOSNotAllowed', 'FrontEndDown',
]);

const RUNNING_STATES = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);
const ENDED_STATES = new Set<string>(['COMPLETED', 'FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'CANCELLED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT', 'REVOKED']);

/** The squeue fields the parser reads, in this order (`squeue --Format`). */
export const SQUEUE_FIELDS = ['JobArrayID', 'ArrayJobID', 'ArrayTaskID', 'State', 'Reason', 'StartTime', 'EndTime', 'exit_code', 'RestartCnt'] as const;
export const SQUEUE_SEPARATOR = '|';

/** squeue options listing every known state of the given jobs, one line per array task. */
export function squeueArgs(ids: readonly string[]): string[] {
  return ['--noheader', '--array', '--states=all', `--jobs=${ids.join(',')}`, `--Format=${SQUEUE_FIELDS.map((f) => `${f}:${SQUEUE_SEPARATOR}`).join(',')}`];
}

/** Parses squeue's lines (see squeueArgs); lines it cannot read are errors, not silently dropped. */
export function parseSqueue(stdout: string): JobStatus[] {
  return stdout.split('\n').filter((l) => l.trim()).map(parseSqueueLine);
}

export function parseSqueueLine(line: string): JobStatus {
  const cells = line.split(SQUEUE_SEPARATOR).map((c) => c.trim());
  // The restart count came last, later: lines without it are still read.
  if (cells.length < SQUEUE_FIELDS.length - 1) throw new Error(`unexpected squeue line ${JSON.stringify(line)}`);
  const [id = '', arrayJobId = '', arrayTask = '', stateText = '', reason = '', start = '', end = '', exitRaw = '', restartsRaw = ''] = cells;
  const task = /^\d+$/.test(arrayTask) ? Number(arrayTask) : undefined;
  const restarts = /^\d+$/.test(restartsRaw) ? Number(restartsRaw) : undefined;
  return {
    id, submittedId: arrayJobId || id, ...(task === undefined ? {} : { arrayTask: task }), state: toState(stateText, reason, start, end, exitRaw),
    ...(restarts ? { restarts } : {}),
  };
}

/** squeue prints a state word, sometimes with flags after it ("CANCELLED by 0", "RUNNING+"). */
export function toState(stateText: string, reason: string, start: string, end: string, exitRaw: string): JobState {
  const word = (stateText.split(/[\s+]/)[0] ?? '').toUpperCase();
  const startedAt = slurmTime(start);
  const endedAt = slurmTime(end);
  if (word === 'PENDING' || word === 'REQUEUED' || word === 'REQUEUE_HOLD' || word === 'REQUEUE_FED' || word === 'RESV_DEL_HOLD') {
    const why = reason && reason !== 'None' ? reason : word === 'PENDING' ? 'None' : word;
    return { phase: 'pending', reason: why, hopeless: HOPELESS_REASONS.has(why) };
  }
  if (RUNNING_STATES.has(word)) return { phase: 'running', state: word as Extract<JobState, { phase: 'running' }>['state'], ...(startedAt ? { startedAt } : {}) };
  if (ENDED_STATES.has(word)) {
    // SPECIAL_EXIT and REVOKED are ends Retort treats as failures; the word is kept in the reason.
    const verdict: Verdict = word === 'SPECIAL_EXIT' || word === 'REVOKED' ? 'FAILED' : (word as Verdict);
    const status = parseWaitStatus(exitRaw);
    const why = reason && reason !== 'None' ? reason : word !== verdict ? word : undefined;
    return { phase: 'ended', verdict, ...(why ? { reason: why } : {}), ...status, ...(startedAt ? { startedAt } : {}), ...(endedAt ? { endedAt } : {}) };
  }
  throw new Error(`unknown Slurm job state ${JSON.stringify(stateText)}`);
}

/** squeue's exit_code is the raw wait status (768 = exit 3); "3:0" (scontrol, sacct) is also read. */
export function parseWaitStatus(text: string): { exitCode?: number; signal?: number } {
  const pair = /^(\d+):(\d+)$/.exec(text);
  if (pair) return withSignal(Number(pair[1]), Number(pair[2]));
  if (!/^\d+$/.test(text)) return {};
  const raw = Number(text);
  return withSignal((raw >> 8) & 0xff, raw & 0x7f);
}

function withSignal(exitCode: number, signal: number): { exitCode: number; signal?: number } {
  return signal ? { exitCode, signal } : { exitCode };
}

/** Slurm prints local times without a zone ("2026-12-01T09:30:13"), or N/A, NONE, Unknown. */
export function slurmTime(text: string): number | undefined {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(text)) return undefined;
  const ms = new Date(text).getTime(); // no zone: JavaScript reads a date-time as local time, as Slurm wrote it
  return Number.isFinite(ms) ? ms : undefined;
}

/** One line for a person: "TIMEOUT", "FAILED (exit code 3)", "pending (Resources)". */
export function describeState(state: JobState): string {
  if (state.phase === 'pending') return `pending (${state.reason})`;
  if (state.phase === 'running') return state.state.toLowerCase();
  const code = state.verdict === 'FAILED' && state.exitCode !== undefined ? ` (exit code ${state.exitCode}${state.signal ? `, signal ${state.signal}` : ''})` : '';
  const why = state.reason && state.verdict !== 'FAILED' && state.verdict !== 'COMPLETED' ? ` (${state.reason})` : '';
  return `${state.verdict}${code}${why}`;
}
