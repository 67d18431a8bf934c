// efSearch from a recall target: the smallest value that reaches it, measured against exact search.
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/lib/nn/train/rng.js';
import { calibrateEfSearch } from '../../src/lib/nn/index/calibrate.js';
import { ExactIndex } from '../../src/lib/nn/index/exact.js';
import { HnswIndex } from '../../src/lib/nn/index/hnsw.js';
import { recallAtK } from '../../src/lib/nn/index/recall.js';
import type { Neighbors } from '../../src/lib/nn/index/types.js';

const DIM = 24;
const rng = new Rng(5);
const uniform = (count: number) => Float32Array.from({ length: count * DIM }, () => rng.next() - 0.5);
const vectors = uniform(2000);
const queries = uniform(100);
let index: HnswIndex;
let truth: Neighbors[];

beforeAll(() => {
  index = new HnswIndex({ metric: 'ip', dim: DIM, M: 6, efConstruction: 30, efSearch: 77, seed: 2 });
  index.add(vectors);
  const exact = new ExactIndex({ metric: 'ip', dim: DIM, engine: 'js' });
  exact.add(vectors);
  truth = exact.search(queries, 10);
});

const recallWith = (ef: number): number => {
  index.efSearch = ef;
  return recallAtK(index.search(queries, 10), truth, 10);
};

describe('calibrateEfSearch', () => {
  it('finds the smallest efSearch whose recall@10 reaches the target, and leaves the index as it was', () => {
    const result = calibrateEfSearch(index, queries, truth, { k: 10, targetRecall: 0.97 });
    expect(result.reached).toBe(true);
    expect(result.efSearch).toBeGreaterThan(10); // this data is hard enough to need more than k
    expect(index.efSearch).toBe(77);
    expect(result.recall).toBe(recallWith(result.efSearch));
    expect(result.recall).toBeGreaterThanOrEqual(0.97);
    expect(recallWith(result.efSearch - 1)).toBeLessThan(0.97);
    expect(result.tried.map((t) => t.efSearch).slice(0, 2)).toEqual([10, 20]);
  });

  it('says so when no efSearch up to maxEf reaches the target', () => {
    const result = calibrateEfSearch(index, queries, truth, { k: 10, targetRecall: 1, maxEf: 12 });
    expect(result).toMatchObject({ efSearch: 12, reached: false });
    expect(result.recall).toBeLessThan(1);
    expect(result.tried.map((t) => t.efSearch)).toEqual([10, 12]);
  });

  it('rejects a target outside (0, 1] and a maxEf below k', () => {
    expect(() => calibrateEfSearch(index, queries, truth, { k: 10, targetRecall: 1.5 })).toThrow(/targetRecall must be in \(0, 1\], got 1.5/);
    expect(() => calibrateEfSearch(index, queries, truth, { k: 10, maxEf: 5 })).toThrow(/maxEf must be an integer ≥ k \(10\), got 5/);
  });
});
