// Run records: what one `retort run` did, node by node. They live in <runsDir>/records/<runId>.json,
// are written atomically (a reader never sees half a record), and are gc roots.
import { closeSync, fsyncSync, mkdirSync, openSync, promises as fs, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorCode, isNotFound, isPidAlive, listDir, mapLimit, randomId, thisMachine } from './fsutil.js';
import type { Key, NodeId } from '../util/ids.js';

/** How a run, or the execution of its plan, ended. */
export type RunStatus = 'ok' | 'failed' | 'cancelled';

/** What became of one node in a run: found cached, ran, failed, cancelled, or never started. */
export type NodeOutcome = 'hit' | 'ran' | 'failed' | 'cancelled' | 'skipped';

export interface RunRecordNode {
  id: NodeId;
  stage: string;
  key: Key;
  outcome: NodeOutcome;
  durationMs?: number;
  error?: string;
  /** A forced recomputation: whether it reproduced the replaced entry, and the output files that changed. */
  recomputed?: { identical: boolean; changed: string[] };
  /** The node's cluster job (a Slurm job id), when a cluster executor ran it. */
  job?: string;
  /** The attempts after the first, and why each was needed ("Slurm job 12 ended PREEMPTED"). */
  retries?: { attempt: number; reason: string }[];
}

export interface RunRecord {
  runId: string;
  recipe: string;
  recipeName: string;
  argv: string[];
  /** The `-S path=value` overrides the run was started with. */
  overrides?: string[];
  startedAt: number;
  endedAt?: number;
  /**
   * 'running' records (written when a run starts) protect that run's entries from a concurrent gc;
   * 'killed': the run's process died without finishing (SIGKILL, power loss), found by a later run.
   * 'detached': its jobs were submitted and left to run (`retort run --detach`); its nodes with a
   * `job` stay 'skipped' until `retort status` sees them end and settles the record.
   */
  status: RunStatus | 'running' | 'killed' | 'detached';
  nodes: RunRecordNode[];
  /** A Slurm run's job folder (specs, logs, results of its jobs) and its store, for `retort status`. */
  slurm?: { dir: string; store: string };
}

export function recordsDir(runsDir: string): string {
  return join(runsDir, 'records');
}

