// Small file helpers whose writes a concurrent reader (the MLflow UI) never sees half done.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes `content` to `path` via a temp file renamed into place. The temp file lives in `tempDir`
 * (default: beside the target) so it can be kept out of folders MLflow lists as keys.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, tempDir = dirname(path)): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(tempDir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(temp, content);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** Appends whole lines in one write (O_APPEND) and flushes them to disk when `durable`. */
export async function appendLines(path: string, text: string, durable = false): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'a');
  try {
    await handle.write(text);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
}
