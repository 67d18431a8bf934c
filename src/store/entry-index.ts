// An index of store entries, one per recipe name, so that planning a large recipe reads one file
// instead of one manifest per node. It is only ever a hint: every record carries the identity of the
// manifest file it was read from (inode, size, mtime, ctime), and a lookup uses a record only when
// the manifest on disk still has that identity. A missing, stale, truncated or garbled index costs
// the reads it would have saved, never a wrong hit.
//
//   index/<name>.snapshot  snapshot: a header line with the sha256 of the body, then the body: every
//                          record column by column, a line of JSON and then bytes (index-snapshot.ts)
//   index/<name>.journal   records appended by publish(), one JSON record a line, each prefixed with its own checksum
//
// Concurrent writers: publish appends whole lines (O_APPEND); a snapshot is written to a private
// temporary file and renamed into place. A journal line lost to a concurrent rewrite only means a
// later lookup reads that manifest from disk again. A snapshot of another format version is not
// read (its header differs): the next lookup reads the manifests and writes one of this version.
// Format 2 was one JSON record a line in <name>.jsonl: never read, and removed by the first rewrite.
//
// Records leave out the manifest's key structure (a third of a manifest, and of the time to parse
// the index): a plan needs it only to explain misses, which read the stage's manifests anyway, so a
// manifest read from the index reads its key structure from its file when something asks for it.
import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isPidAlive, randomId, thisMachine } from './fsutil.js';
import { ENTRY_MANIFEST, shortBoot } from './layout.js';
import { isKey, manifestProblem, parseManifest, type Manifest } from './manifest.js';
import { decodeSnapshot, encodeSnapshot, isIdentity, recordValue, restoreMetrics, type IndexedEntry, type ManifestIdentity } from './index-snapshot.js';
import type { Key } from '../util/ids.js';

export type { IndexedEntry, ManifestIdentity } from './index-snapshot.js';
export { isVersionOf } from './index-snapshot.js';

export interface IndexSnapshot {
  /** Each record's manifest reads its key structure from the manifest file on first use. */
  entries: Map<Key, IndexedEntry>;
  /** Bytes of the journal that were read (folded into the next snapshot). */
  journalBytes: number;
  /** Records that were unreadable (a torn line, a bad checksum, an invalid manifest); a snapshot that is not used counts one. */
  damaged: number;
}

const HEADER = 'retort-store-index 3';

export function identityOf(st: Stats): ManifestIdentity {
  return [st.ino, st.size, st.mtimeMs, st.ctimeMs];
}


/** A file name for a recipe name: free text made safe, long names hashed. */
export function indexName(recipe: string): string {
  const encoded = 'r-' + encodeURIComponent(recipe);
  return encoded.length <= 120 ? encoded : 'h-' + createHash('sha256').update(recipe).digest('hex');
}

