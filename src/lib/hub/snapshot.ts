// Files of a Hub repository at a revision, as local paths in the shared cache: online, the
// revision is resolved to its commit, listed, and the selected files that the cache lacks are
// downloaded (resumed, verified); offline (HF_HUB_OFFLINE, or the Hub unreachable) the cache
// alone answers, and says exactly what is missing.

import { mkdir } from 'node:fs/promises';
import { DataError } from '../data/errors.js';
import { hubCacheDir, RepoCache } from './cache.js';
import { downloadFile, expectedChecksum, HubUnreachable, listTree, resolveCommit, type HubConnection, type TreeEntry } from './http.js';
import { formatHubRef, isCommitId, type HubRef } from './ref.js';

export interface HubOptions {
  /** Hub base URL; default HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Bearer token; default HF_TOKEN. */
  token?: string;
  /** Cache root; default HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Never touch the network; default true when HF_HUB_OFFLINE is 1/true/yes. */
  offline?: boolean;
  /** Extra attempts per file after an interrupted transfer (default 3). */
  retries?: number;
  /** Environment to read the defaults from (default process.env). */
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export interface HubFiles {
  ref: HubRef;
  commit: string;
  /** The snapshot folder: the selected files sit at their repository paths under it. */
  dir: string;
  /** Local copies of the selected files, sorted by repository path. */
  files: { path: string; localPath: string }[];
  /** True when the Hub was not consulted (offline or unreachable). */
  fromCache: boolean;
}

/** Picks the wanted files from a listing of repository paths; throws a located error if none fit. */
export type Selector = (paths: string[], where: string) => string[];

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

export async function fetchHubFiles(ref: HubRef, select: Selector, opts: HubOptions = {}): Promise<HubFiles> {
  const env = opts.env ?? process.env;
  const where = formatHubRef(ref);
  const cache = new RepoCache(opts.cacheDir ?? hubCacheDir(env), ref);
  const conn: HubConnection = {
    endpoint: (opts.endpoint ?? env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    token: opts.token ?? (env.HF_TOKEN || undefined),
    fetch: opts.fetch ?? fetch,
    retries: opts.retries ?? 3,
    signal: opts.signal,
  };
  const result = (commit: string, paths: string[], fromCache: boolean): HubFiles => {
    const dir = cache.snapshotDir(commit);
    return { ref, commit, dir, files: paths.map((path) => ({ path, localPath: `${dir}/${path}` })), fromCache };
  };

  let commit: string | undefined;
  let listing: TreeEntry[] | undefined;
  let unreachable: string | undefined;
  if (!(opts.offline ?? truthy(env.HF_HUB_OFFLINE))) {
    try {
      commit = isCommitId(ref.revision) ? ref.revision : await resolveCommit(conn, ref, where);
      listing = (await listTree(conn, ref, commit, where)).filter((e) => e.type === 'file');
    } catch (e) {
      if (!(e instanceof HubUnreachable)) throw e;
      unreachable = e.message;
    }
  } else unreachable = 'offline mode (HF_HUB_OFFLINE)';

  if (!listing || commit === undefined) {
    const cached = await cache.commitOf(ref.revision);
    if (cached === undefined) throw new DataError(where, 0, `${unreachable}, and nothing is cached under ${cache.dir}`);
    const have = await cache.listSnapshot(cached);
    // Select from the files the cache has: a file never fetched is reported by name.
    let wanted: string[];
    if (ref.path && !have.includes(ref.path) && !have.some((p) => p.startsWith(`${ref.path}/`))) wanted = [ref.path];
    else {
      try {
        wanted = select(have, where);
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
        throw new DataError(where, 0, `${unreachable}, and the cache under ${cache.dir} has ${e.detail}`);
      }
    }
    for (const path of wanted) {
      if (!(await cache.hasFile(cached, path))) throw new DataError(where, 0, `${unreachable}, and "${path}" is not in the cache under ${cache.dir}`);
    }
    return result(cached, wanted, true);
  }

  const byPath = new Map(listing.map((e) => [e.path, e]));
  const wanted = select([...byPath.keys()], where);
  await mkdir(cache.snapshotDir(commit), { recursive: true });
  for (const path of wanted) {
    const entry = byPath.get(path)!;
    const sum = expectedChecksum(entry)?.value;
    // Named by its checksum, a linked blob is the verified content of this very file.
    if (sum !== undefined && (await cache.linkedBlob(commit, path)) === sum && (await cache.hasFile(commit, path))) continue;
    const blobName = sum ?? `unverified-${commit}-${path.replace(/\//g, '--')}`;
    await mkdir(cache.blobsDir, { recursive: true });
    // The same content under another commit (or path) is downloaded once.
    if (sum !== undefined && (await cache.hasBlob(sum))) {
      await cache.linkFile(commit, path, sum);
      continue;
    }
    await downloadFile(conn, ref, commit, entry, cache.blobPath(blobName), `${where} ${path}`);
    await cache.linkFile(commit, path, blobName);
  }
  await cache.recordRef(ref.revision, commit);
  return result(commit, wanted, false);
}
