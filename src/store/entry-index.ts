// An index of store entries, one per recipe name, so that planning a large recipe reads one file
// instead of one manifest per node. It is only ever a hint: every record carries the identity of the
// manifest file it was read from (inode, size, mtime, ctime), and a lookup uses a record only when
// the manifest on disk still has that identity. A missing, stale, truncated or garbled index costs
// the reads it would have saved, never a wrong hit.
//
//   index/<name>.jsonl     snapshot: a header line with the sha256 of the body, then one record a line
//   index/<name>.journal   records appended by publish(), each line prefixed with its own checksum
//
// Concurrent writers: publish appends whole lines (O_APPEND); a snapshot is written to a private
// temporary file and renamed into place. A journal line lost to a concurrent rewrite only means a
// later lookup reads that manifest from disk again.
//
// Records leave out the manifest's key structure (a third of a manifest, and of the time to parse
// the index): a plan needs it only to explain misses, which read the stage's manifests anyway, so a
// hit's key structure is read from its manifest file when something asks for it.
import { createHash } from 'node:crypto';
import { appendFileSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isPidAlive, randomId, thisMachine } from './fsutil.js';
import { shortBoot } from './layout.js';
import { isKey, manifestProblem, type Manifest } from './manifest.js';
import type { Key } from '../util/ids.js';

/** What identifies one version of a manifest file: [inode, size, mtimeMs, ctimeMs]. */
export type ManifestIdentity = [number, number, number, number];

/** A manifest as the index keeps it: everything but the key structure. */
export type IndexedManifest = Omit<Manifest, 'keyStructure'>;

export interface IndexedEntry { identity: ManifestIdentity; manifest: IndexedManifest }

export interface IndexSnapshot {
  entries: Map<Key, IndexedEntry>;
  /** Bytes of the journal that were read (folded into the next snapshot). */
  journalBytes: number;
  /** Records that were unreadable (a torn line, a bad checksum, an invalid manifest). */
  damaged: number;
}

const HEADER = 'retort-store-index 2';

export function identityOf(st: Stats): ManifestIdentity {
  return [st.ino, st.size, st.mtimeMs, st.ctimeMs];
}

export function sameIdentity(a: ManifestIdentity, b: ManifestIdentity): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** The identity of the manifest at `path` now, or undefined when it is not a readable regular file. */
export function manifestIdentity(path: string): ManifestIdentity | undefined {
  const st = lstatSync(path, { throwIfNoEntry: false });
  return st?.isFile() ? identityOf(st) : undefined;
}

/** A file name for a recipe name: free text made safe, long names hashed. */
export function indexName(recipe: string): string {
  const encoded = 'r-' + encodeURIComponent(recipe);
  return encoded.length <= 120 ? encoded : 'h-' + createHash('sha256').update(recipe).digest('hex');
}

