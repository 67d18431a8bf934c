// Batched writes of the local MLflow store. A tracking call becomes a list of file operations; the
// list is appended to this process's journal in one write (which a SIGKILL of this process cannot
// undo: it is in the kernel's page cache), and the MLflow files themselves are written later, many
// calls at once. The journal is emptied whenever every operation in it is on disk. The journal of a
// process that died is replayed by the next process that opens the store: whole files are simply
// written again, and metric lines already in their file are not appended twice.
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, appendFileSync, writeSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { isPidAlive, isThisMachine, thisMachine } from '../store/fsutil.js';

/**
 * A folder to make, a whole file to (re)write atomically (its temp file in `tempDir`), or metric lines
 * to append. A `fresh` file has never had other content (a run's first value of a tag or param): it
 * is written in place, which saves a temp file and a rename per tag (a no-op run of 10^4 cached
 * nodes writes 10^4 tags); a crash mid-write leaves the journal, whose replay writes it again whole.
 */
export type FileOp =
  | { op: 'dir'; path: string }
  | { op: 'write'; path: string; content: string; tempDir: string; fresh?: boolean }
  | { op: 'append'; path: string; text: string };

const PREFIX = '.retort-journal.';

// ---------------------------------------------------------------------------------------------
// Applying operations (synchronous: hundreds of small files cost far less CPU than as many promises).

const madeDirs = new Set<string>();

function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

let tempCounter = 0;
const tempTag = `${process.pid}-${randomBytes(4).toString('hex')}`;

/** Runs `write`; a folder removed since this process made it (a user cleaning up) is made again, once. */
function withDirs(dirs: string[], write: () => void): void {
  for (const d of dirs) ensureDir(d);
  try {
    write();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    for (const d of dirs) { madeDirs.delete(d); ensureDir(d); }
    write();
  }
}

function writeAtomic(path: string, content: string, tempDir: string): void {
  const temp = join(tempDir, `.tmp-${tempTag}-${tempCounter++}`);
  try {
    writeFileSync(temp, content);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/**
 * Folds operations into the fewest writes: a file written several times is written once (its last
 * content), the lines for one metric file are appended in one write. Order within a file is kept.
 */
export function coalesce(ops: readonly FileOp[], opts: { mergeAppends?: boolean } = {}): FileOp[] {
  const dirs = new Map<string, FileOp>();
  const writes = new Map<string, FileOp>();
  const merged = new Map<string, { op: 'append'; path: string; text: string }>();
  const appends: FileOp[] = [];
  for (const o of ops) {
    if (o.op === 'dir') dirs.set(o.path, o);
    else if (o.op === 'write') { writes.delete(o.path); writes.set(o.path, o); } else if (opts.mergeAppends === false) appends.push(o);
    else {
      const prev = merged.get(o.path);
      if (prev) prev.text += o.text;
      else { const copy = { ...o }; merged.set(o.path, copy); appends.push(copy); }
    }
  }
  return [...dirs.values(), ...writes.values(), ...appends];
}

/**
 * Applies coalesced operations in order, taking each off `ops` once it is done: on an error (a full
 * disk) `ops` holds exactly what is left to do.
 */
export function applyOps(ops: FileOp[], opts: { skipAppendedAlready?: boolean } = {}): void {
  const contents = new Map<string, string>();
  while (ops.length) {
    const o = ops[0]!;
    if (o.op === 'dir') ensureDir(o.path);
    else if (o.op === 'write' && o.fresh) {
      withDirs([dirname(o.path)], () => writeFileSync(o.path, o.content));
    } else if (o.op === 'write') {
      withDirs([dirname(o.path), o.tempDir], () => writeAtomic(o.path, o.content, o.tempDir));
    } else {
      // Replaying a dead process's journal: lines it had appended already stay once.
      let skip = false;
      if (opts.skipAppendedAlready) {
        const have = contents.get(o.path) ?? readText(o.path);
        skip = `\n${have}`.includes(`\n${o.text}`);
        contents.set(o.path, skip ? have : have + o.text);
      }
      if (!skip) withDirs([dirname(o.path)], () => appendFileSync(o.path, o.text));
    }
    ops.shift();
  }
}

function readText(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

// ---------------------------------------------------------------------------------------------
// The journal of this process.

export class WriteJournal {
  private fd?: number;
  private size = 0;
  readonly path: string;

  constructor(root: string) {
    const me = thisMachine();
    this.path = join(root, journalName(me.host, me.bootId, process.pid));
  }

  /** Appends one call's operations as one line; on a short or failed write the journal is cut back. */
  append(ops: readonly FileOp[]): void {
    this.fd ??= openSync(this.path, 'a');
    const line = Buffer.from(JSON.stringify(ops) + '\n');
    let written = 0;
    try {
      while (written < line.length) written += writeSync(this.fd, line, written, line.length - written);
    } catch (e) {
      if (written > 0) ftruncateSync(this.fd, this.size);
      throw e;
    }
    this.size += line.length;
  }

  /** Everything in the journal is in the MLflow files. */
  empty(): void {
    if (this.fd === undefined || this.size === 0) return;
    ftruncateSync(this.fd, 0);
    this.size = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}

export function journalName(host: string, bootId: string, pid: number): string {
  return `${PREFIX}${host}.${bootId || 'noboot'}.${pid}.${randomBytes(4).toString('hex')}`;
}

/** Owner of a journal file, from its name. */
function ownerOf(name: string): { host: string; bootId: string; pid: number } | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const parts = name.slice(PREFIX.length).split('.');
  if (parts.length < 4) return undefined;
  const pid = Number(parts[parts.length - 2]);
  const bootId = parts[parts.length - 3]!;
  const host = parts.slice(0, parts.length - 3).join('.');
  return Number.isInteger(pid) ? { host, bootId: bootId === 'noboot' ? '' : bootId, pid } : undefined;
}

/**
 * Replays the journals of processes of this machine that are gone, each by one process only (it
 * takes the journal by renaming it to a name of its own first). Returns how many were replayed.
 */
export function replayDeadJournals(root: string): number {
  let names: string[];
  try { names = readdirSync(root); } catch { return 0; }
  let replayed = 0;
  const me = thisMachine();
  for (const name of names) {
    const owner = ownerOf(name);
    if (!owner || !isThisMachine(owner.host, owner.bootId) || owner.pid === process.pid || isPidAlive(owner.pid)) continue;
    const mine = join(root, journalName(me.host, me.bootId, process.pid));
    try { renameSync(join(root, name), mine); } catch { continue; } // another process took it
    const ops: FileOp[] = [];
    for (const line of readText(mine).split('\n')) {
      if (!line) continue;
      try { ops.push(...(JSON.parse(line) as FileOp[])); } catch { /* a line cut short by the kill: never acknowledged */ }
    }
    // Each call's lines are checked on their own: a kill may have come between two calls' appends.
    applyOps(coalesce(ops, { mergeAppends: false }), { skipAppendedAlready: true });
    rmSync(mine, { force: true });
    replayed++;
  }
  return replayed;
}
