// Garbage collection of the store.
//
// Roots: pins, the nodes of the last `keepRuns` run records, `extraRoots` (e.g. the keys the current
// recipes reach), and every run still marked 'running' (a run in progress must not lose its inputs).
// Everything an entry's key structure names as an input is kept with it (its lineage).
// Among unreachable entries:
//   - olderThanMs: remove those whose last use (the `used` file touched on each hit, else createdAt)
//     is older than that;
//   - maxSizeBytes: then remove the least recently used until the store fits;
//   - neither: remove them all.
// Entries created or used since the oldest active run started are kept too (that run may not
// have recorded them yet). Removal goes through Store.removeEntry: never while the key's lease is
// held, and by one rename out of objects/ before deleting.
// Run records beyond the last `keepRuns` are deleted; quarantined (corrupt) entries are deleted.
// Scratch directories (a node's working files, see Store.scratchDir) are removed when nobody holds
// their key's lease and either the key is published or nothing in them changed for `scratchMaxAgeMs`.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { listPins } from './pins.js';
import { clearRunning, deleteRunRecord, listRunRecords, processGone, runningMarkers, type RunRecord } from './runs.js';
import { isKey, type Manifest } from './manifest.js';
import { listDir, mapLimit, removeTree } from './fsutil.js';
import type { Store } from './store.js';
import type { Key, NodeId } from '../util/ids.js';

export interface GcOptions {
  /** The last N run records (and the keys they reach) are kept. */
  keepRuns: number;
  olderThanMs?: number;
  maxSizeBytes?: number;
  dryRun?: boolean;
  /** Keys to keep, e.g. those reached by given recipes. */
  extraRoots?: string[];
  /** Unpublished scratch untouched for longer than this is removed (default 7 days). */
  scratchMaxAgeMs?: number;
}

export interface GcReport {
  kept: { key: Key; reason: string }[];
  /** `node`, `stage` and `recipe` come from the entry's manifest, when it could be read. */
  removed: { key: Key; size: number; reason: string; node?: NodeId; stage?: string; recipe?: string }[];
  freedBytes: number;
  removedRecords: string[];
  /** Scratch directories removed (or, in a dry run, that would be). */
  removedScratch: { key: Key; size: number; reason: string }[];
}

/** A 'running' record older than this is a crashed run, not an active one. */
const ACTIVE_RUN_MAX_AGE_MS = 7 * 24 * 3600_000;
/** Leftovers (foreign staging areas, lease temp files, index markers) older than this are swept. */
const LEFTOVER_AGE_MS = 3 * 24 * 3600_000;
/** Scratch of an unpublished key is kept this long after its last change, so that a re-run can resume. */
export const DEFAULT_SCRATCH_MAX_AGE_MS = 7 * 24 * 3600_000;

interface EntryInfo {
  key: Key;
  manifest?: Manifest;
  size: number;
  lastUsed: number;
}