function checksum(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A journal line's record, checked in full (its checksum is short): a full manifest check, as for a file read from disk. */
function parseRecord(json: string): { key: Key; entry: IndexedEntry } | undefined {
  let value: { k?: unknown; i?: unknown; m?: unknown };
  try {
    value = JSON.parse(json) as typeof value;
  } catch {
    return undefined;
  }
  const { k, i, m } = value;
  if (!isIdentity(i) || !isKey(k) || manifestProblem(m, k) !== undefined) return undefined;
  const manifest = m as Manifest;
  restoreMetrics(manifest.metrics);
  return { key: k, entry: { identity: i, manifest } };
}

export class EntryIndex {
  readonly snapshotPath: string;
  readonly journalPath: string;
  /** Where format 2 kept its snapshot (a store written by an earlier version): removed on rewrite. */
  readonly legacySnapshotPath: string;
  /** The `keyStructure` of every manifest this index reads: one accessor for all (it keeps their shape shared and fast). */
  private readonly keyStructure: PropertyDescriptor;

  /** `objects`: the store's objects/ folder, where a record's manifest file is (by default beside the index folder). */
  constructor(readonly dir: string, name: string, objects = join(dir, '..', 'objects')) {
    this.snapshotPath = join(dir, `${name}.snapshot`);
    this.legacySnapshotPath = join(dir, `${name}.jsonl`);
    this.journalPath = join(dir, `${name}.journal`);
    this.keyStructure = {
      enumerable: true,
      configurable: true,
      get(this: Manifest): unknown {
        return readKeyStructure(this, `${objects}/${this.key.slice(0, 2)}/${this.key}/${ENTRY_MANIFEST}`);
      },
    };
  }

  /** The snapshot with the journal applied over it. Never throws: what cannot be read is simply absent. */
  read(): IndexSnapshot {
    let entries: Map<Key, IndexedEntry> | undefined;
    let damaged = 0;
    const snapshot = readBytes(this.snapshotPath);
    if (snapshot !== undefined) {
      const newline = snapshot.indexOf(0x0a);
      const header = snapshot.toString('utf8', 0, newline < 0 ? snapshot.length : newline);
      const body = newline < 0 ? Buffer.alloc(0) : snapshot.subarray(newline + 1);
      // The whole snapshot or nothing: a torn or edited body fails its checksum (taken over the bytes
      // as read, which are the bytes the writer hashed), a snapshot of another version its header.
      if (header === `${HEADER} ${checksum(body)}`) entries = decodeOrNothing(body, this.keyStructure);
      if (!entries) damaged++;
    }
    entries ??= new Map();
    const journal = readText(this.journalPath) ?? '';
    for (const line of journal.split('\n')) {
      if (!line) continue;
      const space = line.indexOf(' ');
      const json = line.slice(space + 1);
      const rec = space === 16 && line.slice(0, 16) === checksum(json).slice(0, 16) ? parseRecord(json) : undefined;
      if (!rec) {
        damaged++;
        continue;
      }
      // A record of an earlier version may carry the key structure: then it is kept, as read.
      if (!Object.hasOwn(rec.entry.manifest, 'keyStructure')) Object.defineProperty(rec.entry.manifest, 'keyStructure', this.keyStructure);
      entries.set(rec.key, rec.entry);
    }
    return { entries, journalBytes: Buffer.byteLength(journal), damaged };
  }

  /** Adds one record to the journal (after a publish). Best effort: a store without an index still works. */
  append(key: Key, entry: IndexedEntry): void {
    const json = JSON.stringify(recordValue(key, entry));
    try {
      appendFileSync(this.journalPath, `${checksum(json).slice(0, 16)} ${json}\n`);
    } catch { /* read-only store, no index folder yet: the entry is read from disk instead */ }
  }

  /**
   * Replaces the snapshot with `entries` and empties the journal it was read with: `journalBytes`
   * is what the caller read; a journal that grew since keeps its lines (they are read again next time).
   * Best effort, like append. Key structures are not written, nor read for writing.
   */
  rewrite(entries: ReadonlyMap<Key, IndexedEntry>, journalBytes: number): void {
    try {
      const body = encodeSnapshot(entries);
      const me = thisMachine();
      const tmp = `${this.snapshotPath}.${me.host}@${shortBoot(me.bootId)}@${process.pid}@${randomId()}.tmp`;
      this.removeDeadTemporaries(me.host, shortBoot(me.bootId));
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${HEADER} ${checksum(body)}\n`), body]));
      renameSync(tmp, this.snapshotPath);
      rmSync(this.legacySnapshotPath, { force: true });
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

/** A body whose checksum matched but whose document surprises the decoder (a foreign writer, a bug) is not used. */
function decodeOrNothing(body: Buffer, keyStructure: PropertyDescriptor): Map<Key, IndexedEntry> | undefined {
  try {
    return decodeSnapshot(body, keyStructure);
  } catch {
    return undefined;
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

/** A manifest's key structure read from its file, kept on the manifest (undefined if the file is gone or unreadable by then). */
function readKeyStructure(manifest: Manifest, path: string): unknown {
  let keyStructure: unknown;
  try {
    keyStructure = parseManifest(readFileSync(path, 'utf8'), manifest.key).keyStructure;
  } catch { /* gone since the lookup */ }
  Object.defineProperty(manifest, 'keyStructure', { value: keyStructure, enumerable: true, writable: true, configurable: true });
  return keyStructure;
}
