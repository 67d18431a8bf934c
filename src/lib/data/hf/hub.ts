// The two Hub HTTP calls we need: the repository tree listing (paginated by a Link header) and
// the resolve endpoint for file bytes, downloaded with HTTP Range resumption and verified.

import { createWriteStream } from 'node:fs';
import { rename, rm, stat, truncate } from 'node:fs/promises';
import { once } from 'node:events';
import { DataError } from '../errors.js';
import { fileChecksum, type ChecksumKind } from './checksum.js';
import type { HfDatasetRef } from './url.js';

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

function repoPath(ref: HfDatasetRef): string {
  return `${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.name)}`;
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
    ? token ? ' (the HF_TOKEN was refused)' : ' (a private or gated dataset needs HF_TOKEN)'
    : res.status === 404 ? ' (no such dataset, revision or file)' : '';
  return new DataError(where, 0, `HTTP ${res.status} ${res.statusText}${hint}`);
}

function nextLink(res: Response): string | undefined {
  const link = res.headers.get('link');
  const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? m[1] : undefined;
}

/** Every file and directory of the repository at the revision (recursive). */
export async function listTree(conn: HubConnection, ref: HfDatasetRef, where: string): Promise<TreeEntry[]> {
  let url: string | undefined = `${conn.endpoint}/api/datasets/${repoPath(ref)}/tree/${encodeURIComponent(ref.revision)}?recursive=true`;
  const out: TreeEntry[] = [];
  while (url) {
    const res = await request(conn, url, { headers: headers(conn, { accept: 'application/json' }) });
    if (res.status >= 500) throw new HubUnreachable(`${conn.endpoint} answered HTTP ${res.status}`);
    if (!res.ok) throw httpError(where, res, !!conn.token);
    const page: unknown = await res.json();
    if (!Array.isArray(page)) throw new DataError(where, 0, 'unexpected tree listing (not a JSON array)');
    out.push(...(page as TreeEntry[]));
    const next = nextLink(res);
    url = next ? new URL(next, url).toString() : undefined;
  }
  return out;
}

export function resolveUrl(conn: HubConnection, ref: HfDatasetRef, path: string): string {
  const file = path.split('/').map(encodeURIComponent).join('/');
  return `${conn.endpoint}/datasets/${repoPath(ref)}/resolve/${encodeURIComponent(ref.revision)}/${file}`;
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
export async function downloadFile(conn: HubConnection, ref: HfDatasetRef, entry: TreeEntry, dest: string, where: string): Promise<void> {
  const url = resolveUrl(conn, ref, entry.path);
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
