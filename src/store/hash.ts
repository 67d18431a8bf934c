// Streamed sha256 of a file: constant memory whatever the artifact size.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';

export interface FileDigest {
  sha256: string;
  size: number;
  mtimeMs: number;
}

const CHUNK = 1 << 20;

/**
 * Hashes a file through one open descriptor, then stats that same descriptor, so the digest,
 * size and mtime describe one file even if the path is swapped meanwhile. `sync` also flushes
 * the file to disk (publish: the entry must survive a machine crash once it is visible);
 * `makeReadOnly` drops its write permissions (published files are immutable).
 */
export async function hashFile(path: string, opts: { sync?: boolean; makeReadOnly?: boolean } = {}): Promise<FileDigest> {
  const handle = await fs.open(path, 'r');
  try {
    const before = await handle.stat();
    // Read-only before hashing, so the file cannot be reopened for writing behind the digest.
    if (opts.makeReadOnly) await handle.chmod(before.mode & 0o7777 & ~0o222);
    const hash = createHash('sha256');
    // Two buffers: the next chunk is read while this one is hashed, so the disk (or page cache) and
    // sha256 overlap instead of taking turns. Small files get a small buffer: publishing thousands
    // of them should not churn megabytes each.
    const size = Math.min(CHUNK, before.size + 1);
    const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    let total = 0;
    let turn = 0;
    let pending = handle.read(buffers[turn]!, 0, size, total); // turn is 0 or 1
    for (;;) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) break;
      total += bytesRead;
      turn ^= 1;
      pending = handle.read(buffers[turn]!, 0, size, total);
      hash.update(buffer.subarray(0, bytesRead));
    }
    if (opts.sync) await handle.datasync();
    const st = await handle.stat();
    if (st.size !== total) throw new Error(`${path} changed while it was being hashed`);
    return { sha256: hash.digest('hex'), size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    await handle.close();
  }
}
