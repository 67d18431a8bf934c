// The tracking-server backend: operations go to MLflow over REST while the server answers; from the
// first failure that retries could not overcome (unreachable, overloaded, auth) every later operation
// of this process goes to the spool, so ordering holds and the run never waits on a dead server again.

import type { ArtifactSource, CreateRunRequest, KeyValue, RunBatch, RunHandle, RunStatus, TrackingBackend } from './backend.js';
import { CLIENT_RUN_ID_TAG, PARENT_RUN_ID_TAG } from './backend.js';
import { MlflowError } from './mlflow-error.js';
import type { MlflowRestClient } from './mlflow-rest.js';
import { isRetryableStatus } from './retry.js';
import { SpoolWriter, findSpooledRun, type RunRef } from './spool-journal.js';
import { encodeDouble } from './values.js';

export interface RestBackendOptions {
  client: MlflowRestClient;
  runsDir: string;
  spoolDir: string;
  warn: (msg: string) => void;
}

/** Failures worth keeping for a later sync (the same request may succeed then); others are reported and dropped. */
export function isSpoolable(e: unknown): boolean {
  if (!(e instanceof MlflowError)) return false;
  if (e.isUnreachable) return true;
  return e.status !== undefined && (isRetryableStatus(e.status) || e.status === 401 || e.status === 403);
}

export class RestBackend implements TrackingBackend {
  readonly trackingUri: string;
  private readonly spool: SpoolWriter;
  private spooling = false;
  private readonly experimentIds = new Map<string, string>();

  constructor(private readonly opts: RestBackendOptions) {
    this.trackingUri = opts.client.trackingUri;
    this.spool = new SpoolWriter(opts.spoolDir, this.trackingUri);
  }

  get isSpooling(): boolean {
    return this.spooling;
  }

  async createRun(req: CreateRunRequest): Promise<RunHandle> {
    const tags: KeyValue[] = [...req.tags, { key: CLIENT_RUN_ID_TAG, value: req.clientRunId }];
    let uncertain = false;
    if (!this.spooling && !req.parent?.spoolId) {
      try {
        const experimentId = await this.experimentId(req.experimentName);
        if (req.parent?.runId) tags.push({ key: PARENT_RUN_ID_TAG, value: req.parent.runId });
        const user = tags.find((t) => t.key === 'mlflow.user')?.value;
        const info = await this.opts.client.createRun({ experimentId, runName: req.runName, startTime: req.startTime, tags, userId: user });
        return { runId: info.runId, experimentId, artifactUri: info.artifactUri };
      } catch (e) {
        this.fallBack(e);
        uncertain = true;
      }
    }
    const spoolTags = tags.filter((t) => t.key !== PARENT_RUN_ID_TAG);
    await this.spool.append(
      { kind: 'createRun', spoolId: req.clientRunId, experimentName: req.experimentName, runName: req.runName, startTime: req.startTime, tags: spoolTags, parent: req.parent ? toRef(req.parent) : undefined },
      uncertain,
    );
    return { spoolId: req.clientRunId };
  }

  async logBatch(run: RunHandle, batch: RunBatch): Promise<void> {
    const uncertain = await this.live(run, () => this.opts.client.logBatch(run.runId!, batch));
    if (uncertain === null) return;
    await this.spool.append({
      kind: 'logBatch',
      run: toRef(run),
      metrics: (batch.metrics ?? []).map((m) => ({ key: m.key, value: encodeDouble(m.value), timestamp: m.timestamp, step: m.step })),
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    }, uncertain);
  }

  async updateRun(run: RunHandle, status: RunStatus, endTime: number): Promise<void> {
    const uncertain = await this.live(run, () => this.opts.client.updateRun(run.runId!, { status, endTime }));
    if (uncertain === null) return;
    await this.spool.append({ kind: 'updateRun', run: toRef(run), status, endTime }, uncertain);
  }

  async logArtifact(run: RunHandle, artifactPath: string, source: ArtifactSource): Promise<void> {
    const uncertain = await this.live(run, async () => {
      if (!run.artifactUri) throw new MlflowError('INVALID_STATE', `run ${run.runId} has no artifact_uri`);
      await this.opts.client.uploadArtifact(run.artifactUri, artifactPath, source);
    });
    if (uncertain === null) return;
    const blob = await this.spool.saveBlob(source);
    await this.spool.append({ kind: 'artifact', run: toRef(run), path: artifactPath, blob }, uncertain);
  }

  async resolveSpooled(spoolId: string): Promise<string | undefined> {
    return (await findSpooledRun(this.opts.runsDir, spoolId))?.runId;
  }

  async close(): Promise<void> {
    await this.spool.close();
  }

  /**
   * Runs `send` against the server unless spooling. Returns null when delivered; otherwise whether
   * the server may have applied part of it (the caller then spools the operation).
   */
  private async live(run: RunHandle, send: () => Promise<unknown>): Promise<boolean | null> {
    if (this.spooling || !run.runId) return false;
    try {
      await send();
      return null;
    } catch (e) {
      this.fallBack(e);
      return true;
    }
  }

  private fallBack(e: unknown): void {
    if (!isSpoolable(e)) throw e;
    this.spooling = true;
    this.opts.warn(
      `MLflow: ${(e as Error).message}; tracking continues in the spool ${this.opts.spoolDir}. ` +
        'Run `retort mlflow sync` when the server is reachable.',
    );
  }

  private async experimentId(name: string): Promise<string> {
    let id = this.experimentIds.get(name);
    if (!id) {
      id = await this.opts.client.getOrCreateExperiment(name);
      this.experimentIds.set(name, id);
    }
    return id;
  }
}

function toRef(run: RunHandle): RunRef {
  if (run.runId) return { runId: run.runId, experimentId: run.experimentId ?? '', artifactUri: run.artifactUri };
  if (run.spoolId) return { spoolId: run.spoolId };
  throw new MlflowError('INVALID_STATE', 'run handle has neither a run id nor a spool id');
}
