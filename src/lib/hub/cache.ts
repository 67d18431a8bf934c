// The Hugging Face Hub cache, in the layout the huggingface_hub library uses, so that a cache
// filled by Python tools is read here and the other way round:
//   <cache>/<models|datasets>--<owner>--<name>/
//     refs/<revision>            the commit id a branch or tag pointed at when last fetched
//     blobs/<checksum>           file contents, named by sha256 (LFS) or git blob sha1
//     snapshots/<commit>/<path>  a relative symlink to its blob (a copy where links fail)
// A file appears in a snapshot only after its blob was verified, so a snapshot never shows a
// partial or corrupt file.

import { copyFile, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { isCommitId, type HubRef } from './ref.js';

/** HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

export class RepoCache {
  readonly dir: string;

  constructor(cacheDir: string, readonly ref: HubRef) {
    this.dir = join(cacheDir, `${ref.type}s--${ref.owner}--${ref.name}`);
  }

  snapshotDir(commit: string): string {
    return join(this.dir, 'snapshots', commit);
  }

  get blobsDir(): string {
    return join(this.dir, 'blobs');
  }

  /** A verified file's content; the download goes to `<blob>.incomplete` first (kept for resumption). */
  blobPath(checksum: string): string {
    return join(this.blobsDir, checksum);
  }

  /** The commit the revision names: itself for a commit id, else what refs/ recorded. */
  async commitOf(revision: string): Promise<string | undefined> {
    if (isCommitId(revision)) return (await exists(this.snapshotDir(revision))) ? revision : undefined;
    try {
      const text = (await readFile(join(this.dir, 'refs', ...revision.split('/')), 'utf8')).trim();
      return isCommitId(text) ? text : undefined;
    } catch {
      return undefined;
    }
  }

  async recordRef(revision: string, commit: string): Promise<void> {
    if (isCommitId(revision)) return;
    const file = join(this.dir, 'refs', ...revision.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, commit);
    await rename(`${file}.tmp`, file);
  }

  /** True when the snapshot holds `path` and its content is there (a dangling link is absent). */
  async hasFile(commit: string, path: string): Promise<boolean> {
    return exists(join(this.snapshotDir(commit), ...path.split('/')));
  }

  async hasBlob(checksum: string): Promise<boolean> {
    return exists(this.blobPath(checksum));
  }

  /** The blob a snapshot entry links to, when it is a link into blobs/. */
  async linkedBlob(commit: string, path: string): Promise<string | undefined> {
    try {
      return (await readlink(join(this.snapshotDir(commit), ...path.split('/')))).split('/').at(-1);
    } catch {
      return undefined;
    }
  }

  /** Shows a verified blob in the snapshot at `path`. */
  async linkFile(commit: string, path: string, checksum: string): Promise<void> {
    const blob = this.blobPath(checksum);
    const link = join(this.snapshotDir(commit), ...path.split('/'));
    await mkdir(dirname(link), { recursive: true });
    await rm(link, { force: true });
    try {
      await symlink(relative(dirname(link), blob), link);
    } catch {
      await copyFile(blob, link);
    }
  }

  /** Every file path in a snapshot (sorted, '/'-separated), for offline selection. */
  async listSnapshot(commit: string): Promise<string[]> {
    const root = this.snapshotDir(commit);
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return;
      }
      for (const name of names.sort()) {
        const full = join(dir, name);
        const st = await stat(full).catch(() => undefined);
        if (!st) continue; // a link whose blob is gone
        if (st.isDirectory()) await walk(full, `${prefix}${name}/`);
        else out.push(`${prefix}${name}`);
      }
    };
    await walk(root, '');
    return out;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
