// The batch addon's bfloat16 walk (quantize: 'bf16'): the graph walked on bfloat16 rows, the
// candidates re-ranked with hnswlib's own float distance. Its answers must not depend on the CPU
// (the AVX2 and portable kernels sum in one order), its scores must be hnswlib's, and its recall
// that of the float walk.
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrateEfSearch } from '../../src/lib/nn/index/calibrate.js';
import { ExactIndex } from '../../src/lib/nn/index/exact.js';
import { HnswIndex } from '../../src/lib/nn/index/hnsw.js';
import type { SearchSettings } from '../../src/lib/nn/index/native-hnsw.js';
import { builtAddon, searchRaw } from './hnsw-native.js';
import { recallAtK } from '../../src/lib/nn/index/recall.js';
import { VectorIndexError, type Metric } from '../../src/lib/nn/index/types.js';
import { clustered, gaussian } from './gaussian.js';

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'retort-hnsw-bf16-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const cpuHasAvx2 = /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

function saved(metric: Metric, dim: number, vectors: Float32Array) {
  const dir = tempDir();
  const index = new HnswIndex({ metric, dim, M: 8, efConstruction: 60, seed: 3, engine: 'native' });
  index.add(vectors);
  index.save(dir);
  return { index, dir, file: join(dir, 'index.hnsw') };
}

const bf16 = (simd: boolean, group: number): SearchSettings => ({ layout: 'locality', simd, quantize: 'bf16', hugePages: true, prefetch: 'all', group, screen: false });

describe('HNSW bfloat16 walk with float re-ranking', () => {
  for (const [metric, dim] of [['cosine', 37], ['ip', 100], ['cosine', 128]] as const) {
    it(`answers the same with and without AVX2, one or several queries at once (${metric}, dim ${dim})`, () => {
      const ref = saved(metric, dim, gaussian(3000, dim, 11));
      const queries = gaussian(300, dim, 12);
      const graph = new (builtAddon().Graph)(metric, dim, ref.file);
      expect(graph.configureSearch(bf16(false, 1))).toBe('hnswlib');
      graph.setEf(20);
      const portable = searchRaw(graph, queries, dim, 10);
      for (const [simd, group] of [[true, 1], [true, 8], [false, 5]] as const) {
        expect(graph.configureSearch(bf16(simd, group))).toBe(simd && cpuHasAvx2 ? 'avx2' : 'hnswlib');
        const other = searchRaw(graph, queries, dim, 10);
        expect(other.rows).toEqual(portable.rows);
        expect(other.distances).toEqual(portable.distances);
      }
      // Half the float rows' bytes (rows padded to 64 bytes), beside the links.
      expect(graph.layoutBytes()).toBeLessThan(3000 * (Math.ceil((dim * 2) / 64) * 64 + 33 * 4 + 64) + (4 << 20));
      graph.close();
    });
  }

  it('returns hnswlib\'s own float distance for every hit (the scores of the float walk, to the bit)', () => {
    const dim = 48;
    const ref = saved('cosine', dim, gaussian(3000, dim, 21));
    const queries = gaussian(200, dim, 22);
    const graph = new (builtAddon().Graph)('cosine', dim, ref.file);
    graph.setEf(200);
    graph.configureSearch({ ...bf16(true, 8), quantize: 'none', simd: false });
    const float = searchRaw(graph, queries, dim, 10);
    graph.configureSearch(bf16(true, 8));
    const half = searchRaw(graph, queries, dim, 10);
    let shared = 0;
    half.rows.forEach((row, i) => {
      const q = Math.floor(i / 10);
      const j = float.rows.slice(q * 10, q * 10 + 10).indexOf(row);
      if (j < 0) return;
      shared++;
      expect(half.distances[i]).toBe(float.distances[q * 10 + j]);
    });
    expect(shared).toBeGreaterThan(0.99 * half.rows.length);
    graph.close();
  });

  for (const [name, make] of [['random', gaussian], ['clustered', clustered]] as const) {
    it(`reaches recall 0.98 at a calibrated efSearch on ${name} data, as the float walk does at the same efSearch`, () => {
      const dim = 64;
      const vectors = make(5000, dim, 31);
      const queries = make(400, dim, 32);
      const exact = new ExactIndex({ metric: 'cosine', dim, engine: 'js' });
      exact.add(vectors);
      const truth = exact.search(queries, 10);
      const index = new HnswIndex({ metric: 'cosine', dim, M: 12, efConstruction: 100, quantize: 'bf16', engine: 'native' });
      index.add(vectors);
      const calibration = calibrateEfSearch(index, queries.subarray(0, 200 * dim), truth.slice(0, 200), { k: 10, targetRecall: 0.98 });
      expect(calibration.reached).toBe(true);
      index.efSearch = calibration.efSearch;
      const held = recallAtK(index.search(queries.subarray(200 * dim), 10), truth.slice(200), 10);
      const dir = tempDir();
      index.save(dir);
      const float = HnswIndex.load(dir, 'index', { engine: 'native', quantize: 'none', efSearch: calibration.efSearch });
      const floatHeld = recallAtK(float.search(queries.subarray(200 * dim), 10), truth.slice(200), 10);
      expect(Math.abs(held - floatHeld)).toBeLessThanOrEqual(0.005);
    });
  }

  it('is saved with the index, and the reloaded index answers like the original', () => {
    const dim = 32;
    const vectors = gaussian(1500, dim, 41);
    const queries = gaussian(100, dim, 42);
    const index = new HnswIndex({ metric: 'cosine', dim, M: 8, efConstruction: 60, efSearch: 24, quantize: 'bf16', engine: 'native' });
    index.add(vectors);
    const dir = tempDir();
    index.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).params.quantize).toBe('bf16');
    const loaded = HnswIndex.load(dir, 'index', { engine: 'native' });
    expect(loaded.params.quantize).toBe('bf16');
    expect(loaded.search(queries, 10)).toEqual(index.search(queries, 10));
  });

  it('reports a truncated index file, naming it', () => {
    const dim = 16;
    const index = new HnswIndex({ metric: 'ip', dim, M: 8, efConstruction: 40, quantize: 'bf16', engine: 'native' });
    index.add(gaussian(300, dim, 51));
    const dir = tempDir();
    index.save(dir);
    const file = join(dir, 'index.hnsw');
    const size = statSync(file).size;
    truncateSync(file, size - 64);
    expect(() => HnswIndex.load(dir, 'index', { engine: 'native' })).toThrow(VectorIndexError);
    expect(() => HnswIndex.load(dir, 'index', { engine: 'native' })).toThrow(new RegExp(`index\\.hnsw: truncated: ${size - 64} bytes, the sidecar says ${size}`));
  });

  it('rejects an unknown quantize with the choices', () => {
    expect(() => new HnswIndex({ metric: 'ip', dim: 4, quantize: 'fp8' as 'bf16' })).toThrow(new VectorIndexError("HNSW parameter quantize must be 'none', 'bf16' or 'int8', got fp8"));
    const graph = new (builtAddon().Graph)('ip', 8, 10, 8, 40, 1);
    expect(() => graph.configureSearch({ ...bf16(true, 1), quantize: 'fp8' as 'bf16' })).toThrow("quantize must be 'none', 'bf16' or 'int8'");
    graph.close();
  });
});
