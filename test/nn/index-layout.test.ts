// The batch addon's search layout (src/lib/nn/index/native/search_layout.h): a renumbered copy of
// the graph that answers under the original labels, AVX2 distances that differ from hnswlib's by
// rounding only, and the opt-in uint8 walk with float re-ranking.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrateEfSearch } from '../../src/lib/nn/index/calibrate.js';
import { ExactIndex } from '../../src/lib/nn/index/exact.js';
import { HnswIndex } from '../../src/lib/nn/index/hnsw.js';
import { builtAddon, searchRaw } from './hnsw-native.js';
import { recallAtK } from '../../src/lib/nn/index/recall.js';
import { VectorIndexError, type Metric, type Neighbors } from '../../src/lib/nn/index/types.js';
import { gaussian } from './gaussian.js';
import { agreement } from './hnsw-agreement.js';
import { at } from '../util/at.js';

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'retort-hnsw-layout-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** What the CPU offers, read independently of the addon's own check. */
const cpuHasAvx2 = /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8')) && /\bfma\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

/** An index built and saved by hnswlib-node: the reference every layout is compared with. */
function reference(metric: Metric, dim: number, count: number, seed: number) {
  const dir = tempDir();
  const index = new HnswIndex({ metric, dim, M: 8, efConstruction: 60, seed, engine: 'hnswlib-node' });
  index.add(gaussian(count, dim, seed));
  index.save(dir);
  return { index, file: join(dir, 'index.hnsw'), dir };
}

/** The reference's answers in the raw addon's form (rows and 1 − score), k slots per query. */
function flatten(hits: Neighbors[], k: number) {
  const rows = new Int32Array(hits.length * k).fill(-1);
  const distances = new Float32Array(hits.length * k).fill(Infinity);
  hits.forEach((h, q) => h.rows.forEach((r, i) => { rows[q * k + i] = r; distances[q * k + i] = 1 - at(h.scores, i); }));
  return { rows, distances };
}

