// The body of an entry index snapshot (see entry-index.ts): one JSON document that holds the records
// column by column, so that reading 10^4 records is one JSON.parse and one loop, not 10^4 parses.
//
// - keys and file hashes: the digests' bytes, base64, turned into one hex string sliced per record;
// - fields many entries share (stage, recipe, plugin, run id, ports, tracking): a table of groups,
//   each record naming its group by number;
// - numbers (the manifest file's identity, the entry's times, each file's size and mtime): one
//   base64 string of little-endian float64s, exactly the values written (no decimal text to parse);
// - metrics, rare in entries a plan looks up: only the records that have any, by row;
// - a manifest with something the columns have no place for (a field of another version, a file
//   entry with more than its four fields, no ports) is kept whole.
//
// The snapshot is all or nothing (one checksum over the body, checked by the caller), so the
// document's shape is checked as a whole here: any inconsistency and no record is used.
import { endianness } from 'node:os';
import { isKey, type Manifest, type ManifestFile, type MetricPoint, type TrackingRef } from './manifest.js';
import type { Key } from '../util/ids.js';

/** What identifies one version of a manifest file: [inode, size, mtimeMs, ctimeMs]. */
export type ManifestIdentity = [number, number, number, number];

/** One record: a manifest as the index keeps it (its key structure is read from the file when asked for). */
export interface IndexedEntry { identity: ManifestIdentity; manifest: Manifest }

/** A record as JSON: the journal's line format, and the snapshot's for manifests kept whole. */
export interface RecordValue { k: Key; i: ManifestIdentity; m: Omit<Manifest, 'keyStructure'> }

interface Group { stage: string; recipe: string; plugin: Manifest['plugin']; runId: string; ports: string[]; tracking?: TrackingRef }

