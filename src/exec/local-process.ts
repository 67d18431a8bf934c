// Starts a node's own process and relays what it reports.
import { runnerFailure, type Failure } from './failure.js';
import type { FromChild, NodeJob, RunnerReason } from './protocol.js';
import { defaultRunnerPool, type RunnerPool } from './runner-pool.js';

export interface ProcessCallbacks {
  onLog(level: 'info' | 'warn' | 'error', message: string): void;
  onMetric(name: string, value: number, step: number, timestamp: number): void;
  onProgress(done: number, total: number): void;
}

/** How a node's process ended: it finished its job, or why not. */
export type ProcessOutcome = { ok: true } | { ok: false; failure: Failure };

/** Runs a job in a child process. Aborting sends a cancel, then SIGKILL after `graceMs`. */
export function runInProcess(job: NodeJob, cb: ProcessCallbacks,
  opts: { signal: AbortSignal; memoryMb?: number; timeLimitMs?: number; graceMs?: number; env?: NodeJS.ProcessEnv;
    pool?: RunnerPool }): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const { child, env } = (opts.pool ?? defaultRunnerPool()).acquire({ memoryMb: opts.memoryMb, env: opts.env });
    let done = false;
    let failure: { message: string; reason?: RunnerReason } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const pipeLines = (stream: NodeJS.ReadableStream | null, level: 'info' | 'error') => {
      if (!stream) return;
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) { cb.onLog(level, pending.slice(0, nl)); pending = pending.slice(nl + 1); }
      });
      stream.on('end', () => { if (pending) cb.onLog(level, pending); });
    };
    pipeLines(child.stdout, 'info');
    pipeLines(child.stderr, 'error');
    // A multi-line message (a stack trace, a table) is stored and shown a line at a time, each with its node.
    const logLines = (level: 'info' | 'warn' | 'error', text: string) => {
      for (const line of text.replace(/\n+$/, '').split('\n')) cb.onLog(level, line);
    };
    child.on('message', (msg: FromChild) => {
      switch (msg.type) {
        case 'log': logLines(msg.level, msg.message); break;
        case 'metric': cb.onMetric(msg.name, msg.value, msg.step, msg.timestamp); break;
        case 'progress': cb.onProgress(msg.done, msg.total); break;
        case 'done': done = true; break;
        case 'failed': failure = { message: msg.message, reason: msg.reason }; if (msg.detail) logLines('error', msg.detail); break;
      }
    });
    const onAbort = () => {
      if (child.exitCode !== null) return;
      child.send({ type: 'cancel' }, () => undefined);
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs ?? 3000);
    };
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
    // Over its time limit, a node is stopped like a cancelled one, but fails.
    let timedOut = false;
    const limitTimer = opts.timeLimitMs === undefined ? undefined : setTimeout(() => { timedOut = true; onAbort(); }, opts.timeLimitMs);
    // 'close' (not 'exit'): by then every IPC message and output line of the child has arrived.
    child.on('close', (code, sig) => {
      if (killTimer) clearTimeout(killTimer);
      if (limitTimer) clearTimeout(limitTimer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve(processOutcome({ aborted: opts.signal.aborted, timedOut, timeLimitMs: opts.timeLimitMs, done, failure, code, signal: sig }));
    });
    child.send({ type: 'start', job, env });
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
