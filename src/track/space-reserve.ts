// A full disk must not cost the tracking records of the run that met it. While a run logs to the
// local store, a small reserve file sits beside that store. A write that fails for lack of space
// is kept in memory, in order with every later one (they wait behind it); when the run closes its
// tracking, the reserve is released and the kept writes are done then: the disk stays full for the
// nodes (the store fails the node it cannot store, as before) but the run's records still land.
// Reserves of dead processes are removed when a run starts.
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactSource, CreateRunRequest, RunBatch, RunHandle, RunStatus, TrackingBackend } from './backend.js';
import { FileStoreBackend } from './file-store.js';

export const RESERVE_BYTES = 256 * 1024;
const PREFIX = '.retort-space-reserve-';

function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function listNames(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

export class ReservedFileStore implements TrackingBackend {
  private readonly inner: FileStoreBackend;
  private readonly reservePath: string;
  private reserved = false;
  /** Writes that met a full disk, and every write after them, in order: done at close. */
  private readonly kept: (() => Promise<void>)[] = [];
  /** The id the next createRun uses: a retried creation must make the same run, not a second one. */
  private nextRunId = '';

  constructor(root: string, private readonly warn: (msg: string) => void = () => undefined) {
    this.inner = new FileStoreBackend(root, { newRunId: () => this.nextRunId, batched: true });
    this.reservePath = join(this.inner.root, `${PREFIX}${hostname()}-${process.pid}`);
  }

  get trackingUri(): string { return this.inner.trackingUri; }
  get root(): string { return this.inner.root; }

  /** Removes reserves of dead processes, then takes this one's (if there is room for it). */
  async open(): Promise<this> {
    await this.inner.experimentId('Default').catch(() => undefined); // lays the store out as MLflow does
    // Only this machine's: another machine's pids cannot be checked from here.
    const mine = `${PREFIX}${hostname()}-`;
    // Synchronous, as the reserve's own write: a few small calls at the run's start.
    for (const name of listNames(this.inner.root)) {
      const pid = name.startsWith(mine) ? Number(name.slice(mine.length)) : NaN;
      if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) rmSync(join(this.inner.root, name), { force: true });
    }
    // Records a killed run had journalled but not yet written land now.
    try { this.inner.recoverJournals(); } catch (e) { this.warn(`MLflow: could not replay the journal of a killed run in ${this.inner.root}: ${(e as Error).message}`); }
    try {
      writeFileSync(this.reservePath, Buffer.alloc(RESERVE_BYTES), { flag: 'w' });
      this.reserved = true;
    } catch {
      rmSync(this.reservePath, { force: true }); // no room even for the reserve: go on without one
    }
    return this;
  }

  async createRun(req: CreateRunRequest): Promise<RunHandle> {
    const runId = randomUUID().replace(/-/g, '');
    const experimentId = await this.inner.experimentId(req.experimentName);
    const handle: RunHandle = { runId, experimentId, artifactUri: pathToFileURL(join(this.inner.root, experimentId, runId, 'artifacts')).href };
    await this.write(async () => { this.nextRunId = runId; await this.inner.createRun(req); });
    return handle;
  }
  logBatch(run: RunHandle, batch: RunBatch): Promise<void> { return this.write(() => this.inner.logBatch(run, batch)); }
  updateRun(run: RunHandle, status: RunStatus, endTime: number): Promise<void> { return this.write(() => this.inner.updateRun(run, status, endTime)); }
  logArtifact(run: RunHandle, path: string, source: ArtifactSource): Promise<void> { return this.write(() => this.inner.logArtifact(run, path, source)); }
  resolveSpooled(): Promise<string | undefined> { return this.inner.resolveSpooled(); }
  markKilled(retortRunId: string, endTime: number): Promise<number> { return this.inner.markKilled(retortRunId, endTime); }

  async close(): Promise<void> {
    if (this.kept.length) {
      rmSync(this.reservePath, { force: true });
      this.reserved = false;
      const total = this.kept.length;
      let done = 0;
      try {
        for (const op of this.kept) { await op(); done++; }
      } catch (e) {
        this.warn(`MLflow: ${total - done} of ${total} tracking writes kept while the disk was full could not be done: ${(e as Error).message}`);
      }
      this.kept.length = 0;
    }
    try {
      await this.inner.close();
    } catch (e) {
      // Batched writes that met the full disk: with the reserve released they fit.
      if (!isDiskFull(e)) throw e;
      rmSync(this.reservePath, { force: true });
      this.reserved = false;
      await this.inner.close();
    }
    rmSync(this.reservePath, { force: true });
    this.reserved = false;
  }

  private async write(op: () => Promise<void>): Promise<void> {
    if (this.kept.length) { this.kept.push(op); return; }
    try {
      await op();
    } catch (e) {
      if (!isDiskFull(e) || !this.reserved) throw e;
      this.kept.push(op);
      this.warn(`MLflow: the disk of the local store ${this.inner.root} is full; tracking writes are kept and done when the run ends (with the space reserved for them)`);
    }
  }
}
