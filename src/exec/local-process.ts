// Starts a node's own process and relays what it reports.
import type { FromChild, NodeJob } from './protocol.js';
import { defaultRunnerPool, type RunnerPool } from './runner-pool.js';
import { formatLimit } from './time-limit.js';

export interface ProcessCallbacks {
  onLog(level: 'info' | 'warn' | 'error', message: string): void;
  onMetric(name: string, value: number, step: number, timestamp: number): void;
  onProgress(done: number, total: number): void;
}

export interface ProcessOutcome { ok: boolean; cancelled: boolean; error?: string }

/** Runs a job in a child process. Aborting sends a cancel, then SIGKILL after `graceMs`. */
export function runInProcess(job: NodeJob, cb: ProcessCallbacks,
  opts: { signal: AbortSignal; memoryMb?: number; timeLimitMs?: number; graceMs?: number; env?: NodeJS.ProcessEnv; pool?: RunnerPool }): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const { child, env } = (opts.pool ?? defaultRunnerPool()).acquire({ memoryMb: opts.memoryMb, env: opts.env });
    let outcome: ProcessOutcome | undefined;
    let failure: string | undefined;
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
        case 'done': outcome = { ok: true, cancelled: false }; break;
        case 'failed': failure = msg.message; if (msg.detail) logLines('error', msg.detail); break;
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
      if (opts.signal.aborted) { resolve({ ok: false, cancelled: true, error: 'cancelled' }); return; }
      if (timedOut) { resolve({ ok: false, cancelled: false, error: `stopped after its time limit of ${formatLimit(opts.timeLimitMs!)} (resources.timeLimit)` }); return; }
      if (outcome?.ok && code === 0) { resolve(outcome); return; }
      const how = sig ? `the node's process was killed by ${sig}${sig === 'SIGKILL' ? ' (out of memory?)' : ''}` : `the node's process exited with code ${code}`;
      resolve({ ok: false, cancelled: false, error: failure ?? how });
    });
    child.send({ type: 'start', job, env });
  });
}
