// Content hashes of external input files and folders, with a stat cache so unchanged files are not re-read.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { canonicalJson, sha256Hex } from '../util/canonical.js';

interface CachedHash { size: number; mtimeMs: number; ino: number; sha256: string }

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
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

  /** sha256 of a file, or of a folder's labelled file list. */
  async hashPath(path: string): Promise<{ kind: 'file' | 'folder'; sha256: string }> {
    await this.load();
    const st = await stat(path);
    if (st.isDirectory()) {
      const files: Record<string, string> = {};
      await this.walk(path, path, files);
      return { kind: 'folder', sha256: sha256Hex(canonicalJson(files)) };
    }
    return { kind: 'file', sha256: await this.hashFile(path, st) };
  }

  private async walk(root: string, dir: string, out: Record<string, string>): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await this.walk(root, full, out);
      else if (entry.isFile() || entry.isSymbolicLink()) {
        const st = await stat(full);
        if (st.isFile()) out[relative(root, full).split(sep).join('/')] = await this.hashFile(full, st);
      }
    }
  }

  private async hashFile(path: string, st: { size: number; mtimeMs: number; ino: number }): Promise<string> {
    const hit = this.cache.get(path);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) return hit.sha256;
    const sha256 = await sha256File(path);
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
