// The snapshot's column layout: what it leaves out or shares must come back as it was, and a snapshot
// of another version, or one whose columns disagree, is not used (it costs reads, never a wrong hit).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EntryIndex, indexName } from '../../src/store/entry-index.js';
import type { Store, LookupResult, Manifest } from '../../src/store/store.js';
import { keyOf, openStore, put, removeDir } from './helpers.js';
import { nodeId, type Key } from '../../src/util/ids.js';

const RECIPE = 'recipes/test.yaml';
const bases: string[] = [];
afterEach(async () => { for (const b of bases.splice(0)) await removeDir(b); });

async function storeWith(n: number, over: (i: number) => Parameters<typeof put>[3] = () => ({})): Promise<{ store: Store; keys: Key[] }> {
  const { store, base } = await openStore();
  bases.push(base);
  const keys: Key[] = [];
  for (let i = 0; i < n; i++) {
    keys.push(keyOf(`entry ${i}`));
    await put(store, keys[i]!, { 'out/value.txt': `${i}\n` }, { nodeId: nodeId(`n[${i}]`), ...over(i) });
  }
  return { store, keys };
}

function indexOf(store: Store): EntryIndex {
  return new EntryIndex(join(store.root, 'index'), indexName(RECIPE));
}

function answers(results: Map<string, LookupResult>): Record<string, unknown> {
  return Object.fromEntries([...results].map(([k, r]) => [k, r.status === 'hit' ? { status: 'hit', manifest: r.manifest, dir: r.dir } : { status: r.status }]));
}

/** A snapshot file with `body` under `header`, its checksum right: only its content can make it unusable. */
function writeSnapshot(index: EntryIndex, header: string, body: string | Buffer): void {
  writeFileSync(index.snapshotPath, Buffer.concat([Buffer.from(`${header} ${createHash('sha256').update(body).digest('hex')}\n`), Buffer.from(body)]));
}

/** Answers from the snapshot alone: the journal folded, then every manifest from the index. */
async function fromSnapshot(store: Store, keys: Key[]): Promise<Map<Key, LookupResult>> {
  await store.lookupMany(keys, { index: RECIPE });
  expect(readFileSync(indexOf(store).journalPath, 'utf8')).toBe('');
  return store.lookupMany(keys, { index: RECIPE });
}

