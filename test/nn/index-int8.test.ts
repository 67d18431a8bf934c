// The uint8 walk's codes (quantize: 'int8', native/quantizer.h) on data with outliers: each
// dimension's range is fenced from robust quantiles rather than its extremes, so a few huge values
// do not coarsen every code of their dimension; the rows whose codes clip a value are walked in float.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrateEfSearch } from '../../src/lib/nn/index/calibrate.js';
import { ExactIndex } from '../../src/lib/nn/index/exact.js';
import { HnswIndex } from '../../src/lib/nn/index/hnsw.js';
import type { SearchSettings } from '../../src/lib/nn/index/native-hnsw.js';
import { builtAddon, searchRaw } from './hnsw-native.js';
import { recallAtK } from '../../src/lib/nn/index/recall.js';
import type { Metric, Neighbors } from '../../src/lib/nn/index/types.js';
import { addOutliers, clustered, gaussian, heavyTailed } from './gaussian.js';

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'retort-hnsw-int8-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** An index of `vectors` built by the addon and saved; the file is hnswlib's. */
function saved(metric: Metric, dim: number, vectors: Float32Array, M = 12, efConstruction = 100) {
  const dir = tempDir();
  const index = new HnswIndex({ metric, dim, M, efConstruction, seed: 5, engine: 'native' });
  index.add(vectors);
  index.save(dir);
  return { index, dir, file: join(dir, 'index.hnsw') };
}

function truthOf(metric: Metric, dim: number, vectors: Float32Array, queries: Float32Array, k: number): Neighbors[] {
  const exact = new ExactIndex({ metric, dim, engine: 'js' });
  exact.add(vectors);
  return exact.search(queries, k);
}

/** Recall@10 of the float and of the uint8 walk over the same saved index, at each efSearch. */
function recallsAt(dir: string, queries: Float32Array, truth: Neighbors[], efs: number[]): { ef: number; float: number; coded: number }[] {
  const float = HnswIndex.load(dir, 'index', { engine: 'native', quantize: 'none' });
  const coded = HnswIndex.load(dir, 'index', { engine: 'native', quantize: 'int8' });
  return efs.map((ef) => {
    float.efSearch = ef;
    coded.efSearch = ef;
    return { ef, float: recallAtK(float.search(queries, 10), truth, 10), coded: recallAtK(coded.search(queries, 10), truth, 10) };
  });
}

const int8 = (group: number, layout: SearchSettings['layout'] = 'locality'): SearchSettings =>
  ({ layout, simd: true, quantize: 'int8', hugePages: true, prefetch: 'all', group, screen: false });

