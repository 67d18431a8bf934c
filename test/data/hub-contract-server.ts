// A loopback HTTP server laid out like the Hugging Face Hub, for the Hub client's contract tests
// (one repository, a model or a dataset; <api> is /api/datasets or /api/models):
//   GET <api>/<owner>/<name>/revision/<rev>                  ({"sha": the commit of the files})
//   GET <api>/<owner>/<name>/tree/<rev>?recursive=true       (paginated with a Link header)
//   GET [/datasets]/<owner>/<name>/resolve/<rev>/<path>      (honours Range: bytes=N-)
// <rev> is the revision name or the commit id; the commit changes whenever the files do.
// It records every request, can cut a transfer after N bytes, serve corrupted bytes, and
// demand a bearer token.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFile {
  path: string;
  content: Buffer;
  /** Stored through LFS: listed with lfs.oid = sha256 (else oid = git blob sha1). */
  lfs?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

export class HubContractServer {
  readonly requests: RecordedRequest[] = [];
  /** Path → cut the next transfer of it after this many bytes (one time). */
  readonly cutOnce = new Map<string, number>();
  /** Paths whose bytes are served corrupted (the listing keeps the true checksum). */
  readonly corrupt = new Set<string>();
  /** When set, requests without `Bearer <token>` get 401. */
  requiredToken?: string;
  /** Listing page size (Link-header pagination). */
  pageSize = 1000;
  private files = new Map<string, HubFile>();
  private server?: Server;
  url = '';

  constructor(readonly repo: string, readonly revision: string, files: HubFile[], readonly type: 'dataset' | 'model' = 'dataset') {
    this.setFiles(files);
  }

  /** The commit id the revision points at: a digest of the current files. */
  get commit(): string {
    const h = createHash('sha1');
    for (const f of [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(f.path).update('\0').update(f.content);
    return h.digest('hex');
  }

  setFiles(files: HubFile[]): void {
    this.files = new Map(files.map((f) => [f.path, f]));
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private entry(f: HubFile) {
    const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
    if (!f.lfs) return { type: 'file', path: f.path, size: f.content.length, oid: gitSha1(f.content) };
    const sha256 = createHash('sha256').update(f.content).digest('hex');
    const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${f.content.length}\n`);
    return { type: 'file', path: f.path, size: f.content.length, oid: gitSha1(pointer), lfs: { oid: sha256, size: f.content.length, pointerSize: pointer.length } };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), range: req.headers.range, authorization: req.headers.authorization });
    if (this.requiredToken && req.headers.authorization !== `Bearer ${this.requiredToken}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Invalid credentials"}');
      return;
    }
    const api = `/api/${this.type}s/${this.repo}`;
    const files = `${this.type === 'dataset' ? '/datasets' : ''}/${this.repo}/resolve`;
    for (const rev of [encodeURIComponent(this.revision), this.commit]) {
      if (url.pathname === `${api}/revision/${rev}`) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: this.repo, sha: this.commit }));
        return;
      }
      if (url.pathname === `${api}/tree/${rev}`) return this.tree(url, res);
      const resolvePrefix = `${files}/${rev}/`;
      if (url.pathname.startsWith(resolvePrefix)) return this.resolve(decodeURIComponent(url.pathname.slice(resolvePrefix.length)), req, res);
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Repository not found"}');
  }

  private tree(url: URL, res: ServerResponse): void {
    const dirs = new Set<string>();
    for (const p of this.files.keys()) {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    const all = [...[...dirs].map((d) => ({ type: 'directory', path: d, oid: 'tree', size: 0 })), ...[...this.files.values()].map((f) => this.entry(f))];
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = all.slice(cursor, cursor + this.pageSize);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (cursor + this.pageSize < all.length) {
      const next = new URL(url);
      next.searchParams.set('cursor', String(cursor + this.pageSize));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify(page));
  }

  private resolve(path: string, req: IncomingMessage, res: ServerResponse): void {
    const f = this.files.get(path);
    if (!f) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    let body = f.content;
    if (this.corrupt.has(path)) body = Buffer.from(body.map((b, i) => (i === 0 ? b ^ 0xff : b)));
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-length': String(body.length - start), 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, etag: `"${this.entry(f).oid}"` });
    } else {
      res.writeHead(200, { 'content-length': String(body.length), 'accept-ranges': 'bytes', etag: `"${this.entry(f).oid}"` });
    }
    const rest = body.subarray(start);
    const cut = this.cutOnce.get(path);
    if (cut !== undefined && cut < rest.length) {
      this.cutOnce.delete(path);
      // Send part of the body, then drop the connection mid-transfer.
      res.write(rest.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(rest);
  }
}
