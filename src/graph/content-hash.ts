// Content hashes of external input files and folders, with a stat cache so unchanged files are not re-read.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hashFile } from '../store/hash.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import { mapLimit } from '../util/limit.js';

interface CachedHash { size: number; mtimeMs: number; ino: number; sha256: string }
interface FileStat { size: number; mtimeMs: number; ino: number }

// Files hashed at once: enough to keep the disk and the thread pool busy, few enough for memory.
const HASHES_AT_ONCE = 8;
// Below this size one synchronous read beats the five awaited calls of a streamed hash.
const SMALL_FILE_BYTES = 1 << 20;

export async function sha256File(path: string): Promise<string> {
  return (await hashFile(path)).sha256;
}

export class ContentHasher {
  private cache = new Map<string, CachedHash>();
  private dirty = false;
  private loaded = false;

  constructor(private readonly cacheFile?: string) {}

  private async load(): Promise<void> {
    if (this.loaded || !this.cacheFile) { this.loaded = true; return; }
    this.loaded = true;
    try {
      const entries = JSON.parse(await readFile(this.cacheFile, 'utf8')) as Record<string, CachedHash>;
      this.cache = new Map(Object.entries(entries));
    } catch { /* no cache yet, or unreadable: start empty */ }
  }

  /** sha256 of a file, or of a folder's labelled file list (relative path → sha256, symlinked files followed). */
  async hashPath(path: string): Promise<{ kind: 'file' | 'folder'; sha256: string }> {
    await this.load();
    const st = await stat(path);
    if (!st.isDirectory()) return { kind: 'file', sha256: await this.hashFile(path, st) };
    // Listing and stats are many small calls: synchronous ones cost a fraction of awaited ones.
    const found: { rel: string; abs: string; st: FileStat }[] = [];
    listFiles(path, '', found);
    const digests = await mapLimit(found, HASHES_AT_ONCE, (f) => this.hashFile(f.abs, f.st));
    const files: Record<string, string> = {};
    found.forEach((f, i) => { files[f.rel] = digests[i]!; }); // one digest per file, in order
    return { kind: 'folder', sha256: sha256Hex(canonicalJson(files)) };
  }

  private async hashFile(path: string, st: FileStat): Promise<string> {
    const hit = this.cache.get(path);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) return hit.sha256;
    const sha256 = st.size < SMALL_FILE_BYTES ? sha256Hex(readFileSync(path)) : await sha256File(path);
    this.cache.set(path, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 });
    this.dirty = true;
    return sha256;
  }

  async save(): Promise<void> {
    if (!this.dirty || !this.cacheFile) return;
    await mkdir(dirname(this.cacheFile), { recursive: true });
    const tmp = `${this.cacheFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(this.cache)));
    await rename(tmp, this.cacheFile);
    this.dirty = false;
  }
}

/** Regular files under `dir` (symbolic links to files followed, links to folders not), depth first. */
function listFiles(dir: string, prefix: string, out: { rel: string; abs: string; st: FileStat }[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) listFiles(abs, rel, out);
    else if (entry.isFile() || entry.isSymbolicLink()) {
      const st = statSync(abs, { throwIfNoEntry: false });
      if (st?.isFile()) out.push({ rel, abs, st });
    }
  }
}
