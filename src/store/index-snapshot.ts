// The body of an entry index snapshot (see entry-index.ts): the records column by column, so that
// reading 10^4 records is one JSON.parse and one loop, not 10^4 parses. A line of JSON, then bytes:
//
//   <JSON document: the text columns>\n<keys: 32 bytes each><file hashes: 32 bytes each><numbers>
//
// - keys and file hashes: the digests' bytes, turned into one string of hex digits sliced per record;
// - numbers (the manifest file's identity, the entry's times, each file's size and mtime): float64s,
//   little-endian, exactly the values written (no decimal text to parse, nothing to decode);
// - fields many entries share (stage, recipe, plugin, run id, ports, tracking): a table of groups,
//   each record naming its group by number;
// - metrics, rare in entries a plan looks up: only the records that have any, by row;
// - a manifest with something the columns have no place for (a field of another version, a file
//   entry with more than its four fields, no ports) is kept whole.
//
// The snapshot is all or nothing (one checksum over the body, checked by the caller), so the
// document's shape is checked as a whole here: any inconsistency and no record is used.
import type { Stats } from 'node:fs';
import { endianness } from 'node:os';
import { isKey, manifestProblem, type Manifest, type ManifestFile, type MetricPoint, type TrackingRef } from './manifest.js';
import type { Key } from '../util/ids.js';

/** What identifies one version of a manifest file: [inode, size, mtimeMs, ctimeMs]. */
export type ManifestIdentity = [number, number, number, number];

/** One record: a manifest as the index keeps it (its key structure is read from the file when asked for). */
export interface IndexedEntry { identity: ManifestIdentity; manifest: Manifest }

/** A record as JSON: the journal's line format, and the snapshot's for manifests kept whole. */
export interface RecordValue { k: Key; i: ManifestIdentity; m: Omit<Manifest, 'keyStructure'> }

interface Group { stage: string; recipe: string; plugin: Manifest['plugin']; runId: string; ports: string[]; tracking?: TrackingRef }

interface Doc {
  nodes: string[];
  group: number[];
  groups: Group[];
  fileCount: number[];
  paths: number[];
  pathNames: string[];
  metrics: [number, MetricPoint[]][];
  whole: RecordValue[];
}

/** Float64 values per record (identity, startedAt, endedAt, createdAt) and per file (size, mtimeMs). */
const PER_RECORD = 7;
const PER_FILE = 2;
const HEX64 = /^[0-9a-f]{64}$/;
const MANIFEST_FIELDS = new Set([
  'formatVersion', 'key', 'nodeId', 'stage', 'recipe', 'plugin', 'runId', 'startedAt', 'endedAt', 'createdAt', 'tracking', 'ports', 'files',
  'metrics', 'keyStructure',
]);

/** One record as JSON. JSON has no NaN or Infinity: such metric values are kept as strings, as in manifests. */
export function recordValue(key: Key, entry: IndexedEntry): RecordValue {
  return { k: key, i: entry.identity, m: { ...withoutKeyStructure(entry.manifest), metrics: jsonMetrics(entry.manifest.metrics) } };
}

/** The manifest's fields but its key structure (which is not read: it may be one still to be read from disk). */
function withoutKeyStructure(m: Manifest): Omit<Manifest, 'keyStructure'> {
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(m)) if (name !== 'keyStructure') copy[name] = (m as unknown as Record<string, unknown>)[name];
  return copy as unknown as Omit<Manifest, 'keyStructure'>;
}

function jsonMetrics(metrics: MetricPoint[]): MetricPoint[] {
  if (metrics.every((p) => Number.isFinite(p.value))) return metrics;
  return metrics.map((p) => (Number.isFinite(p.value) ? p : { ...p, value: String(p.value) as unknown as number }));
}

/** Metric values written as strings (NaN, Infinity) become numbers again, in place. */
export function restoreMetrics(metrics: MetricPoint[]): void {
  for (const point of metrics) if (typeof point?.value === 'string') point.value = Number(point.value);
}

