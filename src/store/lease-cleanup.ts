// What a killed process leaves in leases/: its lease files (expired, since its pid is dead, but never
// removed when no one needs the key again) and its private temporary files. Removed when a store opens.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isNotFound, isPidAlive, isThisMachine, listDir } from './fsutil.js';
import { parseRecord, type LeaseManager } from './lease.js';

/** Files only their writer uses: the record before it is linked, a renewal, a released lease. */
const PRIVATE_SUFFIXES = ['.renew.tmp', '.tmp', '.released'];
/** A break marker older than this whose lease has moved on belongs to a finished take-over. */
const BREAK_MARKER_MIN_AGE_MS = 10_000;

export async function cleanLeases(manager: LeaseManager): Promise<void> {
  for (const name of await listDir(manager.dir)) {
    const path = join(manager.dir, name);
    try {
      if (name.endsWith('.lease')) await reapDeadLease(manager, name.slice(0, -'.lease'.length));
      else if (PRIVATE_SUFFIXES.some((s) => name.endsWith(s))) { if (await writtenByDeadProcess(path)) await fs.rm(path, { force: true }); } else if (name.includes('.break.')) await removeStaleBreakMarker(manager, path, name);
    } catch (err) {
      if (!isNotFound(err)) throw err; // another process cleaned it first
    }
  }
}

/** A lease whose holder on this machine is dead is taken over through the lease protocol, then released. */
async function reapDeadLease(manager: LeaseManager, leaseName: string): Promise<void> {
  let path: string;
  try { path = manager.leasePath(leaseName); } catch { return; } // not a name Retort makes
  const record = (await manager.observe(path))?.record;
  if (!record || !isThisMachine(record.host, record.bootId) || isPidAlive(record.pid)) return;
  const lease = await manager.tryAcquire(leaseName, record.ttlMs > 0 ? record.ttlMs : undefined);
  await lease?.release();
}

async function writtenByDeadProcess(path: string): Promise<boolean> {
  const record = parseRecord(await fs.readFile(path, 'utf8'));
  return record !== undefined && isThisMachine(record.host, record.bootId) && !isPidAlive(record.pid);
}

async function removeStaleBreakMarker(manager: LeaseManager, path: string, name: string): Promise<void> {
  const [leaseName, identity] = name.split('.break.');
  const st = await fs.stat(path);
  if (Date.now() - st.mtimeMs < BREAK_MARKER_MIN_AGE_MS) return;
  let leasePath: string;
  try { leasePath = manager.leasePath(leaseName!); } catch { return; } // split gives at least one part
  const current = await manager.observe(leasePath);
  if (current?.identity !== identity) await fs.rm(path, { force: true });
}
