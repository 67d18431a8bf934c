// The MLflow spool: when the tracking server cannot be reached, every tracking operation is appended to
// a journal under <runsDir>/mlflow-spool/ (JSON lines, fsync'd, one file per writing process) and
// replayed later by `retort mlflow sync`. Each operation has an id; a sibling `.state.jsonl` file
// records what a sync delivered, so replays are idempotent.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, writeFile, copyFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { KeyValue, RunStatus } from './backend.js';
import type { EncodedDouble } from './values.js';

export const SPOOL_DIR_NAME = 'mlflow-spool';
const JOURNAL_EXT = '.jsonl';
const STATE_EXT = '.state.jsonl';

export function spoolDir(runsDir: string): string {
  return join(runsDir, SPOOL_DIR_NAME);
}

/** A run the server knows, or a run created in the spool (resolved to a server id at sync). */
export type RunRef = { runId: string; experimentId: string; artifactUri?: string } | { spoolId: string };

export interface SpooledMetric { key: string; value: EncodedDouble; timestamp: number; step: number }

export type SpoolOp =
  | { kind: 'createRun'; spoolId: string; experimentName: string; runName: string; startTime: number; tags: KeyValue[]; parent?: RunRef }
  | { kind: 'logBatch'; run: RunRef; metrics: SpooledMetric[]; params: KeyValue[]; tags: KeyValue[] }
  | { kind: 'updateRun'; run: RunRef; status: RunStatus; endTime: number }
  | { kind: 'artifact'; run: RunRef; path: string; blob: string };

export interface JournalHeader { t: 'header'; version: 1; trackingUri: string; pid: number; host: string; createdAt: number }
/** `uncertain`: the server may already have applied (part of) it: a live attempt failed mid-way. */
export interface OpRecord { t: 'op'; id: string; uncertain?: boolean; op: SpoolOp }
interface ClosedRecord { t: 'closed'; at: number }
type JournalRecord = JournalHeader | OpRecord | ClosedRecord;

export type StateRecord =
  | { t: 'attempt'; id: string }
  | { t: 'done'; id: string }
  | { t: 'dropped'; id: string; reason: string }
  | { t: 'run'; spoolId: string; runId: string; experimentId: string; artifactUri?: string };

/** Appends operations for one process. The journal file is created on the first operation. */
export class SpoolWriter {
  readonly journalPath: string;
  private handle?: FileHandle;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string, private readonly trackingUri: string, name = journalName()) {
    this.journalPath = join(dir, name + JOURNAL_EXT);
  }

  get opened(): boolean {
    return this.handle !== undefined;
  }

  append(op: SpoolOp, uncertain = false): Promise<string> {
    const id = randomUUID();
    const record: OpRecord = uncertain ? { t: 'op', id, uncertain, op } : { t: 'op', id, op };
    return this.serial(async () => {
      await this.write(record);
      return id;
    });
  }

  /** Keeps artifact content in the spool (the source may be gone by sync time); returns its blob name. */
  async saveBlob(source: { content: string | Uint8Array } | { file: string }): Promise<string> {
    const name = randomBytes(12).toString('hex');
    await mkdir(join(this.dir, 'blobs'), { recursive: true });
    const path = join(this.dir, 'blobs', name);
    if ('file' in source) await copyFile(source.file, path);
    else await writeFile(path, source.content);
    return name;
  }

  close(): Promise<void> {
    return this.serial(async () => {
      if (!this.handle) return;
      await this.write({ t: 'closed', at: Date.now() });
      await this.handle.close();
      this.handle = undefined;
    });
  }

  private async write(record: JournalRecord): Promise<void> {
    if (!this.handle) {
      await mkdir(this.dir, { recursive: true });
      this.handle = await open(this.journalPath, 'a');
      const header: JournalHeader = { t: 'header', version: 1, trackingUri: this.trackingUri, pid: process.pid, host: hostname(), createdAt: Date.now() };
      await this.handle.write(JSON.stringify(header) + '\n');
    }
    await this.handle.write(JSON.stringify(record) + '\n');
    await this.handle.sync();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

function journalName(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${stamp}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export interface Journal {
  path: string;
  statePath: string;
  header?: JournalHeader;
  ops: OpRecord[];
  closed: boolean;
}

/** Reads a journal; a torn last line (crash while writing) is ignored. */
export async function readJournal(path: string): Promise<Journal> {
  const journal: Journal = { path, statePath: statePathFor(path), ops: [], closed: false };
  for (const rec of parseLines<JournalRecord>(await readFile(path, 'utf8'))) {
    if (rec.t === 'header') journal.header = rec;
    else if (rec.t === 'op') journal.ops.push(rec);
    else if (rec.t === 'closed') journal.closed = true;
  }
  return journal;
}

export interface SyncState {
  attempted: Set<string>;
  done: Set<string>;
  dropped: Map<string, string>;
  runs: Map<string, { runId: string; experimentId: string; artifactUri?: string }>;
}

export async function readState(statePath: string): Promise<SyncState> {
  const state: SyncState = { attempted: new Set(), done: new Set(), dropped: new Map(), runs: new Map() };
  const text = await readFile(statePath, 'utf8').catch(() => '');
  for (const rec of parseLines<StateRecord>(text)) {
    if (rec.t === 'attempt') state.attempted.add(rec.id);
    else if (rec.t === 'done') state.done.add(rec.id);
    else if (rec.t === 'dropped') state.dropped.set(rec.id, rec.reason);
    else if (rec.t === 'run') state.runs.set(rec.spoolId, { runId: rec.runId, experimentId: rec.experimentId, artifactUri: rec.artifactUri });
  }
  return state;
}

export function pendingOps(journal: Journal, state: SyncState): OpRecord[] {
  return journal.ops.filter((o) => !state.done.has(o.id) && !state.dropped.has(o.id));
}

export function statePathFor(journalPath: string): string {
  return journalPath.slice(0, -JOURNAL_EXT.length) + STATE_EXT;
}

/** Journals still to sync (delivered ones are moved to `done/`). */
export async function listJournals(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(JOURNAL_EXT) && !n.endsWith(STATE_EXT)).sort().map((n) => join(dir, n));
}

/** Number of spooled operations not yet delivered to the server (0 when there is no spool). */
export async function pendingSpool(runsDir: string): Promise<number> {
  let pending = 0;
  for (const path of await listJournals(spoolDir(runsDir))) {
    const journal = await readJournal(path).catch(() => undefined);
    if (journal) pending += pendingOps(journal, await readState(journal.statePath)).length;
  }
  return pending;
}

/** The server run id a sync gave to a spooled run, searching active and archived state files. */
export async function findSpooledRun(runsDir: string, spoolId: string): Promise<{ runId: string; experimentId: string } | undefined> {
  const dir = spoolDir(runsDir);
  for (const d of [dir, join(dir, 'done')]) {
    const names = await readdir(d).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.endsWith(STATE_EXT))) {
      const run = (await readState(join(d, n))).runs.get(spoolId);
      if (run) return run;
    }
  }
  return undefined;
}

function parseLines<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A line torn by a crash: everything before it is intact, nothing after it was acknowledged.
    }
  }
  return out;
}

/** Appends sync progress records, each flushed to disk before the next request. */
export class StateWriter {
  private handle?: FileHandle;
  constructor(private readonly path: string) {}

  async append(rec: StateRecord): Promise<void> {
    this.handle ??= await open(this.path, 'a');
    await this.handle.write(JSON.stringify(rec) + '\n');
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
