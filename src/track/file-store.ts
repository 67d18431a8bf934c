// The local store: MLflow's FileStore layout (mlruns/), which `mlflow ui` reads
// (MLFLOW_ALLOW_FILE_STORE=true on MLflow ≥3.13) and `mlflow migrate-filestore` converts to SQLite.
// Layout and formats: research/mlflow.md §3.

import { createHash, randomInt, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { yamlLib } from '../util/yaml-lib.js';
import { writeFileAtomic } from './atomic-fs.js';
import { applyOps, coalesce, replayDeadJournals, WriteJournal, type FileOp } from './file-store-journal.js';
import type { ArtifactSource, CreateRunRequest, KeyValue, RunBatch, RunHandle, RunStatus, TrackingBackend } from './backend.js';
import { PARENT_RUN_ID_TAG } from './backend.js';
import { metricLine, parseRenderedMeta, renderMetaYaml, type YamlValue } from './file-store-format.js';
import { MlflowError } from './mlflow-error.js';

/** Batched writes wait this long for more to join them. */
const APPLY_DELAY_MS = 50;
/** …unless this many operations are waiting. */
const APPLY_AT_OPS = 5000;

const STATUS_CODE: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const SOURCE_TYPE_LOCAL = 4;

export interface FileStoreOptions {
  now?: () => number;
  /** Id generators, replaceable for golden tests. */
  newExperimentId?: () => string;
  newRunId?: () => string;
  /**
   * Batched writes: a call returns once its records are in this process's journal, and the MLflow
   * files are written shortly after, many calls at once (all of them by flush() and close()).
   * Without, a call returns once its files are written.
   */
  batched?: boolean;
}

interface RunMeta {
  dir: string;
  fields: Record<string, YamlValue>;
  /** Params logged so far (a param may be logged again only with the same value). */
  params: Map<string, string>;
  /** Tag keys written so far: a tag's first value goes to a file that never existed (written in place). */
  tags: Set<string>;
}

export class FileStoreBackend implements TrackingBackend {
  readonly root: string;
  readonly trackingUri: string;
  private readonly experimentIds = new Map<string, string>();
  private readonly runs = new Map<string, RunMeta>();
  private initialized?: Promise<void>;
  private journal?: WriteJournal;
  /** Operations in the journal whose files are not written yet. */
  private pending: FileOp[] = [];
  private applyTimer?: NodeJS.Timeout;

  constructor(root: string, private readonly opts: FileStoreOptions = {}) {
    this.root = resolve(root);
    this.trackingUri = pathToFileURL(this.root).href;
  }

  /** Records operations: written now, or (batched) journalled now and written with the next batch. */
  private commit(ops: FileOp[]): void {
    if (!this.opts.batched) {
      applyOps(coalesce(ops));
      return;
    }
    this.journal ??= new WriteJournal(this.root);
    this.journal.append(ops);
    this.pending.push(...ops);
    if (this.pending.length >= APPLY_AT_OPS) this.scheduleApply(0);
    else this.scheduleApply(APPLY_DELAY_MS);
  }

  private scheduleApply(delayMs: number): void {
    if (this.applyTimer && delayMs > 0) return;
    clearTimeout(this.applyTimer);
    this.applyTimer = setTimeout(() => {
      this.applyTimer = undefined;
      // A failure (a full disk) keeps the operations for the next batch; close() reports it.
      try { this.flush(); } catch { /* retried */ }
    }, delayMs);
    this.applyTimer.unref();
  }

  /** Writes every journalled operation into the MLflow files now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const work = coalesce(this.pending.splice(0));
    try {
      applyOps(work);
    } catch (e) {
      this.pending.unshift(...work);
      throw e;
    }
    this.journal?.empty();
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Creates the root with `.trash/` and the `Default` experiment 0, as MLflow does for a new root only. */
  private init(): Promise<void> {
    this.initialized ??= (async () => {
      // Synchronous, as the lookups and writes of a run's start below: each is one small call.
      const exists = existsSync(this.root);
      mkdirSync(join(this.root, '.trash'), { recursive: true });
      if (!exists) await this.writeExperiment('0', 'Default');
    })();
    return this.initialized;
  }

  async experimentId(name: string): Promise<string> {
    await this.init();
    const cached = this.experimentIds.get(name);
    if (cached) return cached;
    let id = await this.findExperiment(name);
    if (!id) {
      id = this.opts.newExperimentId?.() ?? (await this.freshExperimentId(name));
      await this.writeExperiment(id, name);
    }
    this.experimentIds.set(name, id);
    return id;
  }

  private async findExperiment(name: string): Promise<string | undefined> {
    for (const entry of readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'models') continue;
      const meta = readMeta(join(this.root, entry.name, 'meta.yaml'));
      if (meta?.name === name && (meta.lifecycle_stage ?? 'active') === 'active' && String(meta.experiment_id) === entry.name) {
        return entry.name;
      }
    }
    return undefined;
  }

  /**
   * 18 digits, like MLflow's _generate_unique_integer_id (kept as a string everywhere). The first
   * choice is derived from the name, so that two processes creating the same experiment at once
   * agree on one folder instead of making two experiments with one name; random if that is taken.
   */
  private async freshExperimentId(name: string): Promise<string> {
    const digest = createHash('sha256').update(`retort experiment\u0000${name}`).digest();
    let id = String(1 + (digest[0]! % 9)); // a sha256 digest has 32 bytes
    for (let i = 1; i < 18; i++) id += String(digest[i]! % 10);
    for (;;) {
      // A folder without meta.yaml is another process creating this same experiment: share it.
      const meta = readMeta(join(this.root, id, 'meta.yaml'));
      if (!meta || (meta.name === name && (meta.lifecycle_stage ?? 'active') === 'active')) return id;
      id = String(randomInt(1, 10));
      for (let i = 0; i < 17; i++) id += String(randomInt(0, 10));
    }
  }

  private async writeExperiment(id: string, name: string): Promise<void> {
    const dir = join(this.root, id);
    await mkdir(dir, { recursive: true });
    const now = this.now();
    const meta = renderMetaYaml({
      artifact_location: pathToFileURL(dir).href,
      creation_time: now,
      experiment_id: id,
      last_update_time: now,
      lifecycle_stage: 'active',
      name,
    });
    await writeFileAtomic(join(dir, 'meta.yaml'), meta);
  }

  async createRun(req: CreateRunRequest): Promise<RunHandle> {
    const experimentId = await this.experimentId(req.experimentName);
    const runId = this.opts.newRunId?.() ?? randomUUID().replace(/-/g, '');
    const dir = join(this.root, experimentId, runId);
    const artifactUri = pathToFileURL(join(dir, 'artifacts')).href;
    const user = req.tags.find((t) => t.key === 'mlflow.user')?.value ?? '';
    const meta: RunMeta = {
      dir,
      fields: {
        artifact_uri: artifactUri,
        deleted_time: null,
        end_time: null,
        entry_point_name: '',
        experiment_id: experimentId,
        lifecycle_stage: 'active',
        run_id: runId,
        run_name: req.runName,
        run_uuid: runId,
        source_name: '',
        source_type: SOURCE_TYPE_LOCAL,
        source_version: '',
        start_time: req.startTime,
        status: STATUS_CODE.RUNNING,
        tags: [],
        user_id: user,
      },
      params: new Map(),
      tags: new Set(),
    };
    const tags: KeyValue[] = [...req.tags.filter((t) => t.key !== 'mlflow.runName'), { key: 'mlflow.runName', value: req.runName }];
    if (req.parent?.runId) tags.push({ key: PARENT_RUN_ID_TAG, value: req.parent.runId });
    const ops: FileOp[] = ['artifacts', 'metrics', 'params', 'tags'].map((sub) => ({ op: 'dir', path: join(dir, sub) }));
    ops.push(this.metaOp(meta), ...batchOps(meta, { tags }));
    this.commit(ops);
    this.runs.set(runId, meta);
    return { runId, experimentId, artifactUri };
  }

  async logBatch(run: RunHandle, batch: RunBatch): Promise<void> {
    const meta = this.meta(run);
    const params = new Map<string, string>();
    for (const p of batch.params ?? []) {
      const existing = meta.params.get(p.key) ?? params.get(p.key);
      if (existing !== undefined && existing !== p.value) {
        throw new MlflowError('INVALID_PARAMETER_VALUE',
          `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${existing}' for run ID='${run.runId}'. Attempted logging new value '${p.value}'.`);
      }
      if (existing === undefined) params.set(p.key, p.value);
    }
    const ops = batchOps(meta, { ...batch, params: [...params].map(([key, value]) => ({ key, value })) });
    if (ops.length) this.commit(ops);
    for (const [key, value] of params) meta.params.set(key, value);
  }

  async updateRun(run: RunHandle, status: RunStatus, endTime: number): Promise<void> {
    const meta = this.meta(run);
    const fields = { ...meta.fields, status: STATUS_CODE[status], end_time: status === 'RUNNING' ? null : endTime };
    this.commit([this.metaOp({ ...meta, fields })]);
    meta.fields = fields;
  }

  async logArtifact(run: RunHandle, artifactPath: string, source: ArtifactSource): Promise<void> {
    this.flush(); // the run's folder first
    const dest = join(this.meta(run).dir, 'artifacts', ...artifactPath.split('/').filter(Boolean));
    mkdirSync(dirname(dest), { recursive: true });
    if ('file' in source) copyFileSync(source.file, dest);
    else writeFileSync(dest, source.content);
  }

  /**
   * Closes the MLflow runs of a Retort run whose process died: its parent run (tagged
   * `retort.runId`) and the parent's child runs still RUNNING become KILLED, ended at `endTime`.
   * Returns how many runs changed.
   */
  async markKilled(retortRunId: string, endTime: number): Promise<number> {
    // What a killed process had journalled reaches its runs first.
    this.flush();
    replayDeadJournals(this.root);
    const runs: { dir: string; runId: string; retortRunId?: string; parentRunId?: string }[] = [];
    const readTag = (dir: string, key: string) => readFile(join(dir, 'tags', ...key.split('/')), 'utf8').catch(() => undefined);
    for (const exp of await readdir(this.root, { withFileTypes: true }).catch(() => [])) {
      if (!exp.isDirectory() || exp.name.startsWith('.') || exp.name === 'models') continue;
      const expDir = join(this.root, exp.name);
      for (const run of await readdir(expDir, { withFileTypes: true })) {
        if (!run.isDirectory() || !/^[0-9a-f]{32}$/.test(run.name)) continue;
        const dir = join(expDir, run.name);
        runs.push({ dir, runId: run.name, retortRunId: await readTag(dir, 'retort.runId'), parentRunId: await readTag(dir, PARENT_RUN_ID_TAG) });
      }
    }
    const parents = new Set(runs.filter((r) => r.retortRunId === retortRunId).map((r) => r.runId));
    let changed = 0;
    for (const r of runs.filter((x) => parents.has(x.runId) || (x.parentRunId !== undefined && parents.has(x.parentRunId)))) {
      const path = join(r.dir, 'meta.yaml');
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (!text || !new RegExp(`^status: ${STATUS_CODE.RUNNING}$`, 'm').test(text)) continue;
      await writeFileAtomic(path, text
        .replace(new RegExp(`^status: ${STATUS_CODE.RUNNING}$`, 'm'), `status: ${STATUS_CODE.KILLED}`)
        .replace(/^end_time: null$/m, `end_time: ${Math.round(endTime)}`));
      changed++;
    }
    return changed;
  }

  async resolveSpooled(): Promise<string | undefined> {
    return undefined;
  }

  /** Replays the journals of dead processes (their records were acknowledged, so they must land). */
  recoverJournals(): number {
    return replayDeadJournals(this.root);
  }

  async close(): Promise<void> {
    clearTimeout(this.applyTimer);
    this.applyTimer = undefined;
    this.flush(); // on failure the journal stays, for this process to retry or the next to replay
    this.journal?.close();
    this.journal = undefined;
  }

  private meta(run: RunHandle): RunMeta {
    const meta = run.runId ? this.runs.get(run.runId) : undefined;
    if (!meta) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `run ${run.runId ?? '?'} was not created by this store`);
    return meta;
  }

  private metaOp(meta: RunMeta): FileOp {
    return { op: 'write', path: join(meta.dir, 'meta.yaml'), content: renderMetaYaml(meta.fields), tempDir: meta.dir };
  }
}