export async function gc(store: Store, runsDir: string, opts: GcOptions): Promise<GcReport> {
  if (!Number.isInteger(opts.keepRuns) || opts.keepRuns < 0) throw new Error(`gc keepRuns must be a non-negative integer, got ${opts.keepRuns}`);
  const now = Date.now();
  const records = await listRunRecords(runsDir);
  // A running run is active for a week at most, and on this machine only while its process lives.
  const markers = new Map((await runningMarkers(runsDir)).map((m) => [m.runId, m]));
  const isActive = (r: RunRecord) => {
    const m = markers.get(r.runId);
    return now - r.startedAt < ACTIVE_RUN_MAX_AGE_MS && !(m && processGone(m));
  };
  const active = records.filter((r) => r.status === 'running' && isActive(r));
  const keptRecords = records.filter((r, i) => i < opts.keepRuns || active.includes(r));
  const prunedRecords = records.filter((r) => !keptRecords.includes(r));

  // Runs record every key they planned: the newest such run is a use, as is a touch of `used`.
  const usedByRun = new Map<string, number>();
  for (const r of records) for (const n of r.nodes) usedByRun.set(n.key, Math.max(usedByRun.get(n.key) ?? 0, r.startedAt));
  const infos = await mapLimit(await store.keys(), 32, async (key): Promise<EntryInfo> => {
    const manifest = await store.readManifest(key);
    const size = manifest ? await store.entrySize(key, manifest) : await treeSize(store.entryDir(key));
    const lastUsed = manifest ? Math.max(await store.lastUsed(key, manifest), usedByRun.get(key) ?? 0) : 0;
    return { key, manifest, size, lastUsed };
  });
  const entries = new Map(infos.map((e) => [e.key, e]));

  const keep = reachable(entries, await roots(store, keptRecords, opts.extraRoots ?? []));
  const activeSince = Math.min(...active.map((r) => r.startedAt));
  for (const e of entries.values()) {
    if (!keep.has(e.key) && e.manifest && (e.manifest.createdAt >= activeSince || e.lastUsed >= activeSince)) {
      keep.set(e.key, `new since active run ${active.find((r) => r.startedAt === activeSince)?.runId} started`);
    }
  }

  const doomed = chooseRemovals([...entries.values()], keep, opts, now);
  const report: GcReport = { kept: [], removed: [], freedBytes: 0, removedRecords: prunedRecords.map((r) => r.runId), removedScratch: [] };
  for (const [key, reason] of keep) if (entries.has(key)) report.kept.push({ key, reason });

  for (const e of entries.values()) {
    if (!keep.has(e.key) && !doomed.has(e.key)) {
      report.kept.push({ key: e.key, reason: opts.maxSizeBytes !== undefined ? 'unreachable, store within size limit' : 'unreachable, recently used' });
    }
  }
  // Removals follow the order they were chosen in (least recently used first), not listing order.
  for (const [key, reason] of doomed) {
    const e = entries.get(key)!;
    const outcome = opts.dryRun ? 'removed' : await store.removeEntry(e.key);
    if (outcome === 'leased') report.kept.push({ key: e.key, reason: 'unreachable, but its lease is held' });
    else if (outcome === 'removed') {
      const m = e.manifest;
      report.removed.push({ key: e.key, size: e.size, reason, ...(m ? { node: m.nodeId, stage: m.stage, recipe: m.recipe } : {}) });
      report.freedBytes += e.size;
    }
  }

  for (const q of await store.quarantined()) {
    const size = await treeSize(q.dir);
    if (!opts.dryRun) await removeTree(q.dir);
    report.removed.push({ key: q.key, size, reason: 'quarantined as corrupt' });
    report.freedBytes += size;
  }
  for (const s of await staleScratch(store, opts.scratchMaxAgeMs ?? DEFAULT_SCRATCH_MAX_AGE_MS, now, opts.dryRun ?? false)) {
    report.removedScratch.push(s);
    report.freedBytes += s.size;
  }
  if (!opts.dryRun) {
    for (const r of prunedRecords) {
      await deleteRunRecord(runsDir, r.runId);
      await clearRunning(runsDir, r.runId); // a dead run's marker goes with its record
    }
    await sweepLeftovers(store, now);
  }
  return report;
}

async function roots(store: Store, records: RunRecord[], extraRoots: string[]): Promise<Map<Key, string>> {
  const found = new Map<Key, string>();
  for (const p of await listPins(store)) if (!found.has(p.key)) found.set(p.key, p.name ? `pinned as "${p.name}"` : 'pinned');
  for (const r of records) {
    for (const n of r.nodes) if (isKey(n.key) && !found.has(n.key)) found.set(n.key, `in run ${r.runId}`);
  }
  for (const key of extraRoots) if (isKey(key) && !found.has(key)) found.set(key, 'reached by a recipe');
  return found;
}

/** Roots plus, transitively, every stored entry a kept entry took as an input. */
function reachable(entries: Map<Key, EntryInfo>, rootReasons: Map<Key, string>): Map<Key, string> {
  const keep = new Map(rootReasons);
  const queue = [...rootReasons.keys()];
  while (queue.length > 0) {
    const key = queue.pop()!;
    const inputs = (entries.get(key)?.manifest?.keyStructure as { inputs?: unknown } | undefined)?.inputs;
    for (const upstream of keysIn(inputs)) {
      if (keep.has(upstream) || !entries.has(upstream)) continue;
      keep.set(upstream, `input of ${key.slice(0, 12)}`);
      queue.push(upstream);
    }
  }
  return keep;
}

/** Every 64-hex string inside a key structure's inputs (upstream keys; content hashes match no entry). */
function keysIn(value: unknown, out: Key[] = []): Key[] {
  if (typeof value === 'string') {
    if (isKey(value)) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) keysIn(v, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) keysIn(v, out);
  }
  return out;
}

