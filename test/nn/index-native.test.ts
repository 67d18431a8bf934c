// The HNSW batch addon (src/lib/nn/index/native): it builds the same graph as hnswlib-node, reads
// and writes the same files, and answers every query of a batch as hnswlib-node's one-query calls
// do, up to the rounding of its AVX2 distances (exact equality with hnswlib's own distance:
// index-layout.test.ts); without it HnswIndex falls back to hnswlib-node; its build never fails an install.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HnswIndex } from '../../src/lib/nn/index/hnsw.js';
import { loadHnswAddon } from '../../src/lib/nn/index/native-hnsw.js';
import { VectorIndexError, type Neighbors } from '../../src/lib/nn/index/types.js';
import { gaussian } from './gaussian.js';

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'retort-hnsw-native-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const savedEnv = { ...process.env };
afterEach(() => { process.env = { ...savedEnv }; });


const DIM = 24;
const N = 3000;
const vectors = gaussian(N, DIM, 11);
const queries = gaussian(300, DIM, 12);
const plain = (hits: Neighbors[]) => hits.map((h) => ({ rows: Array.from(h.rows), scores: Array.from(h.scores) }));

describe('HNSW batch addon', () => {
  it('is built on this machine and used by default', () => {
    // CI has a C++ compiler at npm install; a missing addon there is a build problem, not a skip.
    expect(loadHnswAddon().ok).toBe(true);
    expect(new HnswIndex({ metric: 'ip', dim: 4 }).engine).toBe('native');
  });

  for (const metric of ['cosine', 'ip'] as const) {
    it(`answers an index built by hnswlib-node exactly as hnswlib-node does (${metric}, every query, several efSearch)`, () => {
      const dir = tempDir();
      const built = new HnswIndex({ metric, dim: DIM, M: 8, efConstruction: 60, seed: 4, engine: 'hnswlib-node' });
      built.add(vectors);
      built.save(dir);
      const ours = HnswIndex.load(dir, 'index', { engine: 'native' });
      expect(ours.engine).toBe('native');
      for (const ef of [10, 40, 200]) {
        built.efSearch = ef;
        ours.efSearch = ef;
        expect(plain(ours.search(queries, 10))).toEqual(plain(built.search(queries, 10)));
      }
      // k above efSearch: hnswlib searches with max(ef, k) on both paths.
      ours.efSearch = 5;
      built.efSearch = 5;
      expect(plain(ours.search(queries.subarray(0, 20 * DIM), 30))).toEqual(plain(built.search(queries.subarray(0, 20 * DIM), 30)));
      expect(ours.search(queries.subarray(0, 20 * DIM), 30).every((h) => h.rows.length === 30)).toBe(true);
    });
  }

  it('builds the same graph as hnswlib-node: the saved files are byte for byte equal', () => {
    const [a, b] = [tempDir(), tempDir()];
    for (const [engine, dir] of [['native', a], ['hnswlib-node', b]] as const) {
      const index = new HnswIndex({ metric: 'cosine', dim: DIM, M: 10, efConstruction: 50, seed: 7, capacity: 500, engine });
      for (let s = 0; s < 2000; s += 700) index.add(vectors.subarray(s * DIM, Math.min(2000, s + 700) * DIM));
      index.save(dir);
    }
    expect(readFileSync(join(a, 'index.hnsw')).equals(readFileSync(join(b, 'index.hnsw')))).toBe(true);
  });

  it('a reloaded index answers like the original, and hnswlib-node reads the file it wrote', () => {
    const dir = tempDir();
    const index = new HnswIndex({ metric: 'ip', dim: DIM, M: 8, efConstruction: 40, efSearch: 30, seed: 2, engine: 'native' });
    index.add(vectors.subarray(0, 1500 * DIM));
    index.save(dir);
    const expected = plain(index.search(queries, 10));
    expect(plain(HnswIndex.load(dir, 'index', { engine: 'native' }).search(queries, 10))).toEqual(expected);
    expect(plain(HnswIndex.load(dir, 'index', { engine: 'hnswlib-node' }).search(queries, 10))).toEqual(expected);
  });

  it('falls back to hnswlib-node when the addon is absent, and says why when it is asked for', () => {
    process.env.RETORT_NO_HNSW_ADDON = '1';
    const index = new HnswIndex({ metric: 'cosine', dim: DIM });
    expect(index.engine).toBe('hnswlib-node');
    index.add(vectors.subarray(0, 200 * DIM));
    expect(index.search(queries.subarray(0, DIM), 5)[0]?.rows).toHaveLength(5);
    expect(() => new HnswIndex({ metric: 'cosine', dim: DIM, engine: 'native' }))
      .toThrow(new VectorIndexError('HNSW engine native is not available: disabled by RETORT_NO_HNSW_ADDON=1'));
    expect(() => new HnswIndex({ metric: 'cosine', dim: DIM, engine: 'fast' as 'native' })).toThrow(/unknown HNSW engine fast/);
  });

  it('rejects a file whose vectors have another width than its sidecar says', () => {
    const dir = tempDir();
    const index = new HnswIndex({ metric: 'ip', dim: 8, engine: 'native' });
    index.add(gaussian(100, 8, 3));
    index.save(dir);
    const sidecar = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ ...sidecar, dim: 16 }));
    expect(() => HnswIndex.load(dir, 'index', { engine: 'native' })).toThrow(/index\.hnsw: hnswlib cannot read it \(the file holds vectors of another dimension\)/);
  });

  it('a disposed index refuses to add instead of crashing', () => {
    const index = new HnswIndex({ metric: 'ip', dim: 4, engine: 'native' });
    index.add(gaussian(10, 4, 1));
    index.dispose();
    expect(() => index.add(gaussian(1, 4, 2))).toThrow(/the graph is closed/);
  });
});

describe('HNSW addon build', () => {
  const script = join(import.meta.dirname, '../../src/lib/nn/index/native/build.mjs');
  const run = (env: Record<string, string>) => spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, ...env } });

  it('skips with one line and exit code 0 when asked to, or when there is no C++ compiler', () => {
    const off = run({ RETORT_NO_NATIVE: '1' });
    expect(off.status).toBe(0);
    expect(off.stdout.trim()).toBe('retort: optional HNSW batch search not built (RETORT_NO_NATIVE=1); hnswlib-node will answer one query per call');
    const noCompiler = run({ CXX: join(tmpdir(), 'no-such-compiler') });
    expect(noCompiler.status).toBe(0);
    expect(noCompiler.stdout).toMatch(/not built \(no C\+\+ compiler/);
  });
});