function recordPath(runsDir: string, runId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}`);
  return join(recordsDir(runsDir), `${runId}.json`);
}

export async function writeRunRecord(runsDir: string, record: RunRecord): Promise<void> {
  const path = recordPath(runsDir, record.runId);
  const text = JSON.stringify(record, null, 1) + '\n';
  try {
    writeSmallFileAtomic(path, text);
  } catch (err) {
    if (!isDiskFull(err)) throw err;
    // A full disk has no room for the copy an atomic write needs; the record written when the run
    // started has (its final form is about as long): rewrite it in place so it does not stay 'running'.
    await overwriteInPlace(path, text).catch(() => { throw err; });
  }
}

function isDiskFull(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * Written aside, fsync'd and renamed into place, as fsutil's writeFileAtomic does, but synchronously:
 * a record or marker is one write, and five awaited calls would each cost a thread-pool round trip.
 */
function writeSmallFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${randomId()}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function listDirSync(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

async function overwriteInPlace(path: string, text: string): Promise<void> {
  const handle = await fs.open(path, 'r+');
  try {
    const bytes = Buffer.from(text);
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.truncate(bytes.length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The record of `runId`; undefined when there is none or it is unreadable. */
export async function readRunRecord(runsDir: string, runId: string): Promise<RunRecord | undefined> {
  try {
    return asRunRecord(JSON.parse(await fs.readFile(recordPath(runsDir, runId), 'utf8')));
  } catch (err) {
    if (isNotFound(err) || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** All readable run records, newest (by start time) first. */
export async function listRunRecords(runsDir: string): Promise<RunRecord[]> {
  const ids = (await listDir(recordsDir(runsDir)))
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .map((name) => name.slice(0, -'.json'.length));
  const records = await mapLimit(ids, 16, (id) => readRunRecord(runsDir, id).catch(() => undefined));
  return records
    .filter((r): r is RunRecord => r !== undefined)
    .sort((a, b) => b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
}

export async function deleteRunRecord(runsDir: string, runId: string): Promise<void> {
  await fs.rm(recordPath(runsDir, runId), { force: true });
}

/** A record read back: the one place a stored run's node ids become NodeIds again (this program wrote them). */
function asRunRecord(value: unknown): RunRecord | undefined {
  const r = value as Partial<RunRecord> | null;
  if (typeof r !== 'object' || r === null) return undefined;
  if (typeof r.runId !== 'string' || typeof r.startedAt !== 'number' || !Array.isArray(r.nodes)) return undefined;
  return r as RunRecord;
}

/** Who is running a run: enough to tell later, on this machine, whether that process still lives. */
export interface RunningMarker {
  runId: string;
  pid: number;
  host: string;
  bootId: string;
  /** Where the run logs (credentials removed) and its MLflow experiment, to close its runs if it dies. */
  trackingUri?: string;
  experiment?: string;
}

// Small marker files beside the records, so finding running runs never parses the (large) records.
const MARKER_PREFIX = '.running-';

function markerPath(runsDir: string, runId: string): string {
  return recordPath(runsDir, runId).replace(/[^/]+\.json$/, `${MARKER_PREFIX}${runId}.json`);
}

export async function markRunning(runsDir: string, runId: string, tracking: { trackingUri?: string; experiment?: string } = {}): Promise<void> {
  const { host, bootId } = thisMachine();
  const marker: RunningMarker = { runId, pid: process.pid, host, bootId, ...tracking };
  writeSmallFileAtomic(markerPath(runsDir, runId), JSON.stringify(marker) + '\n');
}

export async function clearRunning(runsDir: string, runId: string): Promise<void> {
  rmSync(markerPath(runsDir, runId), { force: true });
}

export async function runningMarkers(runsDir: string): Promise<RunningMarker[]> {
  // Listed synchronously: every run starts with this, and usually finds no marker at all.
  const names = listDirSync(recordsDir(runsDir)).filter((n) => n.startsWith(MARKER_PREFIX) && n.endsWith('.json'));
  const markers = await Promise.all(names.map(async (n) => {
    try {
      return JSON.parse(await fs.readFile(join(recordsDir(runsDir), n), 'utf8')) as RunningMarker;
    } catch {
      return undefined;
    }
  }));
  return markers.filter((m): m is RunningMarker => m !== undefined && typeof m.runId === 'string');
}

/** True when the marker's process is known to be gone: same host and a new boot, or a dead pid. */
export function processGone(m: RunningMarker): boolean {
  const me = thisMachine();
  if (m.host !== me.host) return false; // another machine: cannot tell from here
  if (m.bootId !== me.bootId) return true;
  return !isPidAlive(m.pid);
}

/**
 * Records of runs whose process died without finishing are set to 'killed' (ended when their record
 * last changed) and their markers removed. Returns what was found, for the caller to tell the user
 * and to close the runs' MLflow runs.
 */
export async function reapKilledRuns(runsDir: string): Promise<(RunningMarker & { endedAt: number })[]> {
  const reaped: (RunningMarker & { endedAt: number })[] = [];
  for (const m of await runningMarkers(runsDir)) {
    if (!processGone(m)) continue;
    const record = await readRunRecord(runsDir, m.runId);
    const st = await fs.stat(recordPath(runsDir, m.runId)).catch(() => undefined);
    const endedAt = Math.round(st?.mtimeMs ?? Date.now());
    const wasRunning = !record || record.status === 'running';
    if (record && record.status === 'running') {
      record.status = 'killed';
      record.endedAt = endedAt;
      await writeRunRecord(runsDir, record);
    }
    await clearRunning(runsDir, m.runId);
    // A run killed after its final record was written had finished: only its marker was left.
    if (wasRunning) reaped.push({ ...m, endedAt });
  }
  return reaped;
}
