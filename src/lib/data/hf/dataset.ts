// Hugging Face dataset repositories as local files: list through the Hub API, download into a
// cache (RETORT_HF_CACHE, default ~/.cache/retort/hf) with resumption and checksums, and fall
// back to the cache when the Hub is unreachable or HF_HUB_OFFLINE is set.

import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.js';
import { formatOf } from '../loaders.js';
import { downloadFile, expectedChecksum, HubUnreachable, listTree, type HubConnection, type TreeEntry } from './hub.js';
import { formatHfUrl, parseHfUrl, type HfDatasetRef } from './url.js';

export interface HfOptions {
  /** Hub base URL; default HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Bearer token; default HF_TOKEN. */
  token?: string;
  /** Cache root; default RETORT_HF_CACHE or ~/.cache/retort/hf. */
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

export interface HfFetchResult {
  ref: HfDatasetRef;
  /** Local copies of the selected data files, sorted by repository path. */
  files: { path: string; localPath: string }[];
  /** True when the Hub was not consulted (offline or unreachable). */
  fromCache: boolean;
}

interface Manifest {
  /** File entries of the last successful listing. */
  listing: TreeEntry[];
  /** Repository path → checksum value the local copy was verified against. */
  verified: Record<string, string>;
}

export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  return env.RETORT_HF_CACHE || join(homedir(), '.cache', 'retort', 'hf');
}

function revisionDir(cacheDir: string, ref: HfDatasetRef): string {
  return join(cacheDir, 'datasets', ref.owner, ref.name, encodeURIComponent(ref.revision));
}

async function readManifest(file: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

async function writeManifest(file: string, m: Manifest): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify(m, null, 1));
  await rename(`${file}.tmp`, file);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The data files a reference selects: the named file, or the readable files under the path. */
function select(entries: TreeEntry[], ref: HfDatasetRef, url: string): TreeEntry[] {
  const files = entries.filter((e) => e.type === 'file');
  const exact = files.find((e) => e.path === ref.path);
  if (exact) return [exact];
  const prefix = ref.path ? `${ref.path}/` : '';
  const picked = files
    .filter((e) => e.path.startsWith(prefix) && formatOf(e.path) !== undefined && !e.path.split('/').some((s) => s.startsWith('.')))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (picked.length === 0) {
    throw new DataError(url, 0, `no data files (.jsonl, .json, .csv, .tsv, .parquet, optionally .gz) ${ref.path ? `under "${ref.path}"` : 'in the repository'}`);
  }
  return picked;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

/** Downloads (or finds in the cache) the files an hf:// reference selects. */
export async function fetchHfDataset(url: string, opts: HfOptions = {}): Promise<HfFetchResult> {
  const env = opts.env ?? process.env;
  const ref = parseHfUrl(url);
  const where = formatHfUrl(ref);
  const cacheDir = opts.cacheDir ?? defaultCacheDir(env);
  const dir = revisionDir(cacheDir, ref);
  const manifestFile = join(dir, 'manifest.json');
  const filesDir = join(dir, 'files');
  const conn: HubConnection = {
    endpoint: (opts.endpoint ?? env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    token: opts.token ?? (env.HF_TOKEN || undefined),
    fetch: opts.fetch ?? fetch,
    retries: opts.retries ?? 3,
    signal: opts.signal,
  };
  const localPath = (e: TreeEntry) => join(filesDir, ...e.path.split('/'));

  let listing: TreeEntry[] | undefined;
  let unreachable: string | undefined;
  if (!(opts.offline ?? truthy(env.HF_HUB_OFFLINE))) {
    try {
      listing = (await listTree(conn, ref, where)).filter((e) => e.type === 'file');
    } catch (e) {
      if (!(e instanceof HubUnreachable)) throw e;
      unreachable = e.message;
    }
  } else unreachable = 'offline mode (HF_HUB_OFFLINE)';

  const manifest = (await readManifest(manifestFile)) ?? { listing: [], verified: {} };
  if (!listing) {
    // Offline: everything must already be in the cache, verified against the cached listing.
    if (manifest.listing.length === 0) throw new DataError(where, 0, `${unreachable}, and nothing is cached under ${dir}`);
    const wanted = select(manifest.listing, ref, where);
    for (const e of wanted) {
      const sum = expectedChecksum(e)?.value ?? '';
      if (manifest.verified[e.path] !== sum || !(await exists(localPath(e)))) {
        throw new DataError(where, 0, `${unreachable}, and "${e.path}" is not in the cache under ${dir}`);
      }
    }
    return { ref, files: wanted.map((e) => ({ path: e.path, localPath: localPath(e) })), fromCache: true };
  }

  const wanted = select(listing, ref, where);
  await mkdir(filesDir, { recursive: true });
  manifest.listing = listing;
  await writeManifest(manifestFile, manifest);
  for (const e of wanted) {
    const dest = localPath(e);
    const sum = expectedChecksum(e)?.value ?? '';
    if (manifest.verified[e.path] === sum && sum !== '' && (await exists(dest))) continue;
    await mkdir(dirname(dest), { recursive: true });
    delete manifest.verified[e.path];
    await downloadFile(conn, ref, e, dest, `${where} ${e.path}`);
    manifest.verified[e.path] = sum;
    await writeManifest(manifestFile, manifest);
  }
  return { ref, files: wanted.map((e) => ({ path: e.path, localPath: localPath(e) })), fromCache: false };
}
