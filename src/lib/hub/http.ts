// The Hub HTTP calls we need: a revision's commit id, the repository tree listing (paginated by a
// Link header), and the resolve endpoint for file bytes, downloaded with HTTP Range resumption and
// verified. The same for model and dataset repositories; only the URL prefixes differ.

import { createWriteStream } from 'node:fs';
import { rename, rm, stat, truncate } from 'node:fs/promises';
import { once } from 'node:events';
import { DataError } from '../data/errors.js';
import { fileChecksum, type ChecksumKind } from './checksum.js';
import type { HubRef } from './ref.js';

export interface HubConnection {
  endpoint: string;
  token?: string;
  fetch: typeof fetch;
  /** Extra attempts after an interrupted transfer (each resumes with Range). */
  retries: number;
  signal?: AbortSignal;
}

export interface TreeEntry {
  type: 'file' | 'directory';
  path: string;
  size?: number;
  /** Git object id (blob sha1 for files). */
  oid?: string;
  lfs?: { oid: string; size: number };
}

/** Thrown when the Hub cannot be reached at all (as opposed to answering with an error). */
export class HubUnreachable extends Error {}

function headers(conn: HubConnection, extra: Record<string, string> = {}): Record<string, string> {
  return conn.token ? { authorization: `Bearer ${conn.token}`, ...extra } : extra;
}

function repoPath(ref: HubRef): string {
  return `${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.name)}`;
}

/** `/api/datasets/o/n` or `/api/models/o/n`. */
function apiPath(ref: HubRef): string {
  return `/api/${ref.type}s/${repoPath(ref)}`;
}