/** Whether the columns hold all of the record: only fields of this version, of the types the columns are written with. */
function fitsColumns(key: Key, { identity, manifest: m }: IndexedEntry): boolean {
  if (m.key !== key || !HEX64.test(key) || m.formatVersion !== 1 || !isIdentity(identity) || !Array.isArray(m.ports) || !Array.isArray(m.metrics)) return false;
  if (typeof m.nodeId !== 'string' || typeof m.stage !== 'string' || typeof m.recipe !== 'string' || typeof m.runId !== 'string') return false;
  if (typeof m.startedAt !== 'number' || typeof m.endedAt !== 'number' || typeof m.createdAt !== 'number') return false;
  if (typeof m.plugin !== 'object' || m.plugin === null || (m.tracking !== undefined && (typeof m.tracking !== 'object' || m.tracking === null))) return false;
  for (const name in m) if (!MANIFEST_FIELDS.has(name)) return false;
  for (const file of m.files) {
    if (typeof file.path !== 'string' || !HEX64.test(file.sha256) || typeof file.size !== 'number' || typeof file.mtimeMs !== 'number') return false;
    let fields = 0;
    for (const _name in file) fields++;
    if (fields !== 4) return false;
  }
  return true;
}

/** The snapshot body for `entries`. */
export function encodeSnapshot(entries: ReadonlyMap<Key, IndexedEntry>): Buffer {
  const keys: string[] = [];
  const doc: Doc = { nodes: [], group: [], groups: [], fileCount: [], paths: [], pathNames: [], metrics: [], whole: [] };
  const groupIds = new Map<string, number>();
  const pathIds = new Map<string, number>();
  const shas: string[] = [];
  const recordNumbers: number[] = [];
  const fileNumbers: number[] = [];
  let last: { m: Manifest; id: number } | undefined;
  for (const [key, entry] of entries) {
    const m = entry.manifest;
    if (!fitsColumns(key, entry)) {
      doc.whole.push(recordValue(key, entry));
      continue;
    }
    // Entries of one run sit together and (read from a snapshot) share their objects: most find their group without JSON.
    let group = last && sameGroup(last.m, m) ? last.id : undefined;
    if (group === undefined) {
      const { stage, recipe, plugin, runId, tracking } = m;
      const fields: Group = { stage, recipe, plugin, runId, ports: m.ports!, ...(tracking ? { tracking } : {}) };
      const text = JSON.stringify(fields);
      group = groupIds.get(text);
      if (group === undefined) {
        group = doc.groups.push(fields) - 1;
        groupIds.set(text, group);
      }
    }
    last = { m, id: group };
    const row = keys.push(key) - 1;
    doc.nodes.push(m.nodeId);
    doc.group.push(group);
    doc.fileCount.push(m.files.length);
    recordNumbers.push(...entry.identity, m.startedAt, m.endedAt, m.createdAt);
    for (const file of m.files) {
      let path = pathIds.get(file.path);
      if (path === undefined) {
        path = doc.pathNames.push(file.path) - 1;
        pathIds.set(file.path, path);
      }
      doc.paths.push(path);
      shas.push(file.sha256);
      fileNumbers.push(file.size, file.mtimeMs);
    }
    if (m.metrics.length > 0) doc.metrics.push([row, jsonMetrics(m.metrics)]);
  }
  const numbers = Buffer.from(Float64Array.from([...recordNumbers, ...fileNumbers]).buffer);
  if (endianness() === 'BE') numbers.swap64();
  return Buffer.concat([Buffer.from(JSON.stringify(doc) + '\n'), Buffer.from(keys.join(''), 'hex'), Buffer.from(shas.join(''), 'hex'), numbers]);
}

function sameGroup(a: Manifest, b: Manifest): boolean {
  return a.stage === b.stage && a.recipe === b.recipe && a.plugin === b.plugin && a.runId === b.runId && a.ports === b.ports && a.tracking === b.tracking;
}

/**
 * The records of a snapshot body, each manifest given `keyStructure` (an accessor that reads it from
 * the manifest file); undefined when the body is not a document this module wrote.
 */