function chooseRemovals(all: EntryInfo[], keep: Map<Key, string>, opts: GcOptions, now: number): Map<Key, string> {
  const doomed = new Map<Key, string>();
  const candidates = all.filter((e) => !keep.has(e.key));
  for (const e of candidates) if (!e.manifest) doomed.set(e.key, 'unreachable, unreadable manifest');
  const live = candidates.filter((e) => !doomed.has(e.key));
  if (opts.olderThanMs === undefined && opts.maxSizeBytes === undefined) {
    for (const e of live) doomed.set(e.key, 'unreachable');
    return doomed;
  }
  if (opts.olderThanMs !== undefined) {
    for (const e of live) {
      if (e.lastUsed < now - opts.olderThanMs) doomed.set(e.key, `unreachable, unused for ${formatAge(now - e.lastUsed)}`);
    }
  }
  if (opts.maxSizeBytes !== undefined) {
    let total = all.filter((e) => !doomed.has(e.key)).reduce((sum, e) => sum + e.size, 0);
    const lru = live.filter((e) => !doomed.has(e.key)).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const e of lru) {
      if (total <= opts.maxSizeBytes) break;
      doomed.set(e.key, 'unreachable, least recently used while the store exceeds its size limit');
      total -= e.size;
    }
  }
  return doomed;
}

function formatAge(ms: number): string {
  const hours = ms / 3600_000;
  return hours >= 48 ? `${Math.floor(hours / 24)} days` : hours >= 1 ? `${Math.floor(hours)} h` : `${Math.floor(ms / 60_000)} min`;
}

/**
 * Removes (unless dryRun) the scratch directories nobody is using: the key's lease is free and the
 * key is published or the newest file in the directory is older than maxAgeMs. The lease is held
 * while removing, so a run that starts computing the key meanwhile waits instead of losing files.
 */
async function staleScratch(store: Store, maxAgeMs: number, now: number, dryRun: boolean): Promise<{ key: Key; size: number; reason: string }[]> {
  const removed: { key: Key; size: number; reason: string }[] = [];
  for (const key of await store.scratchKeys()) {
    const lease = dryRun ? undefined : await store.tryLease(key, { ttlMs: 5 * 60_000 });
    if (!dryRun && !lease) continue;
    if (dryRun && (await store.isLeased(key))) continue;
    try {
      const dir = store.scratchDir(key);
      const published = await fs.stat(store.layout.manifestPath(key)).then(() => true, () => false);
      const age = now - (await newestMtime(dir));
      const reason = published ? 'scratch of a published entry' : age > maxAgeMs ? `scratch unchanged for ${formatAge(age)}` : undefined;
      if (!reason) continue;
      const size = await treeSize(dir);
      if (!dryRun) await store.removeScratch(key);
      removed.push({ key, size, reason });
    } finally {
      await lease?.release();
    }
  }
  return removed;
}

/** The latest modification time of a tree (a directory's own mtime changes when entries come and go). */
async function newestMtime(path: string): Promise<number> {
  const st = await fs.lstat(path).catch(() => undefined);
  if (!st) return 0;
  let newest = st.mtimeMs;
  if (st.isDirectory()) for (const name of await listDir(path)) newest = Math.max(newest, await newestMtime(join(path, name)));
  return newest;
}

async function treeSize(path: string): Promise<number> {
  const st = await fs.lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await listDir(path)) total += await treeSize(join(path, name));
  return total;
}

/** Removes what crashed processes left behind: trash, old foreign staging areas, lease temp files, stale index markers. */
async function sweepLeftovers(store: Store, now: number): Promise<void> {
  const l = store.layout;
  for (const name of await listDir(l.trash)) await removeTree(join(l.trash, name));
  await store.cleanStaging({ foreignOlderThanMs: LEFTOVER_AGE_MS });
  const old = async (path: string) => {
    const st = await fs.stat(path).catch(() => undefined);
    return st !== undefined && now - st.mtimeMs > LEFTOVER_AGE_MS;
  };
  for (const name of await listDir(l.leases)) {
    const path = join(l.leases, name);
    if (!name.endsWith('.lease') && (await old(path))) await fs.rm(path, { force: true });
  }
  for (const stage of await listDir(l.byStage)) {
    for (const key of await listDir(join(l.byStage, stage))) {
      const marker = join(l.byStage, stage, key);
      // Markers are written just before their entry is renamed in: only old dangling ones are leftovers.
      if (isKey(key) && (await old(marker)) && !(await fs.stat(store.entryDir(key)).catch(() => undefined))) {
        await fs.rm(marker, { force: true });
      }
    }
  }
}