describe('HNSW search layout', () => {
  const walks = [['insertion', 'next', 1], ['locality', 'next', 1], ['locality', 'all', 1], ['locality', 'all', 8], ['insertion', 'next', 3], ['locality', 'all', 64]] as const;
  for (const [layout, prefetch, group] of walks) {
    it(`in ${layout} order with hnswlib's distance (prefetch ${prefetch}, ${group} queries at once), answers exactly as hnswlib-node, under the original labels`, () => {
      const dim = 24;
      const ref = reference('cosine', dim, 3000, 21);
      const queries = gaussian(300, dim, 22);
      const graph = new (builtAddon().Graph)('cosine', dim, ref.file);
      expect(graph.configureSearch({ layout, simd: false, quantize: 'none', hugePages: true, prefetch, group, screen: false })).toBe('hnswlib');
      for (const ef of [10, 50]) {
        graph.setEf(ef);
        ref.index.efSearch = ef;
        const ours = searchRaw(graph, queries, dim, 10);
        const theirs = flatten(ref.index.search(queries, 10), 10);
        expect(Array.from(ours.rows)).toEqual(Array.from(theirs.rows));
        expect(Array.from(ours.distances)).toEqual(Array.from(theirs.distances.map((d) => Math.fround(d))));
      }
      expect(graph.layoutBytes()).toBeGreaterThan(3000 * dim * 4);
      graph.close();
    });
  }

  for (const [metric, dim] of [['cosine', 24], ['cosine', 128], ['ip', 100]] as const) {
    it(`with AVX2 distances (what the uint8 walk uses) agrees with hnswlib-node up to rounding (${metric}, dim ${dim})`, () => {
      const ref = reference(metric, dim, 2500, 31);
      const queries = gaussian(400, dim, 32);
      const ours = HnswIndex.load(ref.dir, 'index', { engine: 'native', efSearch: 40 });
      ref.index.efSearch = 40;
      const { shared, worstScore } = agreement(ours.search(queries, 10), ref.index.search(queries, 10));
      expect(shared).toBeGreaterThanOrEqual(0.995);
      expect(worstScore).toBeLessThan(1e-5);
      const graph = new (builtAddon().Graph)(metric, dim, ref.file);
      expect(graph.configureSearch({ layout: 'locality', simd: true, quantize: 'none', hugePages: true, prefetch: 'all', group: 1, screen: false })).toBe(cpuHasAvx2 ? 'avx2' : 'hnswlib');
      expect(graph.configureSearch({ layout: 'hnswlib', simd: true, quantize: 'none', hugePages: true, prefetch: 'all', group: 1, screen: false })).toBe('none');
      graph.close();
    });
  }

  it('is rebuilt after vectors are added, so new vectors are found', () => {
    const dim = 16;
    const index = new HnswIndex({ metric: 'cosine', dim, M: 8, efConstruction: 40, efSearch: 40, engine: 'native' });
    index.add(gaussian(500, dim, 41));
    index.search(gaussian(5, dim, 42), 3); // builds the layout for the first 500 vectors
    const more = gaussian(200, dim, 43);
    index.add(more);
    // Each new vector is its own nearest neighbour (cosine 1); a stale layout would know none of them.
    const found = index.search(more, 1).filter((h, i) => h.rows[0] === 500 + i).length;
    expect(found).toBeGreaterThanOrEqual(196);
  });

  it('survives the visited-mark counter wrapping (more than 65,535 queries) with unchanged answers', () => {
    const dim = 4;
    const ref = reference('ip', dim, 300, 51);
    const queries = gaussian(70_000, dim, 52);
    const graph = new (builtAddon().Graph)('ip', dim, ref.file);
    graph.configureSearch({ layout: 'locality', simd: false, quantize: 'none', hugePages: false, prefetch: 'all', group: 1, screen: false });
    graph.setEf(20);
    ref.index.efSearch = 20;
    const ours = searchRaw(graph, queries, dim, 5);
    const tail = queries.subarray(66_000 * dim);
    const theirs = flatten(ref.index.search(tail, 5), 5);
    expect(Array.from(ours.rows.subarray(66_000 * 5))).toEqual(Array.from(theirs.rows));
    graph.close();
  });

  it('walking several queries at once gives every query the answer it gets alone: ip, k above efSearch, batches not a multiple of the group, more slots than queries', () => {
    const dim = 40;
    const ref = reference('ip', dim, 2000, 55);
    const queries = gaussian(203, dim, 56);
    const graph = new (builtAddon().Graph)('ip', dim, ref.file);
    for (const [ef, k] of [[5, 30], [40, 10]] as const) {
      graph.setEf(ef);
      ref.index.efSearch = ef;
      const theirs = flatten(ref.index.search(queries, k), k);
      for (const group of [2, 7, 64]) {
        graph.configureSearch({ layout: 'locality', simd: false, quantize: 'none', hugePages: false, prefetch: 'all', group, screen: false });
        const ours = searchRaw(graph, queries, dim, k);
        expect(Array.from(ours.rows)).toEqual(Array.from(theirs.rows));
        expect(Array.from(ours.distances)).toEqual(Array.from(theirs.distances.map((d) => Math.fround(d))));
        expect(Array.from(searchRaw(graph, queries.subarray(0, 3 * dim), dim, k).rows)).toEqual(Array.from(theirs.rows.subarray(0, 3 * k)));
      }
    }
    graph.close();
  });

  for (const [metric, dim] of [['cosine', 64], ['ip', 40]] as const) {
    it(`screened by uint8 codes, the float walk still answers exactly as hnswlib-node (${metric}, one and several queries at once)`, () => {
      const ref = reference(metric, dim, 3000, 71);
      const queries = gaussian(300, dim, 72);
      const graph = new (builtAddon().Graph)(metric, dim, ref.file);
      for (const ef of [10, 40]) {
        graph.setEf(ef);
        ref.index.efSearch = ef;
        const theirs = flatten(ref.index.search(queries, 10), 10);
        for (const group of [1, 8]) {
          graph.configureSearch({ layout: 'locality', simd: false, quantize: 'none', hugePages: true, prefetch: 'all', group, screen: true });
          const ours = searchRaw(graph, queries, dim, 10);
          expect(Array.from(ours.rows)).toEqual(Array.from(theirs.rows));
          expect(Array.from(ours.distances)).toEqual(Array.from(theirs.distances.map((d) => Math.fround(d))));
        }
      }
      // It holds the codes as well as the float rows.
      expect(graph.layoutBytes()).toBeGreaterThan(3000 * dim * 5);
      graph.close();
    });
  }

  it('answers an empty graph with empty slots', () => {
    const graph = new (builtAddon().Graph)('ip', 8, 10, 8, 40, 1);
    for (const group of [1, 8]) {
      graph.configureSearch({ layout: 'locality', simd: false, quantize: 'none', hugePages: false, prefetch: 'all', group, screen: false });
      const { rows, distances } = searchRaw(graph, new Float32Array(16), 8, 3);
      expect(Array.from(rows)).toEqual([-1, -1, -1, -1, -1, -1]);
      expect(Array.from(distances)).toEqual(new Array(6).fill(Infinity));
    }
    graph.close();
  });

  it('rejects bad search settings with a clear message', () => {
    const graph = new (builtAddon().Graph)('ip', 8, 10, 8, 40, 1);
    expect(() => graph.configureSearch({ layout: 'zigzag' as 'locality', simd: true, quantize: 'none', hugePages: true, prefetch: 'all', group: 1, screen: false })).toThrow("layout must be 'hnswlib', 'insertion' or 'locality'");
    expect(() => graph.configureSearch({ layout: 'locality', simd: true, quantize: 'int4' as 'int8', hugePages: true, prefetch: 'all', group: 1, screen: false })).toThrow("quantize must be 'none', 'bf16' or 'int8'");
    expect(() => graph.configureSearch({ layout: 'locality', simd: 1 as unknown as boolean, quantize: 'none', hugePages: true, prefetch: 'all', group: 1, screen: false })).toThrow('simd and hugePages must be booleans');
    expect(() => graph.configureSearch({ layout: 'locality', simd: true, quantize: 'none', hugePages: true, prefetch: 'some' as 'all', group: 1, screen: false })).toThrow("prefetch must be 'next' or 'all'");
    for (const group of [0, 65, 2.5, '4' as unknown as number]) {
      expect(() => graph.configureSearch({ layout: 'locality', simd: true, quantize: 'none', hugePages: true, prefetch: 'all', group, screen: false })).toThrow('group must be an integer from 1 to 64');
    }
    expect(() => graph.configureSearch({ layout: 'locality', simd: true, quantize: 'none', hugePages: true, prefetch: 'all', group: 1, screen: 'yes' as unknown as boolean })).toThrow('screen must be a boolean');
    graph.close();
    expect(() => new HnswIndex({ metric: 'ip', dim: 4, quantize: 'int4' as 'int8' })).toThrow(new VectorIndexError("HNSW parameter quantize must be 'none', 'bf16' or 'int8', got int4"));
  });
});