export function decodeSnapshot(body: Buffer, keyStructure: PropertyDescriptor): Map<Key, IndexedEntry> | undefined {
  const newline = body.indexOf(0x0a);
  if (newline < 0) return undefined;
  let doc: Doc;
  try {
    doc = JSON.parse(body.toString('utf8', 0, newline)) as Doc;
  } catch {
    return undefined;
  }
  if (!wellFormed(doc)) return undefined;
  const n = doc.nodes.length;
  const files = doc.paths.length;
  const bytes = body.subarray(newline + 1);
  if (bytes.length !== 32 * n + 32 * files + 8 * (PER_RECORD * n + PER_FILE * files)) return undefined;
  const keys = bytes.toString('hex', 0, 32 * n);
  const shas = bytes.toString('hex', 32 * n, 32 * (n + files));
  const numbers = float64s(bytes.subarray(32 * (n + files)));
  const { group, groups, fileCount, paths, pathNames } = doc;
  // Every index the records will follow is checked here, so that making a manifest later cannot fail.
  for (const p of paths) if (typeof pathNames[p] !== 'string') return undefined;
  if (!groups.every(isGroup)) return undefined;
  // A group's objects are shared by the manifests of its records: frozen, so that a consumer that
  // edits one manifest's plugin, ports or tracking fails loudly instead of editing all of them.
  for (const g of groups) deepFreeze(g);
  const metrics = new Map<number, MetricPoint[]>();
  for (const [row, points] of doc.metrics) {
    if (!Number.isInteger(row) || row < 0 || row >= n || !Array.isArray(points) || metrics.has(row)) return undefined;
    restoreMetrics(points);
    metrics.set(row, points);
  }
  const columns: Columns = { nodes: doc.nodes, group, groups, paths, pathNames, shas, numbers, fileBase: PER_RECORD * n, metrics, keyStructure };
  const entries = new Map<Key, IndexedEntry>();
  let f = 0;
  for (let row = 0; row < n; row++) {
    const key = keys.slice(64 * row, 64 * row + 64) as Key;
    const count = fileCount[row]!;
    if (groups[group[row]!] === undefined || !Number.isInteger(count) || count < 0 || f + count > files) return undefined;
    entries.set(key, new SnapshotRecord(columns, key, row, f, f + count));
    f += count;
  }
  if (f !== files) return undefined;
  for (const record of doc.whole) {
    const entry = wholeEntry(record, keyStructure);
    if (!entry) return undefined;
    entries.set(record.k, entry);
  }
  return entries;
}

/** The decoded columns of a snapshot, which its records make their manifests from. */
interface Columns {
  nodes: string[];
  group: number[];
  groups: Group[];
  paths: number[];
  pathNames: string[];
  shas: string;
  numbers: Float64Array;
  /** Where the files' numbers start in `numbers`. */
  fileBase: number;
  metrics: Map<number, MetricPoint[]>;
  keyStructure: PropertyDescriptor;
}

/**
 * A record of a snapshot. Its manifest is made from the columns when first asked for (a lookup asks
 * for those it hits), and its identity stays in the snapshot's numbers: a read makes one small object
 * per record, not the dozen a manifest takes.
 */
class SnapshotRecord implements IndexedEntry {
  #manifest: Manifest | undefined;

  constructor(private readonly columns: Columns, private readonly key: Key, private readonly row: number, private readonly firstFile: number,
    private readonly endFile: number) {}

  get identity(): ManifestIdentity {
    const { numbers } = this.columns;
    const at = PER_RECORD * this.row;
    return [numbers[at]!, numbers[at + 1]!, numbers[at + 2]!, numbers[at + 3]!];
  }

  get manifest(): Manifest {
    return this.#manifest ??= this.made();
  }

  /** Whether the file `st` describes is the version of the manifest file this record was taken of (without an identity array). */
  isVersionOf(st: Stats): boolean {
    const { numbers } = this.columns;
    const at = PER_RECORD * this.row;
    return st.ino === numbers[at] && st.size === numbers[at + 1] && st.mtimeMs === numbers[at + 2] && st.ctimeMs === numbers[at + 3];
  }