describe('the entry index snapshot', () => {
  it('ignores a snapshot of the earlier format, even with a valid checksum, and replaces it with one of this format', async () => {
    const { store, keys } = await storeWith(3);
    const scanned = answers(await store.lookupMany(keys));
    const index = indexOf(store);
    // The earlier format: one JSON record a line, whose identities match the manifests on disk now.
    const lines = keys.map((k) => {
      const st = statSync(join(store.entryDir(k), 'manifest.json'));
      const { keyStructure: _left, ...m } = JSON.parse(readFileSync(join(store.entryDir(k), 'manifest.json'), 'utf8')) as Manifest;
      return JSON.stringify({ k, i: [st.ino, st.size, st.mtimeMs, st.ctimeMs], m: { ...m, nodeId: 'from the old snapshot' } });
    });
    const oldBody = lines.join('\n') + '\n';
    // Where that format kept it, and (a file copied by hand) where this one keeps its own.
    writeFileSync(index.legacySnapshotPath, `retort-store-index 2 ${createHash('sha256').update(oldBody).digest('hex')}\n${oldBody}`);
    writeSnapshot(index, 'retort-store-index 2', oldBody);
    writeFileSync(index.journalPath, '');
    expect(index.read()).toMatchObject({ damaged: 1, journalBytes: 0 });
    expect(index.read().entries.size).toBe(0);
    expect(answers(await store.lookupMany(keys, { index: RECIPE }))).toEqual(scanned);
    expect(readFileSync(index.snapshotPath, 'utf8')).toMatch(/^retort-store-index 3 [0-9a-f]{64}\n/);
    expect(existsSync(index.legacySnapshotPath)).toBe(false);
    expect(index.read()).toMatchObject({ damaged: 0 });
    expect(index.read().entries.size).toBe(3);
    expect(answers(await store.lookupMany(keys, { index: RECIPE }))).toEqual(scanned);
  });

  it('does not use a snapshot of this format whose columns disagree or whose whole record is no manifest, even with a valid checksum', async () => {
    const { store, keys } = await storeWith(3);
    const scanned = answers(await fromSnapshot(store, keys));
    const index = indexOf(store);
    // The snapshot: a header line, a line of JSON (the text columns), then the binary columns.
    const file = readFileSync(index.snapshotPath);
    const header = file.toString('latin1', 0, file.indexOf(' ', 'retort-store-index '.length));
    const body = file.subarray(file.indexOf(0x0a) + 1);
    const [json, bytes] = [body.toString('utf8', 0, body.indexOf(0x0a)), body.subarray(body.indexOf(0x0a) + 1)];
    const doc = JSON.parse(json) as { nodes: string[]; fileCount: number[]; group: number[]; paths: number[] };
    expect(header).toBe('retort-store-index 3');
    for (const [broken, binary] of [
      [{ ...doc, nodes: doc.nodes.slice(1) }, bytes],
      [{ ...doc, fileCount: doc.fileCount.map((c) => c + 1) }, bytes],
      [{ ...doc, group: doc.group.map(() => 7) }, bytes],
      [{ ...doc, groups: [null] }, bytes],
      [{ ...doc, paths: doc.paths.map(() => 9) }, bytes],
      [doc, bytes.subarray(0, bytes.length - 8)],
      [{ ...doc, whole: [{ k: keys[0], i: [1, 2, 3, 4], m: { formatVersion: 1, key: keys[0], files: 'not a list' } }] }, bytes],
    ] as const) {
      writeSnapshot(index, header, Buffer.concat([Buffer.from(JSON.stringify(broken) + '\n'), binary]));
      expect(index.read()).toMatchObject({ damaged: 1 });
      expect(index.read().entries.size).toBe(0);
      expect(answers(await store.lookupMany(keys, { index: RECIPE }))).toEqual(scanned);
    }
  });

  it('keeps the recipe of a record whose manifest names another recipe than the index', async () => {
    const { store, keys } = await storeWith(3, (i) => ({ recipe: i === 1 ? 'recipes/other.yaml' : RECIPE }));
    const scanned = answers(await store.lookupMany(keys));
    const results = await fromSnapshot(store, keys);
    expect(answers(results)).toEqual(scanned);
    const hit = results.get(keys[1]!);
    expect(hit?.status === 'hit' && hit.manifest.recipe).toBe('recipes/other.yaml');
    expect(indexOf(store).read().entries.get(keys[1]!)!.manifest.recipe).toBe('recipes/other.yaml');
    expect(indexOf(store).read().entries.get(keys[0]!)!.manifest.recipe).toBe(RECIPE);
  });

  it('gives back what entries of one group do not share: tracking, plugin, run, ports, metrics (NaN and Infinity too)', async () => {
    const { store, keys } = await storeWith(4, (i) => ({
      ...(i % 2 ? { tracking: { mlflowRun: `run-${i}` } } : {}),
      plugin: { id: 'p', version: String(i % 2) },
      runId: i < 2 ? 'run-a' : 'run-b',
      metrics: i === 3 ? [{ name: 'loss', value: NaN, step: 0, timestamp: 1 }, { name: 'ppl', value: Infinity, step: 1, timestamp: 2 }] : [],
    }));
    const scanned = answers(await store.lookupMany(keys));
    const results = await fromSnapshot(store, keys);
    expect(answers(results)).toEqual(scanned);
    const last = results.get(keys[3]!);
    expect(last?.status === 'hit' && last.manifest.metrics.map((p) => p.value)).toEqual([NaN, Infinity]);
  });

  it('keeps whole a manifest the columns have no place for: another field, a file entry with more fields, no ports', async () => {
    const { store, keys } = await storeWith(3);
    const index = indexOf(store);
    await store.lookupMany(keys, { index: RECIPE });
    const read = index.read();
    const unusual = (k: Key): Manifest => read.entries.get(k)!.manifest;
    const [a, b, c] = keys as [Key, Key, Key];
    const forged = new Map(read.entries);
    forged.set(a, { identity: read.entries.get(a)!.identity, manifest: { ...unusual(a), note: 'from a later version' } as Manifest });
    forged.set(b, { identity: read.entries.get(b)!.identity, manifest: { ...unusual(b), files: unusual(b).files.map((f) => ({ ...f, mode: 0o444 })) } });
    const { ports: _none, ...portless } = unusual(c);
    forged.set(c, { identity: read.entries.get(c)!.identity, manifest: portless as Manifest });
    index.rewrite(forged, 0);
    const again = index.read();
    expect(again.damaged).toBe(0);
    expect((again.entries.get(a)!.manifest as Manifest & { note?: string }).note).toBe('from a later version');
    expect(again.entries.get(b)!.manifest.files[0]).toMatchObject({ mode: 0o444 });
    expect(Object.hasOwn(again.entries.get(c)!.manifest, 'ports')).toBe(false);
    expect(again.entries.get(a)!.manifest.keyStructure).toEqual(unusual(a).keyStructure);
  });

  it("makes a record's manifest once, when first asked for: the same object afterwards", async () => {
    const { store, keys } = await storeWith(2);
    await fromSnapshot(store, keys);
    const record = indexOf(store).read().entries.get(keys[0]!)!;
    const manifest = record.manifest;
    manifest.metrics.push({ name: 'added', value: 1, step: 0, timestamp: 1 });
    expect(record.manifest).toBe(manifest);
    expect(record.manifest.metrics.map((p) => p.name)).toContain('added');
  });

  it('freezes what the manifests of a group share (plugin, ports, tracking): editing one cannot edit the others', async () => {
    const { store, keys } = await storeWith(2, () => ({ tracking: { trackingUri: 'file:///mlruns', mlflowRunId: 'r1' } }));
    await fromSnapshot(store, keys);
    const [a, b] = keys.map((k) => indexOf(store).read().entries.get(k)!.manifest);
    expect(() => { a!.plugin.version = 'edited'; }).toThrow(TypeError);
    expect(() => { a!.ports!.push('extra'); }).toThrow(TypeError);
    expect(() => { a!.tracking!.mlflowRunId = 'edited'; }).toThrow(TypeError);
    expect([b!.plugin.version, b!.ports, b!.tracking?.mlflowRunId]).toEqual([a!.plugin.version, ['out'], 'r1']);
  });

  it('is not rewritten by a lookup that finds it up to date', async () => {
    const { store, keys } = await storeWith(3);
    await store.lookupMany(keys, { index: RECIPE });
    const index = indexOf(store);
    const before = statSync(index.snapshotPath);
    expect([...(await store.lookupMany(keys, { index: RECIPE })).values()].every((r) => r.status === 'hit')).toBe(true);
    const after = statSync(index.snapshotPath);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });
});
