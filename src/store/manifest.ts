// The manifest of a store entry: what the node produced (every file with its hash), how
// (the key structure, plugin, timings, metrics) and where it was tracked. It is written last
// inside the staging area, so a published entry always has one.
import { isKey, type Key, type NodeId } from '../util/ids.js';

/** One value of a metric a node recorded. */
export interface MetricPoint { name: string; value: number; step: number; timestamp: number }

/** What a tracker wants remembered with a published artifact (e.g. the MLflow run that produced it). */
export type TrackingRef = Record<string, string>;

export interface ManifestFile {
  /** POSIX path relative to the entry's out/ dir, e.g. "model/weights.bin". */
  path: string;
  sha256: string;
  size: number;
  /** The file's mtime when published: a cheap "unchanged since" check on lookup. */
  mtimeMs: number;
}

export interface Manifest {
  formatVersion: 1;
  key: Key;
  /** The labelled structure hashed into the key (for `explain`). */
  keyStructure: unknown;
  /** The node that produced the entry. */
  nodeId: NodeId;
  stage: string;
  recipe: string;
  plugin: { id: string; version: string };
  files: ManifestFile[];
  /** Top-level directories of out/ (the output ports), including empty ones. */
  ports?: string[];
  metrics: MetricPoint[];
  startedAt: number;
  endedAt: number;
  createdAt: number;
  /** The retort run that produced it. */
  runId: string;
  /** E.g. the MLflow run that produced it. */
  tracking?: TrackingRef;
}

/** What the caller of `publish` provides; the store fills in the rest. */
export type ManifestFields = Omit<Manifest, 'formatVersion' | 'key' | 'files' | 'createdAt' | 'ports'>;

const HEX64 = /^[0-9a-f]{64}$/;

export { isKey };

/** A relative POSIX path that stays inside its base directory. */
export function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Checks a parsed manifest's shape; returns the reason it is unusable, or undefined.
 * Only what the store relies on is checked strictly; the rest is informational.
 */
export function manifestProblem(value: unknown, expectedKey: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'manifest is not a JSON object';
  const m = value as Record<string, unknown>;
  if (m.formatVersion !== 1) return `unsupported manifest formatVersion ${JSON.stringify(m.formatVersion)}`;
  if (m.key !== expectedKey) return `manifest key ${JSON.stringify(m.key)} does not match the entry's key`;
  for (const field of ['nodeId', 'stage', 'runId'] as const) {
    if (typeof m[field] !== 'string') return `manifest field "${field}" is not a string`;
  }
  for (const field of ['startedAt', 'endedAt', 'createdAt'] as const) {
    if (typeof m[field] !== 'number') return `manifest field "${field}" is not a number`;
  }
  if (!Array.isArray(m.metrics)) return 'manifest field "metrics" is not an array';
  if (!Array.isArray(m.files)) return 'manifest field "files" is not an array';
  for (const f of m.files as unknown[]) {
    const file = f as Partial<ManifestFile> | null;
    if (
      typeof file !== 'object' || file === null ||
      typeof file.path !== 'string' || !isSafeRelativePath(file.path) ||
      typeof file.sha256 !== 'string' || !HEX64.test(file.sha256) ||
      typeof file.size !== 'number' || file.size < 0 ||
      typeof file.mtimeMs !== 'number'
    ) {
      return `manifest lists an invalid file entry ${JSON.stringify(f)?.slice(0, 200)}`;
    }
  }
  if (m.ports !== undefined) {
    if (!Array.isArray(m.ports) || !m.ports.every((p) => typeof p === 'string' && isSafeRelativePath(p) && !p.includes('/'))) {
      return 'manifest field "ports" is invalid';
    }
  }
  return undefined;
}

/**
 * Parses manifest text; throws an Error whose message is the reason when it is unusable. The node id of
 * a manifest read back becomes a NodeId again here (this program wrote it; it is checked to be a string).
 */
export function parseManifest(text: string, expectedKey: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`manifest is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const problem = manifestProblem(value, expectedKey);
  if (problem) throw new Error(problem);
  const manifest = value as Manifest;
  for (const point of manifest.metrics) {
    if (typeof point?.value === 'string') point.value = Number(point.value);
  }
  return manifest;
}

/** Manifest text. JSON has no NaN or Infinity (a diverged loss), so those metric values are written as strings. */
export function serializeManifest(manifest: Manifest): string {
  const metrics = manifest.metrics.map((p) => (Number.isFinite(p.value) ? p : { ...p, value: String(p.value) }));
  return JSON.stringify({ ...manifest, metrics }, null, 1) + '\n';
}
