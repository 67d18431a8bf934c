// The vector indexes: HNSW recall against exact search, save and reload, metric semantics, ties,
// k larger than the index, and the errors bad files give.
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lib/nn/backend.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExactIndex } from '../../src/lib/nn/index/exact.js';
import { HnswIndex } from '../../src/lib/nn/index/hnsw.js';
import { loadVectorIndex } from '../../src/lib/nn/index/load.js';
import { recallAtK } from '../../src/lib/nn/index/recall.js';
import { VectorIndexError, type Metric, type Neighbors } from '../../src/lib/nn/index/types.js';
import { gaussian } from './gaussian.js';
import { at } from '../util/at.js';

// The backend the neural core picks (wasm here and in CI).
beforeAll(async () => { await initBackend(); });

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'retort-index-test-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });


const DIM = 32;
const N = 5000;
const vectors = gaussian(N, DIM, 1);
const queries = gaussian(200, DIM, 2);

/** The top k by a straightforward sort over every vector, in plain JS doubles. */
function bruteForce(data: Float32Array, query: ArrayLike<number>, dim: number, k: number, metric: Metric): number[] {
  const norm = (o: number, arr: ArrayLike<number>) => Math.hypot(...Array.from({ length: dim }, (_, j) => at(arr, o + j))) || 1;
  const qn = metric === 'cosine' ? norm(0, query) : 1;
  const scored = [];
  for (let r = 0; r < data.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += at(data, r * dim + j) * at(query, j);
    scored.push({ r, s: metric === 'cosine' ? s / (norm(r * dim, data) * qn) : s });
  }
  return scored.sort((x, y) => y.s - x.s || x.r - y.r).slice(0, k).map((x) => x.r);
}

const plain = (hits: Neighbors[]) => hits.map((h) => ({ rows: Array.from(h.rows), scores: Array.from(h.scores) }));

describe('ExactIndex', () => {
  it('finds the same top 10 as a plain sort, with every engine', () => {
    for (const metric of ['cosine', 'ip'] as const) {
      const js = new ExactIndex({ metric, dim: DIM, engine: 'js' });
      js.add(vectors);
      const a = js.search(queries.subarray(0, 20 * DIM), 10);
      for (let i = 0; i < 20; i++) {
        expect(Array.from(at(a, i).rows)).toEqual(bruteForce(vectors, queries.subarray(i * DIM, (i + 1) * DIM), DIM, 10, metric));
      }
      for (const engine of ['tf', 'blas'] as const) {
        const other = new ExactIndex({ metric, dim: DIM, engine });
        other.add(vectors);
        const b = other.search(queries.subarray(0, 20 * DIM), 10);
        for (let i = 0; i < 20; i++) {
          const [ours, js] = [at(b, i), at(a, i)];
          expect(Array.from(ours.rows)).toEqual(Array.from(js.rows));
          for (let j = 0; j < 10; j++) expect(ours.scores[j]).toBeCloseTo(at(js.scores, j), 4);
        }
        other.dispose();
      }
    }
  });

  it('picks the tf engine on wasm, and frees its tensors on dispose', () => {
    const before = tf.memory().numTensors;
    expect(tf.getBackend()).toBe('wasm');
    const index = new ExactIndex({ metric: 'ip', dim: DIM });
    expect(index.engine).toBe('tf');
    index.add(vectors);
    index.search(queries, 5);
    index.add(vectors.subarray(0, 10 * DIM)); // invalidates the cached blocks
    expect(index.search(queries.subarray(0, DIM), 1)[0]?.rows.length).toBe(1);
    index.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses blas only when named, and says why when the addon is missing', () => {
    expect(new ExactIndex({ metric: 'ip', dim: DIM, engine: 'blas' }).engine).toBe('blas');
    process.env.RETORT_NO_BLAS = '1';
    try {
      expect(() => new ExactIndex({ metric: 'ip', dim: DIM, engine: 'blas' })).toThrow(/engine blas is not available: disabled by RETORT_NO_BLAS=1/);
    } finally {
      delete process.env.RETORT_NO_BLAS;
    }
    expect(() => new ExactIndex({ metric: 'ip', dim: DIM, engine: 'fast' as 'js' })).toThrow(/unknown exact-search engine fast/);
  });
});

