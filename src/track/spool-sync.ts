// `retort mlflow sync`: replays spooled operations to the tracking server, exactly once.
// - Runs: the spooled run's client id is a tag (retort.clientRunId); an operation that may have
//   reached the server before is looked up by that tag instead of creating a second run.
// - Metrics: points of an operation that may have been (partly) delivered are compared with the
//   server's metric history and only the missing ones are sent.
// - Progress (attempted/done operations, spooled→server run ids) is fsync'd in `<journal>.state.jsonl`;
//   a fully delivered journal moves to `done/`, so a second sync sends nothing.

import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import type { KeyValue, Metric } from './backend.js';
import { CLIENT_RUN_ID_TAG, PARENT_RUN_ID_TAG } from './backend.js';
import { HttpTransport } from './http-transport.js';
import { MlflowError } from './mlflow-error.js';
import { MlflowRestClient } from './mlflow-rest.js';
import { isSpoolable } from './rest-backend.js';
import { stripUserinfo } from './redact.js';
import { retryPolicyFromEnv, type RetryPolicy } from './retry.js';
import {
  StateWriter, listJournals, pendingOps, pendingSpool, readJournal, readState, spoolDir,
  type Journal, type OpRecord, type RunRef, type SyncState,
} from './spool-journal.js';
import { lockSpool, processAlive } from './spool-lock.js';
import { tlsDispatcher } from './tls.js';
import { decodeDouble } from './values.js';

export interface SyncOptions {
  runsDir: string;
  env: NodeJS.ProcessEnv;
  /** Replaces the tracking URI recorded in the journals (e.g. the server moved). */
  uri?: string;
  retry?: Partial<RetryPolicy>;
  fetchImpl?: typeof fetch;
  info?: (msg: string) => void;
  warn?: (msg: string) => void;
}

export interface SyncResult {
  journals: number;
  /** Operations delivered by this sync. */
  delivered: number;
  /** Operations rejected by the server for good (reported, not retried). */
  dropped: number;
  /** Operations still pending (server unreachable, or journal still being written). */
  pending: number;
  /** HTTP requests sent. */
  requests: number;
  errors: string[];
}

export async function syncSpool(opts: SyncOptions): Promise<SyncResult> {
  const result: SyncResult = { journals: 0, delivered: 0, dropped: 0, pending: 0, requests: 0, errors: [] };
  const dir = spoolDir(opts.runsDir);
  const journals = await listJournals(dir);
  if (journals.length === 0) return result;
  const release = await lockSpool(dir);
  if (typeof release === 'string') {
    result.errors.push(release);
    result.pending = await pendingSpool(opts.runsDir);
    return result;
  }
  try {
    await syncJournals(dir, journals, opts, result);
  } finally {
    await release();
  }
  return result;
}

async function syncJournals(dir: string, journals: string[], opts: SyncOptions, result: SyncResult): Promise<void> {
  for (const path of journals) {
    const journal = await readJournal(path);
    const state = await readState(journal.statePath);
    const todo = pendingOps(journal, state);
    result.journals++;
    // A journal still open in a live process is left alone (moving it would lose its next records).
    if (!journal.closed && writerAlive(journal)) {
      opts.info?.(`${basename(path)}: still being written by process ${journal.header?.pid}; skipped`);
      result.pending += todo.length;
      continue;
    }
    if (todo.length > 0) {
      const outcome = await replayJournal(journal, state, todo, opts);
      result.delivered += outcome.delivered;
      result.dropped += outcome.dropped;
      result.requests += outcome.requests;
      result.pending += todo.length - outcome.delivered - outcome.dropped;
      if (outcome.error) {
        result.errors.push(`${basename(path)}: ${outcome.error}`);
        continue;
      }
    }
    await archive(dir, journal);
  }
}

function writerAlive(journal: Journal): boolean {
  const h = journal.header;
  return h !== undefined && h.host === hostname() && processAlive(h.pid);
}

/** The URI to sync to: an explicit override, else the journal's, with credentials from the env URI when it is the same server. */
function targetUri(journal: Journal, opts: SyncOptions): string | undefined {
  if (opts.uri) return opts.uri;
  const recorded = journal.header?.trackingUri;
  const envUri = opts.env.MLFLOW_TRACKING_URI;
  if (envUri && recorded && stripUserinfo(envUri).replace(/\/+$/, '') === recorded.replace(/\/+$/, '')) return envUri;
  return recorded ?? envUri;
}