describe('HNSW uint8 codes (quantize: int8)', () => {
  it('keep the recall@10 of the float walk at the same efSearch when every dimension has a huge outlier at each end', () => {
    const dim = 128;
    const vectors = clustered(5000, dim, 31);
    addOutliers(vectors, dim);
    const queries = clustered(400, dim, 32);
    const truth = truthOf('cosine', dim, vectors, queries, 10);
    const { dir } = saved('cosine', dim, vectors);
    // Ranges from each dimension's extremes (±1 after normalising, against ±0.4 for the rest) lose
    // 0.06 at efSearch 16 and 0.02 at 24 here.
    for (const { float, coded } of recallsAt(dir, queries, truth, [16, 24])) {
      expect(float).toBeGreaterThan(0.9);
      expect(coded).toBeGreaterThanOrEqual(float - 0.015);
    }
  });

  it('walk the rows whose codes clip on their float rows: on random data, where outliers are often among the nearest, recall stays the float walk\'s', () => {
    const dim = 128;
    const vectors = gaussian(5000, dim, 41);
    addOutliers(vectors, dim);
    const queries = gaussian(400, dim, 42);
    const truth = truthOf('cosine', dim, vectors, queries, 10);
    const nearest = new Set(truth.flatMap((t) => Array.from(t.rows)));
    // Row 1 is the outlier of dimension 0 (addOutliers); a query with a large value there has it near.
    expect(addOutliers(new Float32Array(5000 * dim), dim).filter((row) => nearest.has(row)).length).toBeGreaterThan(50);
    const { dir } = saved('cosine', dim, vectors);
    // Walked on their clipped codes alone, the outliers cost 0.024 at both efSearch values here.
    for (const { float, coded } of recallsAt(dir, queries, truth, [16, 24])) expect(coded).toBeGreaterThanOrEqual(float - 0.01);
  });

  const kinds = [
    ['random', gaussian, false],
    ['clustered', clustered, false],
    ['heavy-tailed (Student t, 3 degrees of freedom)', heavyTailed, false],
    ['clustered with outliers', clustered, true],
  ] as const;
  for (const [name, make, outliers] of kinds) {
    it(`at the float walk's efSearch for recall 0.98, recall within 0.005 of it on ${name} data`, () => {
      const dim = 64;
      const vectors = make(5000, dim, 71);
      if (outliers) addOutliers(vectors, dim);
      const queries = make(400, dim, 72);
      const truth = truthOf('cosine', dim, vectors, queries, 10);
      const { dir } = saved('cosine', dim, vectors);
      const float = HnswIndex.load(dir, 'index', { engine: 'native', quantize: 'none' });
      const calibration = calibrateEfSearch(float, queries.subarray(0, 200 * dim), truth.slice(0, 200), { k: 10, targetRecall: 0.98 });
      expect(calibration.reached).toBe(true);
      const held = (quantize: 'none' | 'int8') => {
        const index = HnswIndex.load(dir, 'index', { engine: 'native', quantize, efSearch: calibration.efSearch });
        return recallAtK(index.search(queries.subarray(200 * dim), 10), truth.slice(200), 10);
      };
      expect(Math.abs(held('int8') - held('none'))).toBeLessThanOrEqual(0.005);
    });
  }

  it('lose at most 0.015 of recall at the float walk\'s efSearch, and less than bfloat16 rows, when every vector shares one strong direction', () => {
    const dim = 64;
    const vectors = clustered(5000, dim, 81, 3);
    const queries = clustered(400, dim, 82, 3);
    const truth = truthOf('cosine', dim, vectors, queries, 10);
    const { dir } = saved('cosine', dim, vectors);
    const float = HnswIndex.load(dir, 'index', { engine: 'native', quantize: 'none' });
    const calibration = calibrateEfSearch(float, queries, truth, { k: 10, targetRecall: 0.98 });
    const recall = (quantize: 'none' | 'bf16' | 'int8') => {
      const index = HnswIndex.load(dir, 'index', { engine: 'native', quantize, efSearch: calibration.efSearch });
      return recallAtK(index.search(queries, 10), truth, 10);
    };
    expect(recall('int8')).toBeGreaterThanOrEqual(recall('none') - 0.015);
    expect(recall('int8')).toBeGreaterThan(recall('bf16'));
  });

  it('are the same for the same vectors: a reloaded index, a rebuilt one and either layout order answer identically', () => {
    const dim = 16;
    // More rows than the 32,768 the ranges are sampled from, so the sample's rows matter.
    const vectors = clustered(40_000, dim, 51);
    addOutliers(vectors, dim);
    const queries = clustered(300, dim, 52);
    const first = saved('cosine', dim, vectors, 8, 40);
    const second = saved('cosine', dim, vectors, 8, 40);
    const answers: ReturnType<typeof searchRaw>[] = [];
    for (const [file, layout, group] of [[first.file, 'locality', 1], [first.file, 'insertion', 1], [second.file, 'locality', 8], [second.file, 'insertion', 3]] as const) {
      const graph = new (builtAddon().Graph)('cosine', dim, file);
      graph.configureSearch(int8(group, layout));
      graph.setEf(10);
      answers.push(searchRaw(graph, queries, dim, 10));
      graph.close();
    }
    for (const other of answers.slice(1)) expect(other).toEqual(answers[0]);
    // Through HnswIndex: saved with quantize 'int8', reloaded, the same hits and scores.
    const index = HnswIndex.load(first.dir, 'index', { engine: 'native', quantize: 'int8', efSearch: 10 });
    const dir = tempDir();
    index.save(dir);
    const reloaded = HnswIndex.load(dir, 'index', { engine: 'native' });
    expect(reloaded.params.quantize).toBe('int8');
    expect(reloaded.search(queries, 10)).toEqual(index.search(queries, 10));
  });

  for (const metric of ['cosine', 'ip'] as const) {
    it(`screening the float walk by clipping codes still answers exactly as hnswlib's searchKnn (${metric})`, () => {
      const dim = 32;
      const vectors = gaussian(3000, dim, 61);
      addOutliers(vectors, dim, metric === 'ip' ? 40 : 1000);
      const queries = gaussian(300, dim, 62);
      const { file } = saved(metric, dim, vectors, 8, 60);
      const graph = new (builtAddon().Graph)(metric, dim, file);
      for (const ef of [10, 40]) {
        graph.setEf(ef);
        graph.configureSearch({ layout: 'hnswlib', simd: false, quantize: 'none', hugePages: false, prefetch: 'next', group: 1, screen: false });
        const theirs = searchRaw(graph, queries, dim, 10);
        for (const group of [1, 8]) {
          graph.configureSearch({ layout: 'locality', simd: false, quantize: 'none', hugePages: true, prefetch: 'all', group, screen: true });
          expect(searchRaw(graph, queries, dim, 10)).toEqual(theirs);
        }
      }
      graph.close();
    });
  }
});