  private made(): Manifest {
    const { nodes, group, groups, paths, pathNames, shas, numbers, fileBase, metrics, keyStructure } = this.columns;
    const files = new Array<ManifestFile>(this.endFile - this.firstFile);
    for (let f = this.firstFile; f < this.endFile; f++) {
      const at = fileBase + PER_FILE * f;
      files[f - this.firstFile] = { path: pathNames[paths[f]!]!, sha256: shas.slice(64 * f, 64 * f + 64), size: numbers[at]!, mtimeMs: numbers[at + 1]! };
    }
    const at = PER_RECORD * this.row;
    const { stage, recipe, plugin, runId, ports, tracking } = groups[group[this.row]!]!;
    const key = this.key;
    const nodeId = nodes[this.row]!;
    const startedAt = numbers[at + 4]!;
    const endedAt = numbers[at + 5]!;
    const createdAt = numbers[at + 6]!;
    // A metrics list of its own for each manifest (whoever holds one may add to it); fields in the order publish writes them.
    const points = metrics.get(this.row) ?? [];
    const m = tracking === undefined
      ? { formatVersion: 1, key, nodeId, stage, recipe, plugin, runId, startedAt, endedAt, createdAt, ports, files, metrics: points }
      : { formatVersion: 1, key, nodeId, stage, recipe, plugin, runId, startedAt, endedAt, createdAt, tracking, ports, files, metrics: points };
    Object.defineProperty(m, 'keyStructure', keyStructure);
    return m as unknown as Manifest;
  }
}

function isGroup(g: Group | null): boolean {
  if (typeof g !== 'object' || g === null) return false;
  const { stage, recipe, plugin, runId, ports, tracking } = g;
  return typeof stage === 'string' && typeof recipe === 'string' && typeof runId === 'string' && Array.isArray(ports) &&
    typeof plugin === 'object' && plugin !== null && (tracking === undefined || (typeof tracking === 'object' && tracking !== null));
}

/** The columns' types and lengths agree (what the loop relies on beyond the bounds it checks itself). */
function wellFormed(doc: Doc): boolean {
  if (typeof doc !== 'object' || doc === null) return false;
  const { nodes, group, groups, fileCount, paths, pathNames, metrics, whole } = doc;
  if (![nodes, group, groups, fileCount, paths, pathNames, metrics, whole].every(Array.isArray)) return false;
  const n = nodes.length;
  return group.length === n && fileCount.length === n;
}

/** Little-endian float64s, in an array of their own (a view needs an aligned offset, which a file's bytes need not have). */
function float64s(bytes: Buffer): Float64Array {
  const numbers = new Float64Array(bytes.length / 8);
  const copy = Buffer.from(numbers.buffer);
  bytes.copy(copy);
  if (endianness() === 'BE') copy.swap64();
  return numbers;
}

/** A record kept whole, checked in full as a manifest read from disk would be (such records are few; index keys need no other check). */
function wholeEntry(record: RecordValue, keyStructure: PropertyDescriptor): IndexedEntry | undefined {
  const { k, i, m } = (record as Partial<RecordValue> | null) ?? {};
  if (!isIdentity(i) || !isKey(k) || manifestProblem(m, k) !== undefined) return undefined;
  const manifest = m as Manifest;
  restoreMetrics(manifest.metrics);
  Object.defineProperty(manifest, 'keyStructure', keyStructure);
  return { identity: i, manifest };
}

/** Whether the file `st` describes is the version of the manifest file that `entry` was taken of. */
export function isVersionOf(st: Stats, entry: IndexedEntry): boolean {
  if (entry instanceof SnapshotRecord) return entry.isVersionOf(st);
  const identity = entry.identity;
  return st.ino === identity[0] && st.size === identity[1] && st.mtimeMs === identity[2] && st.ctimeMs === identity[3];
}

export function isIdentity(i: unknown): i is ManifestIdentity {
  return Array.isArray(i) && i.length === 4 && typeof i[0] === 'number' && typeof i[1] === 'number' && typeof i[2] === 'number' && typeof i[3] === 'number';
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  for (const child of Object.values(value)) deepFreeze(child);
  Object.freeze(value);
}