interface Doc {
  keys: string;
  nodes: string[];
  group: number[];
  groups: Group[];
  fileCount: number[];
  paths: number[];
  pathNames: string[];
  shas: string;
  numbers: string;
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

/** Whether the columns hold all of the manifest: only fields of this version, of the types they are written with. */
function fitsColumns(key: Key, m: Manifest): boolean {
  if (m.key !== key || !HEX64.test(key) || m.formatVersion !== 1 || typeof m.recipe !== 'string' || !Array.isArray(m.ports)) return false;
  if (typeof m.plugin !== 'object' || m.plugin === null || (m.tracking !== undefined && (typeof m.tracking !== 'object' || m.tracking === null))) return false;
  for (const name in m) if (!MANIFEST_FIELDS.has(name)) return false;
  for (const file of m.files) {
    if (!HEX64.test(file.sha256)) return false;
    let fields = 0;
    for (const _name in file) fields++;
    if (fields !== 4) return false;
  }
  return true;
}

/** The snapshot body for `entries`. */
export function encodeSnapshot(entries: Map<Key, IndexedEntry>): string {
  const keys: string[] = [];
  const doc: Omit<Doc, 'keys' | 'shas' | 'numbers'> = { nodes: [], group: [], groups: [], fileCount: [], paths: [], pathNames: [], metrics: [], whole: [] };
  const groupIds = new Map<string, number>();
  const pathIds = new Map<string, number>();
  const shas: string[] = [];
  const recordNumbers: number[] = [];
  const fileNumbers: number[] = [];
  let last: { m: Manifest; id: number } | undefined;
  for (const [key, entry] of entries) {
    const m = entry.manifest;
    if (!fitsColumns(key, m)) {
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
  const base64 = (hex: string[]) => Buffer.from(hex.join(''), 'hex').toString('base64');
  return JSON.stringify({ keys: base64(keys), shas: base64(shas), numbers: numbers.toString('base64'), ...doc }) + '\n';
}

function sameGroup(a: Manifest, b: Manifest): boolean {
  return a.stage === b.stage && a.recipe === b.recipe && a.plugin === b.plugin && a.runId === b.runId && a.ports === b.ports && a.tracking === b.tracking;
}

/**
 * The records of a snapshot body, each manifest given `keyStructure` (an accessor that reads it from
 * the manifest file); undefined when the body is not a document this module wrote.
 */
export function decodeSnapshot(text: string, keyStructure: PropertyDescriptor): Map<Key, IndexedEntry> | undefined {
  let doc: Doc;
  try {
    doc = JSON.parse(text) as Doc;
  } catch {
    return undefined;
  }
  if (!wellFormed(doc)) return undefined;
  const n = doc.nodes.length;
  const files = doc.paths.length;
  const numbers = float64s(doc.numbers, PER_RECORD * n + PER_FILE * files);
  if (!numbers) return undefined;
  const keys = hexOf(doc.keys, n);
  const shas = hexOf(doc.shas, files);
  if (keys === undefined || shas === undefined) return undefined;
  const { nodes, group, groups, fileCount, paths, pathNames, metrics } = doc;
  const entries = new Map<Key, IndexedEntry>();
  const fileBase = PER_RECORD * n;
  let f = 0;
  let nextMetrics = 0;
  for (let row = 0; row < n; row++) {
    const key = keys.slice(64 * row, 64 * row + 64) as Key;
    const g = groups[group[row]!];
    const count = fileCount[row]!;
    if (g === undefined || !(count >= 0) || f + count > files) return undefined;
    const list = new Array<ManifestFile>(count);
    for (let j = 0; j < count; j++, f++) {
      const path = pathNames[paths[f]!];
      if (path === undefined) return undefined;
      list[j] = { path, sha256: shas.slice(64 * f, 64 * f + 64), size: numbers[fileBase + PER_FILE * f]!, mtimeMs: numbers[fileBase + PER_FILE * f + 1]! };
    }
    let points: MetricPoint[] = [];
    if (metrics[nextMetrics]?.[0] === row) {
      points = metrics[nextMetrics++]![1];
      if (!Array.isArray(points)) return undefined;
      restoreMetrics(points);
    }
    const at = PER_RECORD * row;
    const manifest = manifestOf(key, nodes[row]!, g, numbers[at + 4]!, numbers[at + 5]!, numbers[at + 6]!, list, points);
    Object.defineProperty(manifest, 'keyStructure', keyStructure);
    entries.set(key, new SnapshotRecord(manifest, numbers, at));
  }
  if (f !== files || nextMetrics !== metrics.length) return undefined;
  for (const record of doc.whole) {
    const entry = wholeEntry(record, keyStructure);
    if (!entry) return undefined;
    entries.set(record.k, entry);
  }
  return entries;
}

/** A record of a snapshot: its identity stays in the snapshot's numbers until asked for (an object and an array less per record). */
class SnapshotRecord implements IndexedEntry {
  constructor(readonly manifest: Manifest, private readonly numbers: Float64Array, private readonly at: number) {}

  get identity(): ManifestIdentity {
    const { numbers, at } = this;
    return [numbers[at]!, numbers[at + 1]!, numbers[at + 2]!, numbers[at + 3]!];
  }
}

/** The columns' types and lengths agree (what the loop relies on beyond the bounds it checks itself). */
function wellFormed(doc: Doc): boolean {
  if (typeof doc !== 'object' || doc === null) return false;
  const { keys, nodes, group, groups, fileCount, paths, pathNames, shas, numbers, metrics, whole } = doc;
  if (![nodes, group, groups, fileCount, paths, pathNames, metrics, whole].every(Array.isArray)) return false;
  if (typeof keys !== 'string' || typeof shas !== 'string' || typeof numbers !== 'string') return false;
  const n = nodes.length;
  return group.length === n && fileCount.length === n;
}

/** `count` digests from base64 as one string of hex digits, or undefined when the text holds another number of them. */
function hexOf(base64: string, count: number): string | undefined {
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length === 32 * count ? bytes.toString('hex') : undefined;
}

/** `count` float64s from base64 (little-endian), or undefined when the text holds another number of them. */
function float64s(base64: string, count: number): Float64Array | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== 8 * count) return undefined;
  // A Buffer this size has an ArrayBuffer of its own at offset 0; a small one may sit in the pool, unaligned.
  const own = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(bytes);
  if (endianness() === 'BE') own.swap64();
  return new Float64Array(own.buffer, own.byteOffset, count);
}

/** A manifest from the columns, with its fields in the order publish writes them. */
function manifestOf(
  key: Key, nodeId: string, g: Group, startedAt: number, endedAt: number, createdAt: number, files: ManifestFile[], metrics: MetricPoint[],
): Manifest {
  const { stage, recipe, plugin, runId, ports } = g;
  const m = g.tracking === undefined
    ? { formatVersion: 1, key, nodeId, stage, recipe, plugin, runId, startedAt, endedAt, createdAt, ports, files, metrics }
    : { formatVersion: 1, key, nodeId, stage, recipe, plugin, runId, startedAt, endedAt, createdAt, tracking: g.tracking, ports, files, metrics };
  return m as unknown as Manifest;
}

/** A record kept whole: the cheap checks of a record this module wrote (its key is checked: index keys need no other check). */
function wholeEntry(record: RecordValue, keyStructure: PropertyDescriptor): IndexedEntry | undefined {
  const { k, i, m } = (record as Partial<RecordValue> | null) ?? {};
  if (!isIdentity(i) || !isKey(k) || typeof m !== 'object' || m === null || m.key !== k || !Array.isArray(m.metrics)) return undefined;
  restoreMetrics(m.metrics);
  Object.defineProperty(m, 'keyStructure', keyStructure);
  return { identity: i, manifest: m as Manifest };
}

export function isIdentity(i: unknown): i is ManifestIdentity {
  return Array.isArray(i) && i.length === 4 && typeof i[0] === 'number' && typeof i[1] === 'number' && typeof i[2] === 'number' && typeof i[3] === 'number';
}
