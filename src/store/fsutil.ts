// Small filesystem helpers the store needs: atomic writes, tree removal that copes with
// read-only files, and "is this process still alive" checks for crash recovery.
import { promises as fs, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

export function randomId(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export function isNotFound(err: unknown): boolean {
  return errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR';
}

/** Writes a file aside and renames it into place, so readers see the old or the new content, never a mix. */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${randomId()}.tmp`);
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Removes a tree even when a plugin left read-only directories behind (read-only files need no help on POSIX). */
export async function removeTree(path: string): Promise<void> {
  try {
    await fs.rm(path, { recursive: true, force: true, maxRetries: 2 });
  } catch (err) {
    if (errorCode(err) !== 'EACCES' && errorCode(err) !== 'EPERM') throw err;
    await makeDirsWritable(path);
    await fs.rm(path, { recursive: true, force: true, maxRetries: 2 });
  }
}

async function makeDirsWritable(path: string): Promise<void> {
  const st = await fs.lstat(path).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await fs.chmod(path, 0o700).catch(() => undefined);
  for (const name of await fs.readdir(path)) await makeDirsWritable(join(path, name));
}

export async function readJsonFile(path: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(path, 'utf8'));
}

export async function listDir(path: string): Promise<string[]> {
  try {
    return await fs.readdir(path);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** true unless the OS says no such process (EPERM means it exists but belongs to someone else). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

export interface MachineId {
  /** Host name, reduced to characters safe in file names. */
  host: string;
  /** Linux boot id: tells a reboot (where old pids mean nothing) and same-named containers apart. */
  bootId: string;
}

let machine: MachineId | undefined;

export function thisMachine(): MachineId {
  if (!machine) {
    let bootId = '';
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      // Not Linux: the host name alone identifies the machine.
    }
    machine = { host: safeHost(hostname()), bootId };
  }
  return machine;
}

export function safeHost(host: string): string {
  return host.replace(/[^A-Za-z0-9.-]/g, '_') || 'unknown-host';
}

/** Whether a record written by (host, bootId) comes from this very machine boot, so its pid can be checked. */
export function isThisMachine(host: string, bootId: string | undefined): boolean {
  const me = thisMachine();
  return host === me.host && (bootId ?? '') === me.bootId;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
}

export { Limiter, mapLimit } from '../util/limit.js';
