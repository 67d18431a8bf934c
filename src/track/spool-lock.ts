// One `retort mlflow sync` at a time per spool: two would deliver the same records twice.
// The lock is a file created exclusively, holding the owner's pid and host; a lock whose owner died
// on this host is taken over.

import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Returns a release function, or the reason the spool is locked. */
export async function lockSpool(dir: string): Promise<(() => Promise<void>) | string> {
  const path = join(dir, '.sync.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.write(JSON.stringify({ pid: process.pid, host: hostname() }));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = await readLockHolder(path);
      if (holder.pid && holder.host === hostname() && processAlive(holder.pid)) return `another sync is running (pid ${holder.pid})`;
      if (holder.host && holder.host !== hostname()) return `another sync is running on ${holder.host} (remove ${path} if it is not)`;
      // An empty lock may be one that another sync is writing right now.
      if (!holder.pid && (await ageMs(path)) < 10_000) return 'another sync is starting';
      await rm(path, { force: true }); // left by a sync that died
    }
  }
  return `cannot lock ${path}`;
}

async function readLockHolder(path: string): Promise<{ pid?: number; host?: string }> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as { pid?: number; host?: string };
  } catch {
    return {}; // gone, or being written
  }
}

async function ageMs(path: string): Promise<number> {
  return stat(path).then((s) => Date.now() - s.mtimeMs, () => Infinity);
}