async function request(conn: HubConnection, url: string, init: RequestInit): Promise<Response> {
  try {
    return await conn.fetch(url, { ...init, signal: conn.signal });
  } catch (e) {
    if (conn.signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new HubUnreachable(`cannot reach ${conn.endpoint}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
}

function httpError(where: string, res: Response, token: boolean): DataError {
  const hint = res.status === 401 || res.status === 403
    ? token ? ' (the HF_TOKEN was refused)' : ' (a private or gated repository needs HF_TOKEN)'
    : res.status === 404 ? ' (no such repository, revision or file)' : '';
  return new DataError(where, 0, `HTTP ${res.status} ${res.statusText}${hint}`);
}

function nextLink(res: Response): string | undefined {
  const link = res.headers.get('link');
  const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? m[1] : undefined;
}

async function getJson(conn: HubConnection, url: string, where: string): Promise<{ body: unknown; res: Response }> {
  const res = await request(conn, url, { headers: headers(conn, { accept: 'application/json' }) });
  if (res.status >= 500) throw new HubUnreachable(`${conn.endpoint} answered HTTP ${res.status}`);
  if (!res.ok) throw httpError(where, res, !!conn.token);
  try {
    return { body: await res.json(), res };
  } catch {
    throw new DataError(where, 0, `the Hub answered ${url} with something that is not JSON`);
  }
}

/** The commit id a branch or tag points at now (a commit id maps to itself). */
export async function resolveCommit(conn: HubConnection, ref: HubRef, where: string): Promise<string> {
  const { body } = await getJson(conn, `${conn.endpoint}${apiPath(ref)}/revision/${encodeURIComponent(ref.revision)}`, where);
  const sha = (body as { sha?: unknown } | null)?.sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) throw new DataError(where, 0, 'the Hub did not name the commit of this revision');
  return sha;
}

/** Every file and directory of the repository at `commit` (recursive). */
export async function listTree(conn: HubConnection, ref: HubRef, commit: string, where: string): Promise<TreeEntry[]> {
  let url: string | undefined = `${conn.endpoint}${apiPath(ref)}/tree/${commit}?recursive=true`;
  const out: TreeEntry[] = [];
  while (url) {
    const { body: page, res } = await getJson(conn, url, where);
    if (!Array.isArray(page)) throw new DataError(where, 0, 'unexpected tree listing (not a JSON array)');
    out.push(...(page as TreeEntry[]));
    const next = nextLink(res);
    url = next ? new URL(next, url).toString() : undefined;
  }
  return out;
}

/** Model files live at /<owner>/<name>/resolve/…, dataset files at /datasets/<owner>/<name>/resolve/…. */
export function resolveUrl(conn: HubConnection, ref: HubRef, commit: string, path: string): string {
  const file = path.split('/').map(encodeURIComponent).join('/');
  const prefix = ref.type === 'dataset' ? '/datasets' : '';
  return `${conn.endpoint}${prefix}/${repoPath(ref)}/resolve/${commit}/${file}`;
}

/** What a file's bytes must hash to. */
export function expectedChecksum(entry: TreeEntry): { kind: ChecksumKind; value: string } | undefined {
  if (entry.lfs?.oid) return { kind: 'sha256', value: entry.lfs.oid };
  if (entry.oid) return { kind: 'git-sha1', value: entry.oid };
  return undefined;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** Appends the response body to `partial`; resolves false when the transfer broke off. */
async function appendBody(res: Response, partial: string, append: boolean): Promise<boolean> {
  const out = createWriteStream(partial, { flags: append ? 'a' : 'w' });
  let complete = true;
  try {
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
    }
  } catch {
    complete = false;
  } finally {
    out.end();
    await once(out, 'close');
  }
  return complete;
}

/**
 * Downloads one file to `dest`, resuming `dest.incomplete` from where an earlier attempt (in
 * this call or an earlier process) stopped, then verifies size and checksum before the rename.
 */
export async function downloadFile(conn: HubConnection, ref: HubRef, commit: string, entry: TreeEntry, dest: string, where: string): Promise<void> {
  const url = resolveUrl(conn, ref, commit, entry.path);
  const partial = `${dest}.incomplete`;
  const expectedSize = entry.lfs?.size ?? entry.size;
  let resumed = false;
  for (let attempt = 0; ; attempt++) {
    const have = await sizeOf(partial);
    if (expectedSize !== undefined && have > expectedSize) await truncate(partial, 0);
    const from = expectedSize !== undefined && have > expectedSize ? 0 : have;
    const complete = expectedSize !== undefined && from === expectedSize;
    if (!complete) {
      const res = await request(conn, url, { headers: headers(conn, from > 0 ? { range: `bytes=${from}-` } : {}) });
      if (res.status === 416 && from > 0) {
        // The partial file already holds every byte; verification below decides.
      } else if (!res.ok) {
        throw httpError(where, res, !!conn.token);
      } else {
        const ranged = res.status === 206;
        if (ranged) {
          const start = /bytes\s+(\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
          if (start !== undefined && Number(start) !== from) throw new DataError(where, 0, `server resumed at byte ${start}, expected ${from}`);
          resumed ||= from > 0;
        }
        const ok = await appendBody(res, partial, ranged);
        if (!ok) {
          if (attempt < conn.retries) continue;
          throw new DataError(where, 0, `transfer interrupted after ${await sizeOf(partial)} bytes; run again to resume`);
        }
      }
    }
    const size = await sizeOf(partial);
    if (expectedSize !== undefined && size < expectedSize) {
      if (attempt < conn.retries) continue;
      throw new DataError(where, 0, `transfer ended early (${size} of ${expectedSize} bytes); run again to resume`);
    }
    const want = expectedChecksum(entry);
    if (want) {
      const got = await fileChecksum(partial, want.kind);
      if (got !== want.value) {
        await rm(partial, { force: true });
        // A resumed file may have been spliced from two versions: one fresh try.
        if (resumed && attempt < conn.retries) {
          resumed = false;
          continue;
        }
        throw new DataError(where, 0, `checksum mismatch: expected ${want.kind} ${want.value}, got ${got}; the download was discarded`);
      }
    }
    await rename(partial, dest);
    return;
  }
}
