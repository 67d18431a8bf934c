// Does an entry on disk still match its manifest? 'stat' trusts files whose size and mtime are
// unchanged (the common, cheap case: one lstat per file) and re-hashes the others; 'full'
// re-hashes everything and also rejects files the manifest does not list.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { hashFile } from './hash.js';
import { isNotFound, mapLimit } from './fsutil.js';
import { ENTRY_OUT } from './layout.js';
import type { Manifest, ManifestFile } from './manifest.js';

export type VerifyMode = 'stat' | 'full';

/**
 * mtimes round-trip through doubles (stat's milliseconds, JSON, utimes' seconds); each conversion
 * can move the last bits, so a restored mtime may differ from the recorded one by a few ulps
 * (about a microsecond today). Ten microseconds covers that with room, and is still far below any
 * real rewrite's distance in time.
 */
export const MTIME_TOLERANCE_MS = 0.01;

/** True when a file's current mtime is the one the manifest recorded. */
export function sameMtime(actualMs: number, recordedMs: number): boolean {
  return Math.abs(actualMs - recordedMs) < MTIME_TOLERANCE_MS;
}

/** Returns why the entry in `dir` does not match `manifest`, or undefined when it does. */
export async function entryProblem(dir: string, manifest: Manifest, mode: VerifyMode): Promise<string | undefined> {
  const out = join(dir, ENTRY_OUT);
  const problems = await mapLimit(manifest.files, 16, (file) => fileProblem(out, file, mode));
  const first = problems.find((p) => p !== undefined);
  if (first) return first;
  const portProblem = await missingPort(out, manifest);
  if (portProblem) return portProblem;
  if (mode === 'full') return unlistedFile(out, manifest);
  return undefined;
}

async function fileProblem(out: string, file: ManifestFile, mode: VerifyMode): Promise<string | undefined> {
  const path = join(out, ...file.path.split('/'));
  const shown = `${ENTRY_OUT}/${file.path}`;
  let st;
  try {
    st = await fs.lstat(path);
  } catch (err) {
    if (isNotFound(err)) return `file ${shown} is missing`;
    throw err;
  }
  if (!st.isFile()) return `${shown} is no longer a regular file`;
  if (st.size !== file.size) return `file ${shown} changed size (${file.size} → ${st.size} bytes)`;
  if (mode === 'stat' && sameMtime(st.mtimeMs, file.mtimeMs)) return undefined;
  const digest = await hashFile(path);
  if (digest.sha256 !== file.sha256) return `file ${shown} changed content (sha256 differs from the manifest)`;
  if (!sameMtime(digest.mtimeMs, file.mtimeMs)) {
    // Same bytes, new mtime (touched or copied): restore the mtime so the next lookup is cheap again.
    await fs.utimes(path, st.atime, file.mtimeMs / 1000).catch(() => undefined);
  }
  return undefined;
}

/** Ports without files are not covered by the file checks; their directories must still exist. */
async function missingPort(out: string, manifest: Manifest): Promise<string | undefined> {
  const covered = new Set(manifest.files.map((f) => f.path.split('/')[0]));
  for (const port of manifest.ports ?? []) {
    if (covered.has(port)) continue;
    const st = await fs.stat(join(out, port)).catch(() => undefined);
    if (!st?.isDirectory()) return `output port directory ${ENTRY_OUT}/${port} is missing`;
  }
  return undefined;
}

async function unlistedFile(out: string, manifest: Manifest): Promise<string | undefined> {
  const listed = new Set(manifest.files.map((f) => f.path));
  const walk = async (dir: string, prefix: string): Promise<string | undefined> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        const found = await walk(join(dir, entry.name), rel);
        if (found) return found;
      } else if (!listed.has(rel)) {
        return `${ENTRY_OUT}/${rel} is not listed in the manifest`;
      }
    }
    return undefined;
  };
  return walk(out, '');
}