async function replayJournal(journal: Journal, state: SyncState, todo: OpRecord[], opts: SyncOptions) {
  const outcome = { delivered: 0, dropped: 0, requests: 0, error: undefined as string | undefined };
  const uri = targetUri(journal, opts);
  if (!uri) {
    outcome.error = 'no tracking URI recorded; pass --uri or set MLFLOW_TRACKING_URI';
    return outcome;
  }
  let transport: HttpTransport;
  try {
    transport = new HttpTransport({
      trackingUri: uri,
      env: opts.env,
      retry: retryPolicyFromEnv(opts.env, opts.retry),
      dispatcher: await tlsDispatcher(opts.env),
      fetchImpl: opts.fetchImpl,
    });
  } catch (e) {
    outcome.error = (e as Error).message;
    return outcome;
  }
  const writer = new StateWriter(journal.statePath);
  const replayer = new Replayer(new MlflowRestClient(transport), state, writer, join(spoolDir(opts.runsDir), 'blobs'));
  try {
    for (const rec of todo) {
      try {
        await writer.append({ t: 'attempt', id: rec.id });
        await replayer.apply(rec);
        await writer.append({ t: 'done', id: rec.id });
        state.done.add(rec.id);
        outcome.delivered++;
      } catch (e) {
        if (isSpoolable(e) || !(e instanceof MlflowError)) throw e;
        const reason = transport.redact(e.message);
        await writer.append({ t: 'dropped', id: rec.id, reason });
        state.dropped.set(rec.id, reason);
        opts.warn?.(`MLflow sync: ${rec.op.kind} rejected by the server, not retried: ${reason}`);
        outcome.dropped++;
      }
    }
  } catch (e) {
    outcome.error = transport.redact((e as Error).message);
  } finally {
    outcome.requests = transport.requestCount;
    await writer.close();
  }
  return outcome;
}

class Replayer {
  private readonly experiments = new Map<string, string>();
  private readonly histories = new Map<string, Map<string, Metric[]>>();

  constructor(
    private readonly client: MlflowRestClient,
    private readonly state: SyncState,
    private readonly writer: StateWriter,
    private readonly blobDir: string,
  ) {}

  async apply(rec: OpRecord): Promise<void> {
    // Maybe applied already: a live attempt failed mid-way, or an earlier sync stopped before 'done'.
    const mayBeApplied = rec.uncertain === true || this.state.attempted.has(rec.id);
    const op = rec.op;
    switch (op.kind) {
      case 'createRun': {
        const experimentId = await this.experimentId(op.experimentName);
        const existing = mayBeApplied ? await this.client.findRunByClientId(experimentId, clientRunIdOf(op)) : undefined;
        const info = existing ?? (await this.client.createRun({
          experimentId,
          runName: op.runName,
          startTime: op.startTime,
          tags: await this.withParent(op.tags, op.parent),
          userId: op.tags.find((t) => t.key === 'mlflow.user')?.value,
        }));
        const run = { runId: info.runId, experimentId, artifactUri: info.artifactUri };
        await this.writer.append({ t: 'run', spoolId: op.spoolId, ...run });
        this.state.runs.set(op.spoolId, run);
        return;
      }
      case 'logBatch': {
        const run = this.resolve(op.run);
        let metrics: Metric[] = op.metrics.map((m) => ({ ...m, value: decodeDouble(m.value) }));
        if (mayBeApplied && metrics.length > 0) metrics = await this.client.undeliveredMetrics(run.runId, metrics, this.history(run.runId));
        await this.client.logBatch(run.runId, { metrics, params: op.params, tags: op.tags });
        for (const m of metrics) this.history(run.runId).get(m.key)?.push(m);
        return;
      }
      case 'updateRun':
        await this.client.updateRun(this.resolve(op.run).runId, { status: op.status, endTime: op.endTime });
        return;
      case 'artifact': {
        const run = this.resolve(op.run);
        const artifactUri = run.artifactUri ?? (await this.client.getRun(run.runId)).info.artifactUri;
        if (!artifactUri) throw new MlflowError('INVALID_STATE', `run ${run.runId} has no artifact_uri`);
        const content = await readFile(join(this.blobDir, op.blob));
        await this.client.uploadArtifact(artifactUri, op.path, { content });
        return;
      }
    }
  }

  private resolve(ref: RunRef): { runId: string; artifactUri?: string } {
    if ('runId' in ref) return ref;
    const run = this.state.runs.get(ref.spoolId);
    if (!run) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `spooled run ${ref.spoolId} was never created on the server`);
    return run;
  }

  private async withParent(tags: KeyValue[], parent?: RunRef): Promise<KeyValue[]> {
    if (!parent) return tags;
    const parentRun = 'runId' in parent ? parent : this.state.runs.get(parent.spoolId);
    return parentRun ? [...tags, { key: PARENT_RUN_ID_TAG, value: parentRun.runId }] : tags;
  }

  private async experimentId(name: string): Promise<string> {
    let id = this.experiments.get(name);
    if (!id) {
      id = await this.client.getOrCreateExperiment(name);
      this.experiments.set(name, id);
    }
    return id;
  }

  private history(runId: string): Map<string, Metric[]> {
    let h = this.histories.get(runId);
    if (!h) this.histories.set(runId, (h = new Map()));
    return h;
  }
}

/** The id tagged on the run when it was created (the spool id unless the tag says otherwise). */
function clientRunIdOf(op: { spoolId: string; tags: KeyValue[] }): string {
  return op.tags.find((t) => t.key === CLIENT_RUN_ID_TAG)?.value ?? op.spoolId;
}

/** Moves a delivered journal and its state to done/ and deletes its artifact blobs. */
async function archive(dir: string, journal: Journal): Promise<void> {
  const done = join(dir, 'done');
  await mkdir(done, { recursive: true });
  for (const rec of journal.ops) {
    if (rec.op.kind === 'artifact') await rm(join(dir, 'blobs', rec.op.blob), { force: true });
  }
  await rename(journal.path, join(done, basename(journal.path)));
  await rename(journal.statePath, join(done, basename(journal.statePath))).catch(() => undefined);
}