describe('HnswIndex', () => {
  for (const metric of ['cosine', 'ip'] as const) {
    it(`reaches recall@10 ≥ 0.95 against exact search (${metric}, 5k random vectors)`, () => {
      const exact = new ExactIndex({ metric, dim: DIM, engine: 'js' });
      exact.add(vectors);
      const hnsw = new HnswIndex({ metric, dim: DIM, M: 16, efConstruction: 100, efSearch: 100, seed: 3 });
      for (let start = 0; start < N; start += 1000) hnsw.add(vectors.subarray(start * DIM, (start + 1000) * DIM));
      expect(hnsw.size).toBe(N);
      const recall = recallAtK(hnsw.search(queries, 10), exact.search(queries, 10));
      expect(recall).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('builds the same graph from the same seed, whether added at once or in batches', () => {
    const once = new HnswIndex({ metric: 'cosine', dim: DIM, seed: 9, efConstruction: 50 });
    once.add(vectors.subarray(0, 2000 * DIM));
    const batched = new HnswIndex({ metric: 'cosine', dim: DIM, seed: 9, efConstruction: 50, capacity: 10 });
    for (let s = 0; s < 2000; s += 300) batched.add(vectors.subarray(s * DIM, Math.min(2000, s + 300) * DIM));
    expect(plain(batched.search(queries, 10))).toEqual(plain(once.search(queries, 10)));
  });
});

describe('metric semantics', () => {
  const points = [[1, 0], [10, 1], [0.6, 0.8], [-1, 0]];
  const makers: [string, (metric: Metric) => ExactIndex | HnswIndex][] = [
    ['exact, js', (metric) => new ExactIndex({ metric, dim: 2, engine: 'js' })],
    ['exact, tf', (metric) => new ExactIndex({ metric, dim: 2, engine: 'tf' })],
    ['hnsw', (metric) => new HnswIndex({ metric, dim: 2 })],
  ];
  for (const [label, make] of makers) {
    it(`cosine ranks by angle, ip by dot product (${label})`, () => {
      const cosine = make('cosine');
      cosine.add(points);
      const c = at(cosine.search([[2, 0]], 4), 0);
      expect(Array.from(c.rows)).toEqual([0, 1, 2, 3]);
      const cosines = [1, 10 / Math.hypot(10, 1), 0.6, -1];
      Array.from(c.scores).forEach((s, i) => expect(s).toBeCloseTo(at(cosines, i), 5));

      const ip = make('ip');
      ip.add(points);
      const d = at(ip.search([[2, 0]], 4), 0);
      expect(Array.from(d.rows)).toEqual([1, 0, 2, 3]);
      Array.from(d.scores).forEach((s, i) => expect(s).toBeCloseTo(at([20, 2, 1.2, -2], i), 5));
      cosine.dispose();
      ip.dispose();
    });
  }
});

describe('ties and sizes', () => {
  it('orders equal scores by row, across block boundaries, with every engine', () => {
    const same = new Float32Array(9000 * 4).fill(0.5);
    for (const engine of ['js', 'tf', 'blas'] as const) {
      const index = new ExactIndex({ metric: 'ip', dim: 4, engine });
      index.add(same);
      const hits = at(index.search([[1, 1, 1, 1]], 10), 0);
      expect(Array.from(hits.rows)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      index.dispose();
    }
    const hnsw = new HnswIndex({ metric: 'ip', dim: 4 });
    hnsw.add(same.subarray(0, 500 * 4));
    const rows = Array.from(at(hnsw.search([[1, 1, 1, 1]], 10), 0).rows);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
  });

  it('returns every vector when k exceeds the count, and nothing from an empty index', () => {
    for (const index of [new ExactIndex({ metric: 'cosine', dim: 2 }), new HnswIndex({ metric: 'cosine', dim: 2 })]) {
      expect(index.search([[1, 0]], 5)).toEqual([{ rows: new Int32Array(0), scores: new Float32Array(0) }]);
      index.add([[1, 0], [0, 1], [1, 1]]);
      const hits = index.search([[1, 0], [0, 1]], 50);
      expect(hits.map((h) => h.rows.length)).toEqual([3, 3]);
      expect(Array.from(at(hits, 0).rows)).toEqual([0, 2, 1]);
      expect(() => index.search([[1, 0]], 0)).toThrow(/k must be a positive integer, got 0/);
      index.dispose();
    }
  });

  it('rejects vectors of the wrong width and ids given for some batches only', () => {
    const index = new HnswIndex({ metric: 'ip', dim: 3 });
    expect(() => index.add([[1, 2, 3], [1, 2]])).toThrow(VectorIndexError);
    expect(() => index.add([[1, 2, 3], [1, 2]])).toThrow(/vector 1 has dimension 2, the index has 3/);
    expect(() => index.add(new Float32Array(7))).toThrow(/7 numbers do not make whole vectors of dimension 3/);
    expect(() => index.search([[1, 2]], 1)).toThrow(/query 0 has dimension 2/);
    index.add([[1, 2, 3]], ['a']);
    expect(() => index.add([[1, 2, 3]])).toThrow(/give ids with every batch of vectors or with none/);
    expect(() => index.add([[1, 2, 3]], ['b', 'c'])).toThrow(/2 ids for 1 vectors/);
    expect(() => new HnswIndex({ metric: 'ip', dim: 3, M: 0 })).toThrow(/M must be a positive integer/);
  });
});

describe('save and load', () => {
  it('a reloaded HNSW index answers exactly like the original, with its ids and params', () => {
    const dir = tempDir();
    const ids = Array.from({ length: 2000 }, (_, i) => `doc-${i}`);
    const index = new HnswIndex({ metric: 'cosine', dim: DIM, M: 12, efConstruction: 80, efSearch: 40, seed: 5 });
    index.add(vectors.subarray(0, 2000 * DIM), ids);
    index.save(dir, 'pool');
    const sidecar = JSON.parse(readFileSync(join(dir, 'pool.json'), 'utf8'));
    expect(sidecar).toMatchObject({ kind: 'hnsw', metric: 'cosine', dim: DIM, count: 2000, params: { M: 12, efConstruction: 80, efSearch: 40, seed: 5 }, file: 'pool.hnsw' });
    expect(sidecar.ids.slice(0, 2)).toEqual(['doc-0', 'doc-1']);

    const loaded = HnswIndex.load(dir, 'pool');
    expect(loaded.size).toBe(2000);
    expect(loaded.params).toEqual(index.params);
    expect(plain(loaded.search(queries, 10))).toEqual(plain(index.search(queries, 10)));
    expect(loaded.idOf(1234)).toBe('doc-1234');
    const viaSidecar = loadVectorIndex(dir, 'pool');
    expect(viaSidecar.kind).toBe('hnsw');
    expect(plain(viaSidecar.search(queries, 3))).toEqual(plain(index.search(queries, 3)));
    // A loaded index keeps growing.
    loaded.add(vectors.subarray(2000 * DIM, 2100 * DIM), ids.slice(0, 100).map((id) => `${id}-more`));
    expect(loaded.size).toBe(2100);
    expect(loaded.idOf(2050)).toBe('doc-50-more');
  });

  it('a reloaded exact index answers exactly like the original', () => {
    const dir = tempDir();
    const index = new ExactIndex({ metric: 'ip', dim: DIM, engine: 'js' });
    index.add(vectors.subarray(0, 1000 * DIM));
    index.save(dir);
    expect(loadVectorIndex(dir).kind).toBe('exact');
    // Same engine as the original: the engines differ in float rounding, not in what they return.
    const loaded = ExactIndex.load(dir, 'index', { engine: 'js' });
    expect(plain(loaded.search(queries, 10))).toEqual(plain(index.search(queries, 10)));
    expect(loaded.idOf(7)).toBe('7');
    loaded.dispose();
  });

  describe('bad files give clear errors', () => {
    const saved = () => {
      const dir = tempDir();
      const index = new HnswIndex({ metric: 'ip', dim: 8 });
      index.add(gaussian(300, 8, 4));
      index.save(dir);
      return dir;
    };

    it('a folder without an index', () => {
      const dir = tempDir();
      expect(() => HnswIndex.load(dir)).toThrow(VectorIndexError);
      expect(() => loadVectorIndex(dir)).toThrow(/index\.json: no vector index here \(the sidecar is missing\)/);
    });

    it('a truncated data file', () => {
      const dir = saved();
      const size = readFileSync(join(dir, 'index.hnsw')).length;
      truncateSync(join(dir, 'index.hnsw'), size - 100);
      expect(() => HnswIndex.load(dir)).toThrow(new RegExp(`index\\.hnsw: truncated: ${size - 100} bytes, the sidecar says ${size}`));
    });

    it('a data file changed after saving', () => {
      const dir = saved();
      const bytes = readFileSync(join(dir, 'index.hnsw'));
      bytes[bytes.length - 5] = at(bytes, -5) ^ 0xff;
      writeFileSync(join(dir, 'index.hnsw'), bytes);
      expect(() => HnswIndex.load(dir)).toThrow(/index\.hnsw: content differs from what was saved \(sha256 mismatch\)/);
    });

    it('a missing data file, a sidecar of the other kind, a sidecar that is not one', () => {
      const dir = saved();
      rmSync(join(dir, 'index.hnsw'));
      expect(() => HnswIndex.load(dir)).toThrow(/index\.hnsw: missing \(named by .*index\.json\)/);
      const exactDir = tempDir();
      new ExactIndex({ metric: 'ip', dim: 2 }).save(exactDir);
      expect(() => HnswIndex.load(exactDir)).toThrow(/holds an index of kind exact, not hnsw/);
      writeFileSync(join(exactDir, 'index.json'), '{"format": "something-else"}');
      expect(() => loadVectorIndex(exactDir)).toThrow(/format is "something-else", expected "retort-vector-index"/);
      writeFileSync(join(exactDir, 'index.json'), '{not json');
      expect(() => loadVectorIndex(exactDir)).toThrow(/index\.json: not a vector index sidecar/);
    });

    it('an hnswlib file that does not match its sidecar', () => {
      const dir = saved();
      const other = tempDir();
      const index = new HnswIndex({ metric: 'ip', dim: 8 });
      index.add(gaussian(200, 8, 5));
      index.save(other);
      // Put the other index's file in place, with a sidecar updated to its size and checksum only.
      const sidecar = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
      const otherSidecar = JSON.parse(readFileSync(join(other, 'index.json'), 'utf8'));
      writeFileSync(join(dir, 'index.hnsw'), readFileSync(join(other, 'index.hnsw')));
      writeFileSync(join(dir, 'index.json'), JSON.stringify({ ...sidecar, bytes: otherSidecar.bytes, sha256: otherSidecar.sha256, ids: null }));
      expect(() => HnswIndex.load(dir)).toThrow(/index\.hnsw: holds 200 vectors, the sidecar says 300 of dimension 8/);
    });
  });
});

describe('recallAtK', () => {
  const n = (rows: number[]): Neighbors => ({ rows: Int32Array.from(rows), scores: new Float32Array(rows.length) });
  it('is the mean share of the exact top k found, whatever the order', () => {
    expect(recallAtK([n([3, 1, 2]), n([9, 8, 7])], [n([1, 2, 3]), n([7, 5, 6])])).toBeCloseTo((1 + 1 / 3) / 2, 10);
    expect(recallAtK([n([1, 9])], [n([1, 2, 3])], 2)).toBe(0.5);
    expect(() => recallAtK([n([1])], [])).toThrow(/same queries/);
  });
});
