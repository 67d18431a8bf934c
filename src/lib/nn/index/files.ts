// Saving an index: the data file plus a JSON sidecar that describes it, both written atomically,
// and the checks that turn a missing, truncated or mismatched file into a clear error.
//
// Layout in the output folder: `<name>.<ext>` (hnswlib's own format, or raw little-endian float32
// rows for the exact index) and `<name>.json`:
//   { format, version, kind, metric, dim, count, params, file, bytes, sha256, ids }
// The sidecar is written last, so its presence means the data file was complete.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VectorIndexError, type Metric } from './types.js';

export const SIDECAR_FORMAT = 'retort-vector-index';
export const SIDECAR_VERSION = 1;

export interface Sidecar {
  format: typeof SIDECAR_FORMAT;
  version: number;
  kind: 'hnsw' | 'exact';
  metric: Metric;
  dim: number;
  count: number;
  /** Build and search parameters (HNSW: M, efConstruction, efSearch, seed, quantize). */
  params: Record<string, number | string>;
  /** The data file, relative to the sidecar's folder. */
  file: string;
  bytes: number;
  sha256: string;
  /** One id per row, or null when the rows are the ids. */
  ids: string[] | null;
}

export function sidecarPath(dir: string, name: string): string {
  return join(dir, `${name}.json`);
}

/** Writes `write(tmpPath)`'s file under its final name, then the sidecar describing it. */
export function saveWithSidecar(dir: string, fileName: string, write: (path: string) => void, sidecar: Omit<Sidecar, 'format' | 'version' | 'file' | 'bytes' | 'sha256'>, name: string): void {
  mkdirSync(dir, { recursive: true });
  const target = join(dir, fileName);
  const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    write(tmp);
    const full: Sidecar = {
      format: SIDECAR_FORMAT, version: SIDECAR_VERSION, ...sidecar,
      file: fileName, bytes: statSync(tmp).size, sha256: sha256File(tmp),
    };
    renameSync(tmp, target);
    writeAtomic(sidecarPath(dir, name), JSON.stringify(full));
  } finally {
    rmSync(tmp, { force: true });
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Reads and validates the sidecar `<name>.json` in `dir` (not the data file). */
export function readSidecar(dir: string, name: string): Sidecar {
  const path = sidecarPath(dir, name);
  if (!existsSync(path)) throw new VectorIndexError(`${path}: no vector index here (the sidecar is missing)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new VectorIndexError(`${path}: not a vector index sidecar (${(e as Error).message})`);
  }
  return validateSidecar(path, raw);
}

/**
 * Reads and checks the sidecar and its data file: format, kind, size, checksum. Returns the
 * sidecar and the data file's path.
 */
export function openSaved(dir: string, name: string, kind: Sidecar['kind']): { sidecar: Sidecar; dataPath: string } {
  const sidecar = readSidecar(dir, name);
  const path = sidecarPath(dir, name);
  if (sidecar.kind !== kind) throw new VectorIndexError(`${path}: holds an index of kind ${sidecar.kind}, not ${kind}`);
  const dataPath = join(dir, sidecar.file);
  if (!existsSync(dataPath)) throw new VectorIndexError(`${dataPath}: missing (named by ${path})`);
  const bytes = statSync(dataPath).size;
  if (bytes !== sidecar.bytes) {
    throw new VectorIndexError(`${dataPath}: ${bytes < sidecar.bytes ? 'truncated' : 'too long'}: ${bytes} bytes, the sidecar says ${sidecar.bytes}`);
  }
  if (sha256File(dataPath) !== sidecar.sha256) {
    throw new VectorIndexError(`${dataPath}: content differs from what was saved (sha256 mismatch)`);
  }
  return { sidecar, dataPath };
}

function validateSidecar(path: string, raw: unknown): Sidecar {
  const bad = (what: string): never => { throw new VectorIndexError(`${path}: ${what}`); };
  if (typeof raw !== 'object' || raw === null) bad('not a JSON object');
  const s = raw as Record<string, unknown>;
  if (s.format !== SIDECAR_FORMAT) bad(`format is ${JSON.stringify(s.format)}, expected "${SIDECAR_FORMAT}"`);
  if (s.version !== SIDECAR_VERSION) bad(`version ${JSON.stringify(s.version)} is not supported (expected ${SIDECAR_VERSION})`);
  if (s.kind !== 'hnsw' && s.kind !== 'exact') bad(`unknown index kind ${JSON.stringify(s.kind)}`);
  if (s.metric !== 'cosine' && s.metric !== 'ip') bad(`unknown metric ${JSON.stringify(s.metric)}`);
  for (const key of ['dim', 'count', 'bytes'] as const) {
    if (!Number.isInteger(s[key]) || (s[key] as number) < 0) bad(`${key} must be a non-negative integer`);
  }
  if (typeof s.file !== 'string' || s.file.includes('/') || s.file.includes('\\')) bad('file must be a plain file name');
  if (typeof s.sha256 !== 'string') bad('sha256 is missing');
  if (typeof s.params !== 'object' || s.params === null) bad('params are missing');
  if (s.ids !== null && !(Array.isArray(s.ids) && s.ids.every((id) => typeof id === 'string'))) bad('ids must be null or a list of strings');
  if (Array.isArray(s.ids) && s.ids.length !== s.count) bad(`${(s.ids as unknown[]).length} ids for ${String(s.count)} vectors`);
  return s as unknown as Sidecar;
}

/** The ids of an index's rows: either all given by the caller or none (then a row's id is its number). */
export class IdTable {
  private ids: string[] | null = null;
  private count = 0;

  static from(ids: string[] | null, count: number): IdTable {
    const table = new IdTable();
    table.ids = ids;
    table.count = count;
    return table;
  }

  append(count: number, ids: readonly string[] | undefined): void {
    if (ids && ids.length !== count) throw new VectorIndexError(`${ids.length} ids for ${count} vectors`);
    if (this.count > 0 && (ids !== undefined) !== (this.ids !== null)) {
      throw new VectorIndexError('give ids with every batch of vectors or with none');
    }
    if (ids) this.ids = (this.ids ?? []).concat(ids);
    this.count += count;
  }

  idOf(row: number): string {
    if (!Number.isInteger(row) || row < 0 || row >= this.count) throw new VectorIndexError(`row ${row} is not in the index (size ${this.count})`);
    return this.ids ? this.ids[row]! : String(row); // one id per row (append and the manifest check hold it)
  }

  toJSON(): string[] | null {
    return this.ids;
  }
}
