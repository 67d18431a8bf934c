// A store problem the user can fix from its message alone (permissions, a full disk): shown without a stack.
import { errorCode } from './fsutil.js';

export class StoreFault extends Error {
  readonly expected = true;
  constructor(message: string) {
    super(message);
    this.name = 'StoreFault';
  }
}

const ACCESS_CODES = new Set(['EACCES', 'EPERM']);

/** Turns a permission error met while reading an entry into a StoreFault naming the file; others pass through. */
export function entryAccessFault(err: unknown, entryDir: string): unknown {
  if (!ACCESS_CODES.has(errorCode(err) ?? '')) return err;
  const file = (err as NodeJS.ErrnoException).path ?? entryDir;
  return new StoreFault(`cannot read ${file} (permission denied), so its store entry cannot be checked; make it readable again, or move the entry ${entryDir} out of the store to have it recomputed, then run again`);
}

/** A full disk or quota met outside a node (a run record, the store's folders): what to do about it. */
export function diskFullFault(err: unknown): StoreFault | undefined {
  const code = errorCode(err);
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  const where = (err as NodeJS.ErrnoException).path;
  return new StoreFault(`no space left on the device${where ? ` of ${where}` : ''}${code === 'EDQUOT' ? ' (disk quota exceeded)' : ''}; free some (retort gc) and run again`);
}
