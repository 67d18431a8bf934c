// Small file helpers whose writes a concurrent reader (the MLflow UI) never sees half done.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const isNotFound = (e: unknown) => (e as NodeJS.ErrnoException)?.code === 'ENOENT';

// Folders this process has made or seen: one mkdir per folder rather than per file (a run with
// thousands of cached nodes writes thousands of files into a few folders).
const knownDirs = new Set<string>();

async function ensureDir(dir: string): Promise<void> {
  if (knownDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  knownDirs.add(dir);
}

// Temp names: unique per process by a counter, across processes by pid and a random tag.
const processTag = `${process.pid}-${randomBytes(4).toString('hex')}`;
let tempCounter = 0;

/**
 * Writes `content` to `path` via a temp file renamed into place. The temp file lives in `tempDir`
 * (default: beside the target) so it can be kept out of folders MLflow lists as keys.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, tempDir = dirname(path)): Promise<void> {
  await ensureDir(dirname(path));
  await ensureDir(tempDir);
  const temp = join(tempDir, `.tmp-${processTag}-${tempCounter++}`);
  try {
    await writeFile(temp, content);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    // A folder removed since it was made (e.g. by a user cleaning up): make it again, once.
    const dirs = [dirname(path), tempDir];
    if (isNotFound(e) && dirs.some((d) => knownDirs.has(d))) {
      for (const d of dirs) knownDirs.delete(d);
      return writeFileAtomic(path, content, tempDir);
    }
    throw e;
  }
}

/** Appends whole lines in one write (O_APPEND) and flushes them to disk when `durable`. */
export async function appendLines(path: string, text: string, durable = false): Promise<void> {
  await ensureDir(dirname(path));
  const handle = await open(path, 'a').catch(async (e: unknown) => {
    if (!isNotFound(e) || !knownDirs.delete(dirname(path))) throw e;
    await ensureDir(dirname(path));
    return open(path, 'a');
  });
  try {
    await handle.write(text);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
}
