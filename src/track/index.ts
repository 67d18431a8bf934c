// Entry point of tracking: picks the MLflow backend from the `track:` config and the environment.
// - http(s) URI (config.uri, else MLFLOW_TRACKING_URI): the tracking server over REST, spooling to
//   <runsDir>/mlflow-spool/ when it cannot be reached;
// - otherwise a local FileStore: the `file:`/path URI given, or <runsDir>/mlruns;
// - tracking disabled: an observer that does nothing.

import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FileStoreBackend } from './file-store.js';
import { MlflowObserver } from './mlflow-observer.js';
import type { MlflowRestClient } from './mlflow-rest.js';
import { NoopObserver } from './noop-observer.js';
import type { RunObserver, TrackConfig } from './observer.js';
import { redactUrl } from './redact.js';
import { ReservedFileStore } from './space-reserve.js';
import type { RetryPolicy } from './retry.js';
import type { SyncOptions, SyncResult } from './spool-sync.js';
import { spoolDir } from './spool-journal.js';
import type { TrackingBackend } from './backend.js';

export { pendingSpool } from './spool-journal.js';
export type { SyncResult } from './spool-sync.js';

/** Sends what the spool holds to the server (spool-sync.ts, loaded when asked for: a run needs none of it). */
export async function syncSpool(opts: SyncOptions): Promise<SyncResult> {
  return (await import('./spool-sync.js')).syncSpool(opts);
}
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
  /** The tracker's clock (default Date.now): a run replayed after the fact dates its events by when they happened. */
  now?: () => number;
}

export function createTracker(config: TrackConfig, opts: TrackerOptions): RunObserver {
  if (!config.enabled) return new NoopObserver();
  return new MlflowObserver({
    backend: () => createBackend(config, opts),
    warn: opts.warn,
    env: opts.env,
    flushIntervalMs: opts.flushIntervalMs,
    ...(opts.now ? { now: opts.now } : {}),
  });
}

/** The tracking URI in effect: the recipe's `track.uri`, else MLFLOW_TRACKING_URI (empty strings count as unset). */
export function trackingUriFor(config: TrackConfig, env: NodeJS.ProcessEnv): string | undefined {
  return config.uri?.trim() || env.MLFLOW_TRACKING_URI?.trim() || undefined;
}

// The REST client's modules are loaded for an http(s) tracking URI only: the local store needs none of them.
async function restClient(uri: string, opts: Pick<TrackerOptions, 'env' | 'retry' | 'fetchImpl'>): Promise<MlflowRestClient> {
  const [{ HttpTransport }, { MlflowRestClient }, { retryPolicyFromEnv }, { tlsDispatcher }] = await Promise.all([
    import('./http-transport.js'), import('./mlflow-rest.js'), import('./retry.js'), import('./tls.js'),
  ]);
  const transport = new HttpTransport({
    trackingUri: uri,
    env: opts.env,
    retry: retryPolicyFromEnv(opts.env, opts.retry),
    dispatcher: await tlsDispatcher(opts.env),
    fetchImpl: opts.fetchImpl,
  });
  return new MlflowRestClient(transport);
}

export async function createBackend(config: TrackConfig, opts: TrackerOptions): Promise<TrackingBackend> {
  const uri = trackingUriFor(config, opts.env);
  if (uri && /^https?:\/\//i.test(uri)) {
    const { RestBackend } = await import('./rest-backend.js');
    return new RestBackend({ client: await restClient(uri, opts), runsDir: opts.runsDir, spoolDir: spoolDir(opts.runsDir), warn: opts.warn });
  }
  const local = uri ? localStorePath(uri) : undefined;
  if (uri && !local) {
    opts.warn(`MLflow: tracking URI ${redactUrl(uri)} is not supported by Retort (http(s), file: or a path); writing the local store ${join(opts.runsDir, 'mlruns')}`);
  }
  return new ReservedFileStore(local ?? join(opts.runsDir, 'mlruns'), opts.warn).open();
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

/** What is known of a killed Retort run: its id, where and under which experiment it logged, when it stopped. */
export interface KilledRun { runId: string; trackingUri?: string; experiment?: string; endedAt: number }

/**
 * Sets the MLflow runs of a killed Retort run (its parent run and the children still RUNNING) to
 * KILLED. In the local store always; on a server when this run logs to the same server, using this
 * run's credentials. Returns how many runs changed, or undefined when that could not be done.
 */
export async function closeKilledRuns(killed: KilledRun, current: { config: TrackConfig; runsDir: string } & Pick<TrackerOptions, 'env' | 'retry' | 'fetchImpl'>): Promise<number | undefined> {
  const target = killed.trackingUri;
  if (target?.startsWith('file:')) return new FileStoreBackend(fileURLToPath(target)).markKilled(killed.runId, killed.endedAt);
  const uri = trackingUriFor(current.config, current.env);
  if (!target || !uri || !killed.experiment || redactUrl(uri) !== target || !/^https?:\/\//i.test(uri)) return undefined;
  try {
    // One quick attempt per request: this happens before the run starts and must not hold it up.
    const client = await restClient(uri, { ...current, retry: { ...current.retry, maxAttempts: 1, timeoutMs: 5000 } });
    const experiment = await client.getExperimentByName(killed.experiment);
    if (!experiment) return 0;
    const running = async (filter: string) => {
      const found: string[] = [];
      let pageToken: string | undefined;
      do {
        const page = await client.searchRuns({ experimentIds: [experiment.experimentId], filter: `${filter} and attributes.status = 'RUNNING'`, maxResults: 1000, pageToken });
        found.push(...page.runs.map((r) => r.info.runId));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return found;
    };
    const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
    // Child runs carry the Retort run id too; the set keeps each run once.
    const tagged = await running(`tags.\`retort.runId\` = ${quote(killed.runId)}`);
    const children = (await Promise.all(tagged.map((id) => running(`tags.\`mlflow.parentRunId\` = ${quote(id)}`)))).flat();
    const runs = new Set([...children, ...tagged]);
    for (const id of runs) await client.updateRun(id, { status: 'KILLED', endTime: killed.endedAt });
    return runs.size;
  } catch {
    return undefined; // the server is away or refuses: the runs stay as they are, nothing else is lost
  }
}
