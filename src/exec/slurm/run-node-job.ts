// Computes one node inside a Slurm job, against the shared store, the way the local scheduler does:
// under the key's lease, in the node's own process (the same node runner), published atomically.
import { appendFile } from 'node:fs/promises';
import { Store, type Lease, type Manifest } from '../../store/store.js';
import type { MetricPoint } from '../../track/observer.js';
import { secretMasker } from '../../util/secrets.js';
import { failureMessage, maskFailure, storeFailure } from '../failure.js';
import { runInProcess } from '../local-process.js';
import type { FromChild, NodeJob } from '../protocol.js';
import { readTrackingRef, type JobResult, type NodeJobSpec } from './job-spec.js';

/** Prefix of the event lines a job prints to its Slurm log, for the driver to follow. */
export const EVENT_PREFIX = '::retort ';

export type JobEvent = Extract<FromChild, { type: 'log' | 'metric' | 'progress' }> | { type: 'started' } | { type: 'result'; result: JobResult };

export function eventLine(event: JobEvent): string {
  return `${EVENT_PREFIX}${JSON.stringify(event)}\n`;
}

/** The event on a line of a job's log, or undefined for any other line. */
export function parseEventLine(line: string): JobEvent | undefined {
  if (!line.startsWith(EVENT_PREFIX)) return undefined;
  try { return JSON.parse(line.slice(EVENT_PREFIX.length)) as JobEvent; } catch { return undefined; }
}

export interface RunJobOptions {
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** Hears the job's events (job-main prints them to the Slurm log). */
  emit(event: JobEvent): void;
}

export async function runNodeJob(spec: NodeJobSpec, opts: RunJobOptions): Promise<JobResult> {
  const { key, nodeId } = spec.job;
  const startedAt = Date.now();
  const result = (outcome: JobResult['outcome'], extra: Partial<JobResult> = {}): JobResult =>
    ({ v: 1, key, nodeId, outcome, metrics: [], startedAt, endedAt: Date.now(), ...extra });
  const mask = secretMasker(opts.env);
  const store = await Store.open(spec.store);
  let lease: Lease;
  try {
    lease = await store.waitLease(key, {
      signal: opts.signal,
      onUnreadable: ({ path, expiresInMs }) => opts.emit({ type: 'log', level: 'warn', message: `${path} is not a valid lease file; waiting until it expires in ${Math.ceil(expiresInMs / 1000)} s` }),
    });
  } catch {
    return result('cancelled', { error: 'stopped while waiting for the lease' });
  }
  try {
    // Another driver or job may have published the key while this job was queued or waiting.
    if (!spec.replace) {
      const found = await store.lookup(key);
      if (found.status === 'hit') {
        await store.removeScratch(key);
        return result('hit', { metrics: found.manifest.metrics });
      }
      if (found.status === 'corrupt') opts.emit({ type: 'log', level: 'warn', message: `stored entry is corrupt (${found.reason}); recomputing` });
    } else {
      await store.removeScratch(key);
    }
    return await compute(spec, store, { ...opts, signal: AbortSignal.any([opts.signal, lease.signal]) }, mask, startedAt, result);
  } finally {
    await lease.release();
  }
}

async function compute(spec: NodeJobSpec, store: Store, opts: RunJobOptions, mask: (t: string) => string, startedAt: number,
  result: (outcome: JobResult['outcome'], extra?: Partial<JobResult>) => JobResult): Promise<JobResult> {
  const { key } = spec.job;
  const staging = await store.beginWrite(key);
  const metrics: MetricPoint[] = [];
  let logChain = Promise.resolve();
  // The same log lines as a local run, masked before they are stored or printed.
  const log = (level: 'info' | 'warn' | 'error', raw: string) => {
    const message = mask(raw);
    opts.emit({ type: 'log', level, message });
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`;
    logChain = logChain.then(() => appendFile(staging.logPath, line)).catch(() => undefined);
  };
  const job: NodeJob = {
    ...spec.job,
    outDir: staging.outDir,
    scratch: store.scratchDir(key),
    env: Object.fromEntries(spec.envNames.filter((n) => opts.env[n] !== undefined).map((n) => [n, opts.env[n]!])),
  };
  opts.emit({ type: 'started' });
  const outcome = await runInProcess(job, {
    onLog: log,
    onMetric: (name, value, step, timestamp) => {
      metrics.push({ name, value, step, timestamp });
      opts.emit({ type: 'metric', name, value, step, timestamp });
    },
    onProgress: (done, total) => opts.emit({ type: 'progress', done, total }),
  }, { signal: opts.signal, memoryMb: spec.memoryMb, env: opts.env });
  await logChain;
  const endedAt = Date.now();
  if (!outcome.ok) {
    await store.abort(staging);
    const cancelled = outcome.failure.kind === 'cancelled';
    const failure = maskFailure(outcome.failure, mask);
    return result(cancelled ? 'cancelled' : 'failed', { error: cancelled ? 'cancelled' : failureMessage(failure), failure, metrics, endedAt });
  }
  let manifest: Manifest;
  try {
    // The driver leaves the node's tracking reference beside the spec once it has told the tracker the node started.
    const tracking = spec.trackingFile ? await readTrackingRef(spec.trackingFile) : undefined;
    manifest = await store.publish(staging, { ...spec.fields, ...(tracking ? { tracking } : {}), metrics, startedAt, endedAt }, { replace: spec.replace });
  } catch (err) {
    await store.abort(staging).catch(() => undefined);
    const failure = maskFailure(storeFailure(err, 'publish', store.root), mask);
    return result('failed', { error: failureMessage(failure), failure, metrics, endedAt });
  }
  return result('ran', { metrics: manifest.metrics, endedAt });
}
