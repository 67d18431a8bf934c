// Run records: what one `retort run` did, node by node. They live in <runsDir>/records/<runId>.json,
// are written atomically (a reader never sees half a record), and are gc roots.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isNotFound, listDir, mapLimit, writeFileAtomic } from './fsutil.js';

export type NodeOutcome = 'hit' | 'ran' | 'failed' | 'cancelled' | 'skipped';

export interface RunRecordNode {
  id: string;
  stage: string;
  key: string;
  outcome: NodeOutcome;
  durationMs?: number;
  error?: string;
}

export interface RunRecord {
  runId: string;
  recipe: string;
  recipeName: string;
  argv: string[];
  startedAt: number;
  endedAt?: number;
  /** 'running' records (written when a run starts) protect that run's entries from a concurrent gc. */
  status: 'running' | 'ok' | 'failed' | 'cancelled';
  nodes: RunRecordNode[];
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
  await fs.mkdir(recordsDir(runsDir), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(record, null, 1) + '\n');
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

function asRunRecord(value: unknown): RunRecord | undefined {
  const r = value as Partial<RunRecord> | null;
  if (typeof r !== 'object' || r === null) return undefined;
  if (typeof r.runId !== 'string' || typeof r.startedAt !== 'number' || !Array.isArray(r.nodes)) return undefined;
  return r as RunRecord;
}
