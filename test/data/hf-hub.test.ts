import { existsSync, readlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchHfDataset, loadHfRows, parseHfUrl } from '../../src/lib/data/hf/index.js';
import type { RowMapping } from '../../src/lib/data/mapping.js';
import type { TaskMeta } from '../../src/lib/data/task.js';
import { HubContractServer, type HubFile } from './hub-contract-server.js';
import { caught } from './caught.js';

const META: TaskMeta = {
  name: 'sst', category: 'sentiment', type: 'classification', metric: 'accuracy', fields: ['sentence'], labels: ['negative', 'positive'], splits: {},
};
const MAPPING: RowMapping = { fields: { sentence: 'text' }, output: 'label', labelNames: ['negative', 'positive'] };
const URL_TRAIN = 'hf://datasets/acme/reviews@v1.0/data/train.jsonl';

function jsonl(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ text: `review number ${i} ${'x'.repeat(i % 7)}`, label: i % 2 }));
  return Buffer.from(lines.join('\n') + '\n');
}

const FILES: HubFile[] = [
  { path: 'README.md', content: Buffer.from('# reviews\n') },
  { path: 'data/train.jsonl', content: jsonl(200), lfs: true },
  { path: 'data/test.csv', content: Buffer.from('text,label\ngood,1\n"bad, really",0\n') },
  {
    path: 'data/extra.parquet',
    lfs: true,
    content: Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['fine', 'dull'], type: 'STRING' }, { name: 'label', data: [1, 0], type: 'INT32' }] })),
  },
];

let server: HubContractServer;
let cache: string;
let env: Record<string, string>;

beforeEach(async () => {
  server = new HubContractServer('acme/reviews', 'v1.0', FILES);
  await server.start();
  cache = await mkdtemp(join(tmpdir(), 'retort-hf-'));
  env = { HF_ENDPOINT: server.url, HF_TOKEN: 'hf_secret', HF_HUB_CACHE: cache };
});
afterEach(async () => {
  await server.stop();
  await rm(cache, { recursive: true, force: true });
});

describe('hf:// references', () => {
  it('parses owner, name, revision and path', () => {
    expect(parseHfUrl('hf://datasets/acme/reviews@v1.0/data/train.jsonl')).toEqual({ type: 'dataset', owner: 'acme', name: 'reviews', revision: 'v1.0', path: 'data/train.jsonl' });
    expect(parseHfUrl('hf://datasets/acme/reviews')).toEqual({ type: 'dataset', owner: 'acme', name: 'reviews', revision: 'main', path: '' });
    expect(parseHfUrl('hf://datasets/acme/reviews@refs%2Fconvert%2Fparquet/default').revision).toBe('refs/convert/parquet');
    expect(() => parseHfUrl('hf://models/acme/x')).toThrow(/not a Hugging Face dataset reference/);
    expect(() => parseHfUrl('hf://datasets/acme/reviews@main/../etc')).toThrow(/not allowed/);
  });
});