/** A batch as file operations: a file per param and tag (a tag's last value in the batch wins, as on the server), lines per metric. */
function batchOps(meta: RunMeta, batch: RunBatch): FileOp[] {
  const ops: FileOp[] = [];
  // A param is written once (logBatch passes only new ones); a tag in place only the first time.
  for (const p of batch.params ?? []) ops.push({ op: 'write', path: join(meta.dir, 'params', ...p.key.split('/')), content: p.value, tempDir: meta.dir, fresh: true });
  const tags = new Map((batch.tags ?? []).map((t) => [t.key, t.value]));
  for (const [key, value] of tags) {
    ops.push({ op: 'write', path: join(meta.dir, 'tags', ...key.split('/')), content: value, tempDir: meta.dir, fresh: !meta.tags.has(key) });
    meta.tags.add(key);
  }
  const lines = new Map<string, string>();
  for (const m of batch.metrics ?? []) lines.set(m.key, (lines.get(m.key) ?? '') + metricLine(m.timestamp, m.value, m.step));
  for (const [key, text] of lines) ops.push({ op: 'append', path: join(meta.dir, 'metrics', ...key.split('/')), text });
  return ops;
}

function readMeta(path: string): Record<string, unknown> | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const parsed = parseRenderedMeta(text) ?? yamlLib().parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