function checksum(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** One record as JSON. JSON has no NaN or Infinity: such metric values are kept as strings, as in manifests. */
function recordJson(key: Key, entry: IndexedEntry): string {
  const m = withoutKeyStructure(entry.manifest);
  const metrics = m.metrics.some((p) => !Number.isFinite(p.value)) ? m.metrics.map((p) => (Number.isFinite(p.value) ? p : {
    ...p,
    value: String(p.value),
  })) : m.metrics;
  return JSON.stringify({ k: key, i: entry.identity, m: metrics === m.metrics ? m : { ...m, metrics } });
}

/** The manifest without its key structure (a copy only when it has one: records read from the index have none). */
export function withoutKeyStructure(m: IndexedManifest | Manifest): IndexedManifest {
  if (!Object.hasOwn(m, 'keyStructure')) return m;
  const { keyStructure: _omitted, ...rest } = m as Manifest;
  return rest;
}

/**
 * One record. `verified`: the line comes from a snapshot whose checksum matched, so it is, byte for
 * byte, a record this module wrote, and writers write only manifests that passed `manifestProblem`
 * (read from disk or from an index). Checking each again cost a tenth of a cached plan of 10^4
 * entries; such a record gets the cheap checks only. Journal lines, with their short per-line
 * checksum, are checked in full.
 */
function parseRecord(json: string, verified: boolean): { key: Key; entry: IndexedEntry } | undefined {
  let value: { k?: unknown; i?: unknown; m?: unknown };
  try {
    value = JSON.parse(json) as typeof value;
  } catch {
    return undefined;
  }
  const { k, i, m } = value;
  if (!Array.isArray(i) || i.length !== 4 || typeof i[0] !== 'number' || typeof i[1] !== 'number' || typeof i[2] !== 'number' || typeof i[3] !== 'number') return undefined;
  if (verified) {
    if (typeof k !== 'string' || k.length !== 64 || typeof m !== 'object' || m === null || (m as { key?: unknown }).key !== k) return undefined;
  } else if (!isKey(k) || manifestProblem(m, k) !== undefined) return undefined;
  // A record of the earlier format carries the key structure: dropped, as records of this one leave it out.
  const manifest = withoutKeyStructure(m as Manifest);
  for (const point of manifest.metrics) if (typeof point?.value === 'string') point.value = Number(point.value);
  // A verified record's key was checked by isKey when it was written.
  return { key: k as Key, entry: { identity: i as ManifestIdentity, manifest } };
}

export class EntryIndex {
  readonly snapshotPath: string;
  readonly journalPath: string;

  constructor(readonly dir: string, name: string) {
    this.snapshotPath = join(dir, `${name}.jsonl`);
    this.journalPath = join(dir, `${name}.journal`);
  }

  /** The snapshot with the journal applied over it. Never throws: what cannot be read is simply absent. */
  read(): IndexSnapshot {
    const entries = new Map<Key, IndexedEntry>();
    let damaged = 0;
    const snapshot = readBytes(this.snapshotPath);
    if (snapshot !== undefined) {
      const newline = snapshot.indexOf(0x0a);
      const header = snapshot.toString('utf8', 0, newline < 0 ? snapshot.length : newline);
      const body = newline < 0 ? Buffer.alloc(0) : snapshot.subarray(newline + 1);
      // The whole snapshot or nothing: a torn or edited body fails its checksum (taken over the bytes
      // as read, which are the UTF-8 the writer hashed: no 6 MB encoded again for it).
      if (header === `${HEADER} ${checksum(body)}`) {
        for (const line of body.toString('utf8').split('\n')) {
          if (!line) continue;
          const rec = parseRecord(line, true);
          if (rec) entries.set(rec.key, rec.entry);
          else damaged++;
        }
      } else damaged++;
    }
    const journal = readText(this.journalPath) ?? '';
    for (const line of journal.split('\n')) {
      if (!line) continue;
      const space = line.indexOf(' ');
      const json = line.slice(space + 1);
      const rec = space === 16 && line.slice(0, 16) === checksum(json).slice(0, 16) ? parseRecord(json, false) : undefined;
      if (rec) entries.set(rec.key, rec.entry);
      else damaged++;
    }
    return { entries, journalBytes: Buffer.byteLength(journal), damaged };
  }

  /** Adds one record to the journal (after a publish). Best effort: a store without an index still works. */
  append(key: Key, entry: IndexedEntry): void {
    const json = recordJson(key, entry);
    try {
      appendFileSync(this.journalPath, `${checksum(json).slice(0, 16)} ${json}\n`);
    } catch { /* read-only store, no index folder yet: the entry is read from disk instead */ }
  }

  /**
   * Replaces the snapshot with `entries` and empties the journal it was read with: `journalBytes`
   * is what the caller read; a journal that grew since keeps its lines (they are read again next time).
   * Best effort, like append.
   */
  rewrite(entries: Map<Key, IndexedEntry>, journalBytes: number): void {
    try {
      const lines: string[] = [];
      for (const [key, entry] of entries) lines.push(recordJson(key, entry));
      const body = lines.length ? lines.join('\n') + '\n' : '';
      const me = thisMachine();
      const tmp = `${this.snapshotPath}.${me.host}@${shortBoot(me.bootId)}@${process.pid}@${randomId()}.tmp`;
      this.removeDeadTemporaries(me.host, shortBoot(me.bootId));
      writeFileSync(tmp, `${HEADER} ${checksum(body)}\n${body}`);
      renameSync(tmp, this.snapshotPath);
      if (journalBytes > 0 && statSync(this.journalPath, { throwIfNoEntry: false })?.size === journalBytes) truncateSync(this.journalPath, 0);
    } catch { /* read-only store or a full disk: the old snapshot (or none) stays, which is safe */ }
  }

  /** Temporary snapshots of killed writers on this machine (a kill between write and rename). */
  private removeDeadTemporaries(host: string, boot: string): void {
    const prefix = `${this.snapshotPath.slice(this.dir.length + 1)}.`;
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const [h, b, pid] = name.slice(prefix.length, -'.tmp'.length).split('@');
      if (h === host && b === boot && /^\d+$/.test(pid ?? '') && !isPidAlive(Number(pid))) rmSync(join(this.dir, name), { force: true });
    }
  }
}

function readBytes(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