describe('Hub dataset loader (loopback Hub)', () => {
  it('lists, downloads into the cache, verifies and sends HF_TOKEN as a bearer token', async () => {
    server.requiredToken = 'hf_secret';
    server.pageSize = 2; // forces Link-header pagination
    const rows = await loadHfRows(URL_TRAIN, MAPPING, META, { env });
    expect(rows).toHaveLength(200);
    expect(rows[1]).toEqual({ id: 'sst-train-1', fields: { sentence: 'review number 1 x' }, options: ['negative', 'positive'], output: 'positive' });
    // The huggingface_hub cache layout: refs/<revision> → commit, snapshots/<commit>/<path> → blobs/<sha256>.
    const repo = join(cache, 'datasets--acme--reviews');
    expect((await readFile(join(repo, 'refs', 'v1.0'), 'utf8'))).toBe(server.commit);
    const local = join(repo, 'snapshots', server.commit, 'data', 'train.jsonl');
    expect(readlinkSync(local)).toBe(`../../../blobs/${sha256(FILES[1]!.content)}`);
    expect(await readFile(local)).toEqual(FILES[1]!.content);
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    expect(server.requests.every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    expect(server.requests.filter((r) => r.path.includes('/tree/')).length).toBe(3); // 5 entries, 2 per page

    // A directory reference selects every data file under it (sorted), across formats.
    const all = await loadHfRows('hf://datasets/acme/reviews@v1.0/data', MAPPING, META, { env, split: 'test' });
    expect(all.map((r) => r.fields.sentence).slice(0, 4)).toEqual(['fine', 'dull', 'good', 'bad, really']);
    expect(all).toHaveLength(204);
    expect(new Set(all.map((r) => r.id)).size).toBe(204);
  });

  it('a refused token and a missing repository are reported', async () => {
    server.requiredToken = 'other';
    expect((await caught(fetchHfDataset(URL_TRAIN, { env }))).message).toMatch(/HTTP 401.*HF_TOKEN was refused/);
    server.requiredToken = undefined;
    expect((await caught(fetchHfDataset('hf://datasets/acme/nope@v1.0', { env }))).message).toMatch(/HTTP 404/);
    expect((await caught(fetchHfDataset('hf://datasets/acme/reviews@v1.0/docs', { env }))).message).toMatch(/no data files .* under "docs"/);
  });

  it('resumes an interrupted transfer with HTTP Range in the same call', async () => {
    server.cutOnce.set('data/train.jsonl', 1000);
    const { files } = await fetchHfDataset(URL_TRAIN, { env });
    expect(await readFile(files[0]!.localPath)).toEqual(FILES[1]!.content);
    const gets = server.requests.filter((r) => r.path.endsWith(`/resolve/${server.commit}/data/train.jsonl`));
    expect(gets.map((r) => r.range)).toEqual([undefined, 'bytes=1000-']);
  });

  it('resumes a partial file left by an earlier run', async () => {
    server.cutOnce.set('data/train.jsonl', 700);
    const err = await caught(fetchHfDataset(URL_TRAIN, { env, retries: 0 }));
    expect(err.message).toMatch(/transfer interrupted after 700 bytes; run again to resume/);
    const partial = join(cache, 'datasets--acme--reviews', 'blobs', `${sha256(FILES[1]!.content)}.incomplete`);
    expect((await readFile(partial)).length).toBe(700);
    const { files } = await fetchHfDataset(URL_TRAIN, { env });
    expect(await readFile(files[0]!.localPath)).toEqual(FILES[1]!.content);
    expect(server.requests.at(-1)?.range).toBe('bytes=700-');
    expect(existsSync(partial)).toBe(false);
  });

  it('rejects a checksum mismatch (LFS sha256 and git blob sha1) and keeps nothing', async () => {
    server.corrupt.add('data/train.jsonl');
    const err = await caught(fetchHfDataset(URL_TRAIN, { env }));
    expect(err.message).toMatch(/checksum mismatch: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/);
    const repo = join(cache, 'datasets--acme--reviews');
    expect(existsSync(join(repo, 'snapshots', server.commit, 'data', 'train.jsonl'))).toBe(false);
    expect(existsSync(join(repo, 'blobs', sha256(FILES[1]!.content)))).toBe(false);
    expect(existsSync(join(repo, 'blobs', `${sha256(FILES[1]!.content)}.incomplete`))).toBe(false);
    server.corrupt.add('data/test.csv');
    expect((await caught(fetchHfDataset('hf://datasets/acme/reviews@v1.0/data/test.csv', { env }))).message).toMatch(/expected git-sha1 [0-9a-f]{40}/);
  });

  it('reads offline from the cache once the server is gone, and only then', async () => {
    const first = await loadHfRows(URL_TRAIN, MAPPING, META, { env });
    const before = server.requests.length;
    // Cached and verified: a second online load resolves and lists but downloads nothing.
    await fetchHfDataset(URL_TRAIN, { env });
    expect(server.requests.slice(before).every((r) => r.path.includes('/tree/') || r.path.includes('/revision/'))).toBe(true);
    await server.stop();
    const again = await fetchHfDataset(URL_TRAIN, { env });
    expect(again.fromCache).toBe(true);
    expect(await loadHfRows(URL_TRAIN, MAPPING, META, { env })).toEqual(first);
    expect(await loadHfRows(URL_TRAIN, MAPPING, META, { env: { ...env, HF_HUB_OFFLINE: '1' } })).toEqual(first);
    // Files that were never downloaded are not served from an empty cache.
    const err = await caught(fetchHfDataset('hf://datasets/acme/reviews@v1.0/data/test.csv', { env }));
    expect(err.message).toMatch(/cannot reach .*"data\/test.csv" is not in the cache/);
    const empty = await mkdtemp(join(tmpdir(), 'retort-hf-empty-'));
    expect((await caught(fetchHfDataset(URL_TRAIN, { env: { ...env, HF_HUB_CACHE: empty } }))).message).toMatch(/cannot reach .*nothing is cached/);
    await rm(empty, { recursive: true, force: true });
  });

  it('downloads again when the revision now holds a different file', async () => {
    await fetchHfDataset(URL_TRAIN, { env });
    const changed = Buffer.concat([FILES[1]!.content, Buffer.from('{"text":"new","label":1}\n')]);
    server.setFiles([{ ...FILES[1]!, content: changed }]);
    const { files } = await fetchHfDataset(URL_TRAIN, { env });
    expect(await readFile(files[0]!.localPath)).toEqual(changed);
  });

  it('a snapshot entry whose blob is gone is not served offline', async () => {
    const { files } = await fetchHfDataset(URL_TRAIN, { env });
    await rm(join(cache, 'datasets--acme--reviews', 'blobs', sha256(FILES[1]!.content)));
    await server.stop();
    expect((await caught(fetchHfDataset(URL_TRAIN, { env }))).message).toMatch(/cannot reach .*"data\/train.jsonl" is not in the cache/);
    expect(existsSync(files[0]!.localPath)).toBe(false);
  });

  it('reads a cache filled by another tool in the same layout, offline, by branch or by commit', async () => {
    const commit = 'c'.repeat(40);
    const repo = join(cache, 'datasets--acme--reviews');
    const { mkdir, writeFile, symlink } = await import('node:fs/promises');
    await mkdir(join(repo, 'refs'), { recursive: true });
    await mkdir(join(repo, 'blobs'), { recursive: true });
    await mkdir(join(repo, 'snapshots', commit, 'data'), { recursive: true });
    await writeFile(join(repo, 'refs', 'main'), commit);
    await writeFile(join(repo, 'blobs', 'abc'), FILES[2]!.content);
    await symlink('../../../blobs/abc', join(repo, 'snapshots', commit, 'data', 'test.csv'));
    const offline = { env: { ...env, HF_HUB_OFFLINE: '1' } };
    const rows = await loadHfRows('hf://datasets/acme/reviews/data', MAPPING, META, { ...offline, split: 'test' });
    expect(rows.map((r) => r.fields.sentence)).toEqual(['good', 'bad, really']);
    expect((await fetchHfDataset(`hf://datasets/acme/reviews@${commit}/data/test.csv`, offline)).files[0]!.path).toBe('data/test.csv');
    expect((await caught(fetchHfDataset('hf://datasets/acme/reviews@v9', offline))).message).toMatch(/offline mode .*nothing is cached/);
  });
});

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