describe('HNSW uint8 traversal with float re-ranking', () => {
  const dim = 32;
  const vectors = gaussian(4000, dim, 61);
  const queries = gaussian(400, dim, 62);
  const exact = new ExactIndex({ metric: 'cosine', dim, engine: 'js' });
  exact.add(vectors);
  const truth = exact.search(queries, 10);

  it('is off by default and saved with the index when asked for', () => {
    expect(new HnswIndex({ metric: 'cosine', dim }).params.quantize).toBe('none');
    const dir = tempDir();
    const index = new HnswIndex({ metric: 'cosine', dim, M: 8, efConstruction: 60, quantize: 'int8', engine: 'native' });
    index.add(vectors.subarray(0, 500 * dim));
    index.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).params.quantize).toBe('int8');
    const loaded = HnswIndex.load(dir, 'index', { engine: 'native' });
    expect(loaded.params.quantize).toBe('int8');
    expect(loaded.search(queries, 5)).toEqual(index.search(queries, 5));
    // A search setting: loading may override it, and the float walk answers as a float index does.
    const float = HnswIndex.load(dir, 'index', { engine: 'native', quantize: 'none' });
    expect(float.params.quantize).toBe('none');
    const fresh = new HnswIndex({ metric: 'cosine', dim, M: 8, efConstruction: 60, engine: 'native' });
    fresh.add(vectors.subarray(0, 500 * dim));
    expect(float.search(queries, 5)).toEqual(fresh.search(queries, 5));
  });

  it('reaches recall 0.98 against exact float search at a calibrated efSearch, and returns float scores', () => {
    const index = new HnswIndex({ metric: 'cosine', dim, M: 12, efConstruction: 100, quantize: 'int8', engine: 'native' });
    index.add(vectors);
    const half = 200 * dim;
    const calibration = calibrateEfSearch(index, queries.subarray(0, half), truth.slice(0, 200), { k: 10, targetRecall: 0.98 });
    expect(calibration.reached).toBe(true);
    expect(calibration.recall).toBeGreaterThanOrEqual(0.98);
    index.efSearch = calibration.efSearch;
    const held = index.search(queries.subarray(half), 10);
    expect(recallAtK(held, truth.slice(200), 10)).toBeGreaterThanOrEqual(0.97);
    // Every returned score is the float cosine exact search gives that row (re-ranked, not approximate).
    let worst = 0;
    held.forEach((hits, q) => hits.rows.forEach((row, i) => {
      const exact = at(truth, 200 + q);
      const j = exact.rows.indexOf(row);
      if (j >= 0) worst = Math.max(worst, Math.abs(at(hits.scores, i) - at(exact.scores, j)));
    }));
    expect(worst).toBeLessThan(1e-5);
  });

  it('without the addon, an int8 index searches hnswlib-node in float, with the same graph', () => {
    const saved = process.env.RETORT_NO_HNSW_ADDON;
    process.env.RETORT_NO_HNSW_ADDON = '1';
    try {
      const index = new HnswIndex({ metric: 'cosine', dim, M: 8, efConstruction: 60, efSearch: 30, quantize: 'int8' });
      expect(index.engine).toBe('hnswlib-node');
      index.add(vectors.subarray(0, 1000 * dim));
      const plainFloat = new HnswIndex({ metric: 'cosine', dim, M: 8, efConstruction: 60, efSearch: 30, engine: 'hnswlib-node' });
      plainFloat.add(vectors.subarray(0, 1000 * dim));
      expect(index.search(queries, 10)).toEqual(plainFloat.search(queries, 10));
    } finally {
      if (saved === undefined) delete process.env.RETORT_NO_HNSW_ADDON;
      else process.env.RETORT_NO_HNSW_ADDON = saved;
    }
  });

  it('walks on codes: at a small efSearch its hits differ from the float walk on the same graph', () => {
    const dir = tempDir();
    const index = new HnswIndex({ metric: 'cosine', dim, M: 8, efConstruction: 60, efSearch: 10, engine: 'native' });
    index.add(vectors);
    index.save(dir);
    const float = index.search(queries, 10);
    const graph = new (builtAddon().Graph)('cosine', dim, join(dir, 'index.hnsw'));
    graph.configureSearch({ layout: 'locality', simd: true, quantize: 'int8', hugePages: true, prefetch: 'all', group: 1, screen: false });
    graph.setEf(10);
    const { rows } = searchRaw(graph, queries, dim, 10);
    const differing = float.filter((h, q) => h.rows.some((r, i) => r !== rows[q * 10 + i])).length;
    expect(differing).toBeGreaterThan(0);
    graph.close();
  });

  it('walked several queries at once, answers exactly as walked one at a time (hits and re-ranked scores)', () => {
    const dir = tempDir();
    const index = new HnswIndex({ metric: 'cosine', dim, M: 8, efConstruction: 60, engine: 'native' });
    index.add(vectors);
    index.save(dir);
    const graph = new (builtAddon().Graph)('cosine', dim, join(dir, 'index.hnsw'));
    for (const ef of [10, 60]) {
      graph.setEf(ef);
      graph.configureSearch({ layout: 'locality', simd: true, quantize: 'int8', hugePages: true, prefetch: 'all', group: 1, screen: false });
      const alone = searchRaw(graph, queries, dim, 10);
      for (const group of [4, 13]) {
        graph.configureSearch({ layout: 'locality', simd: true, quantize: 'int8', hugePages: true, prefetch: 'all', group, screen: false });
        const together = searchRaw(graph, queries, dim, 10);
        expect(Array.from(together.rows)).toEqual(Array.from(alone.rows));
        expect(Array.from(together.distances)).toEqual(Array.from(alone.distances));
      }
    }
    graph.close();
  });
});
