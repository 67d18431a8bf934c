// What the MLflow observer needs from a store, implemented by the REST backend (with its spool) and the
// local FileStore backend. Keys and values arriving here are already valid (see batch-prep.ts).

export interface KeyValue { key: string; value: string }

export interface Metric { key: string; value: number; timestamp: number; step: number }

export interface RunBatch {
  metrics?: Metric[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/** A run as a backend knows it: a server/FileStore run id, or a spooled run awaiting `retort mlflow sync`. */
export interface RunHandle {
  runId?: string;
  experimentId?: string;
  artifactUri?: string;
  /** Local id of a run created in the spool (no server id yet). */
  spoolId?: string;
}

export interface CreateRunRequest {
  experimentName: string;
  runName: string;
  startTime: number;
  tags: KeyValue[];
  /** Sets `mlflow.parentRunId` (resolved by the backend, since a spooled parent has no id yet). */
  parent?: RunHandle;
  /** Client-generated id, tagged `retort.clientRunId`, that makes creation idempotent on replay. */
  clientRunId: string;
}

export type ArtifactSource = { content: string | Uint8Array } | { file: string };

export interface TrackingBackend {
  /** Tracking URI without credentials (stored in TrackingRefs). */
  readonly trackingUri: string;
  createRun(req: CreateRunRequest): Promise<RunHandle>;
  logBatch(run: RunHandle, batch: RunBatch): Promise<void>;
  updateRun(run: RunHandle, status: RunStatus, endTime: number): Promise<void>;
  logArtifact(run: RunHandle, artifactPath: string, source: ArtifactSource): Promise<void>;
  /** The server run id of a spooled run once `retort mlflow sync` delivered it. */
  resolveSpooled(spoolId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export const CLIENT_RUN_ID_TAG = 'retort.clientRunId';
export const PARENT_RUN_ID_TAG = 'mlflow.parentRunId';
