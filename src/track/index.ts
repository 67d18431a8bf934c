// Entry point of tracking: picks the MLflow backend from the `track:` config and the environment.
// - http(s) URI (config.uri, else MLFLOW_TRACKING_URI): the tracking server over REST, spooling to
//   <runsDir>/mlflow-spool/ when it cannot be reached;
// - otherwise a local FileStore: the `file:`/path URI given, or <runsDir>/mlruns;
// - tracking disabled: an observer that does nothing.

import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FileStoreBackend } from './file-store.js';
import { HttpTransport } from './http-transport.js';
import { MlflowObserver } from './mlflow-observer.js';
import { MlflowRestClient } from './mlflow-rest.js';
import { NoopObserver } from './noop-observer.js';
import type { RunObserver, TrackConfig } from './observer.js';
import { redactUrl } from './redact.js';
import { RestBackend } from './rest-backend.js';
import { retryPolicyFromEnv, type RetryPolicy } from './retry.js';
import { spoolDir } from './spool-journal.js';
import { tlsDispatcher } from './tls.js';
import type { TrackingBackend } from './backend.js';

export { pendingSpool } from './spool-journal.js';
export { syncSpool, type SyncResult } from './spool-sync.js';
export { redactEnv, redactText, redactUrl } from './redact.js';
export { MlflowError } from './mlflow-error.js';

export interface TrackerOptions {
  runsDir: string;
  env: NodeJS.ProcessEnv;
  warn: (msg: string) => void;
  /** Test and tuning hooks. */
  retry?: Partial<RetryPolicy>;
  fetchImpl?: typeof fetch;
  flushIntervalMs?: number;
}

export function createTracker(config: TrackConfig, opts: TrackerOptions): RunObserver {
  if (!config.enabled) return new NoopObserver();
  return new MlflowObserver({
    backend: () => createBackend(config, opts),
    warn: opts.warn,
    env: opts.env,
    flushIntervalMs: opts.flushIntervalMs,
  });
}

/** The tracking URI in effect: the recipe's `track.uri`, else MLFLOW_TRACKING_URI (empty strings count as unset). */
export function trackingUriFor(config: TrackConfig, env: NodeJS.ProcessEnv): string | undefined {
  return config.uri?.trim() || env.MLFLOW_TRACKING_URI?.trim() || undefined;
}

export async function createBackend(config: TrackConfig, opts: TrackerOptions): Promise<TrackingBackend> {
  const uri = trackingUriFor(config, opts.env);
  if (uri && /^https?:\/\//i.test(uri)) {
    const transport = new HttpTransport({
      trackingUri: uri,
      env: opts.env,
      retry: retryPolicyFromEnv(opts.env, opts.retry),
      dispatcher: await tlsDispatcher(opts.env),
      fetchImpl: opts.fetchImpl,
    });
    return new RestBackend({ client: new MlflowRestClient(transport), runsDir: opts.runsDir, spoolDir: spoolDir(opts.runsDir), warn: opts.warn });
  }
  const local = uri ? localStorePath(uri) : undefined;
  if (uri && !local) {
    opts.warn(`MLflow: tracking URI ${redactUrl(uri)} is not supported by Retort (http(s), file: or a path); writing the local store ${join(opts.runsDir, 'mlruns')}`);
  }
  return new FileStoreBackend(local ?? join(opts.runsDir, 'mlruns'));
}

function localStorePath(uri: string): string | undefined {
  if (/^file:/i.test(uri)) return fileURLToPath(uri);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1];
  if (scheme && scheme.length > 1) return undefined; // databricks, sqlite:, postgresql:, …
  return isAbsolute(uri) ? uri : resolve(uri);
}

/** Where a run with this config logs, without credentials: an http(s) URI or the local store's file: URI. */
export function trackingTarget(config: TrackConfig, runsDir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (!config.enabled) return undefined;
  const uri = trackingUriFor(config, env);
  if (uri && /^https?:\/\//i.test(uri)) return redactUrl(uri);
  return pathToFileURL((uri ? localStorePath(uri) : undefined) ?? join(runsDir, 'mlruns')).href;
}

/**
 * Closes the MLflow runs of a killed Retort run. Done for the local store; a server's runs are left
 * as they are (undefined), since its credentials may have changed since.
 */
export async function closeKilledRuns(trackingUri: string | undefined, retortRunId: string, endTime: number): Promise<number | undefined> {
  if (!trackingUri?.startsWith('file:')) return undefined;
  return new FileStoreBackend(fileURLToPath(trackingUri)).markKilled(retortRunId, endTime);
}
