// Starts a node's own process and relays what it reports.
import { runnerFailure, type Failure } from './failure.js';
import { JOB_END_MARK, type FromChild, type NodeJob, type RunnerReason } from './protocol.js';
import { defaultRunnerPool, type RunnerPool } from './runner-pool.js';

export interface ProcessCallbacks {
  onLog(level: 'info' | 'warn' | 'error', message: string): void;
  onMetric(name: string, value: number, step: number, timestamp: number): void;
  onProgress(done: number, total: number): void;
}

/** How a node's process ended: it finished its job, or why not. */
export type ProcessOutcome = { ok: true } | { ok: false; failure: Failure };

/**
 * Runs a job in a runner process. Aborting sends a cancel, then SIGKILL after `graceMs`. The job ends
 * when the process closes, or when the runner says it stays for another job and both of its output
 * streams have reached the job's end mark: it then goes back to the pool.
 */
export function runInProcess(job: NodeJob, cb: ProcessCallbacks,
  opts: { signal: AbortSignal; memoryMb?: number; timeLimitMs?: number; graceMs?: number; env?: NodeJS.ProcessEnv;
    pool?: RunnerPool }): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const pool = opts.pool ?? defaultRunnerPool();
    const { child, env, keep } = pool.acquire({ memoryMb: opts.memoryMb, env: opts.env });
    let done = false;
    let stays = false;
    let settled = false;
    let failure: { message: string; reason?: RunnerReason } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const streamsAtMark = new Set<NodeJS.ReadableStream>();
    const detach: (() => void)[] = [];
    const listen = <A extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, fn: (...args: A) => void) => {
      emitter.on(event, fn as (...args: unknown[]) => void);
      detach.push(() => emitter.removeListener(event, fn as (...args: unknown[]) => void));
    };

    const finish = (outcome: ProcessOutcome) => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      if (limitTimer) clearTimeout(limitTimer);
      opts.signal.removeEventListener('abort', onAbort);
      for (const off of detach) off();
      resolve(outcome);
    };
    // A runner that stays: its job is over once `done` came and each stream showed the job's end.
    const maybeReturn = () => {
      if (!stays || streamsAtMark.size < 2 || settled) return;
      finish({ ok: true });
      pool.release(child);
    };

    const pipeLines = (stream: NodeJS.ReadableStream | null, level: 'info' | 'error') => {
      if (!stream) return;
      let pending = '';
      stream.setEncoding('utf8');
      listen(stream, 'data', (chunk: string) => {
        pending += chunk;
        const mark = pending.indexOf(JOB_END_MARK);
        const text = mark >= 0 ? pending.slice(0, mark) : pending;
        let nl: number;
        let from = 0;
        while ((nl = text.indexOf('\n', from)) >= 0) { cb.onLog(level, text.slice(from, nl)); from = nl + 1; }
        if (mark < 0) { pending = text.slice(from); return; }
        // The job's last line may lack its newline; what follows the mark is not this job's.
        if (from < text.length) cb.onLog(level, text.slice(from));
        pending = '';
        streamsAtMark.add(stream);
        maybeReturn();
      });
      listen(stream, 'end', () => { if (pending) cb.onLog(level, pending); pending = ''; });
    };
    pipeLines(child.stdout, 'info');
    pipeLines(child.stderr, 'error');
    // A multi-line message (a stack trace, a table) is stored and shown a line at a time, each with its node.
    const logLines = (level: 'info' | 'warn' | 'error', text: string) => {
      for (const line of text.replace(/\n+$/, '').split('\n')) cb.onLog(level, line);
    };
    listen(child, 'message', (msg: FromChild) => {
      switch (msg.type) {
        case 'log': logLines(msg.level, msg.message); break;
        case 'metric': cb.onMetric(msg.name, msg.value, msg.step, msg.timestamp); break;
        case 'progress': cb.onProgress(msg.done, msg.total); break;
        case 'done': done = true; stays = msg.stays === true && keep; maybeReturn(); break;
        case 'failed': failure = { message: msg.message, reason: msg.reason }; if (msg.detail) logLines('error', msg.detail); break;
      }
    });
    const onAbort = () => {
      if (child.exitCode !== null || settled) return;
      child.send({ type: 'cancel' }, () => undefined);
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs ?? 3000);
    };
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
    // Over its time limit, a node is stopped like a cancelled one, but fails.
    let timedOut = false;
    const limitTimer = opts.timeLimitMs === undefined ? undefined : setTimeout(() => { timedOut = true; onAbort(); }, opts.timeLimitMs);
    // 'close' (not 'exit'): by then every IPC message and output line of the child has arrived.
    listen(child, 'close', (code: number | null, sig: NodeJS.Signals | null) => {
      finish(processOutcome({ aborted: opts.signal.aborted, timedOut, timeLimitMs: opts.timeLimitMs, done, failure, code, signal: sig }));
    });
    child.send({ type: 'start', job, env, keep });
  });
}

/** The outcome of a process that closed: an interrupt first, then its time limit, then how it exited. */
function processOutcome(end: { aborted: boolean; timedOut: boolean; timeLimitMs?: number; done: boolean; failure?: { message: string; reason?: RunnerReason };
  code: number | null; signal: NodeJS.Signals | null }): ProcessOutcome {
  if (end.aborted) return { ok: false, failure: { kind: 'cancelled' } };
  if (end.timedOut) return { ok: false, failure: { kind: 'time-limit', limitMs: end.timeLimitMs! } };
  if (end.done && end.code === 0) return { ok: true };
  if (end.failure !== undefined) return { ok: false, failure: runnerFailure(end.failure.message, end.failure.reason) };
  if (end.signal) return { ok: false, failure: { kind: 'signal', process: 'node', signal: end.signal } };
  return { ok: false, failure: { kind: 'exit-code', process: 'node', code: end.code ?? -1 } };
}
