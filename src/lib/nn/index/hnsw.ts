// Approximate search with hnswlib (HNSW graphs, Malkov & Yashunin) through hnswlib-node.
//
// Rows are hnswlib labels (0, 1, … in insertion order). hnswlib reports distances: 1 − cos for
// `cosine` (it normalises vectors itself) and 1 − q·v for `ip`; scores here are 1 − distance. The
// graph is built single-threaded from a seeded generator, so the same vectors, parameters and seed
// give the same index and the same answers.

import { createRequire } from 'node:module';
import type * as Hnswlib from 'hnswlib-node';
import { IdTable, openSaved, saveWithSidecar } from './files.js';
import { sortNeighbors } from './topk.js';
import { VectorIndexError, checkDim, checkK, toMatrix, type Metric, type Neighbors, type VectorIndex, type Vectors } from './types.js';

// hnswlib-node is a CommonJS native addon; loading it through require keeps its classes intact.
const { HierarchicalNSW } = createRequire(import.meta.url)('hnswlib-node') as typeof Hnswlib;

export interface HnswParams {
  /** Links per node and layer (hnswlib's M); more links: better recall, more memory, slower build. */
  M: number;
  /** Candidate list size while building. */
  efConstruction: number;
  /** Candidate list size while searching (raised to k when k is larger). */
  efSearch: number;
  /** Seed of the level generator. */
  seed: number;
}

export const HNSW_DEFAULTS: HnswParams = { M: 16, efConstruction: 200, efSearch: 128, seed: 100 };

export interface HnswIndexOptions extends Partial<HnswParams> {
  metric: Metric;
  dim: number;
  /** Capacity to reserve up front; the index grows by doubling when it fills. */
  capacity?: number;
}

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly metric: Metric;
  readonly dim: number;
  readonly params: HnswParams;
  private native: Hnswlib.HierarchicalNSW;
  private capacity: number;
  private count = 0;
  private ids = new IdTable();

  constructor(options: HnswIndexOptions) {
    checkDim(options.dim);
    if (options.metric !== 'cosine' && options.metric !== 'ip') throw new VectorIndexError(`unknown metric ${String(options.metric)}`);
    this.metric = options.metric;
    this.dim = options.dim;
    this.params = { ...HNSW_DEFAULTS, ...definedOnly(options) };
    checkParams(this.params);
    this.capacity = Math.max(1, options.capacity ?? 1024);
    this.native = new HierarchicalNSW(this.metric, this.dim);
    this.native.initIndex(this.capacity, this.params.M, this.params.efConstruction, this.params.seed);
    this.native.setEf(this.params.efSearch);
  }

  get size(): number {
    return this.count;
  }

  /** Sets the search candidate list size (not saved unless the index is saved afterwards). */
  set efSearch(ef: number) {
    checkParams({ ...this.params, efSearch: ef });
    this.params.efSearch = ef;
    this.native.setEf(ef);
  }

  get efSearch(): number {
    return this.params.efSearch;
  }

  add(vectors: Vectors, ids?: readonly string[]): void {
    const { data, count } = toMatrix(vectors, this.dim);
    this.ids.append(count, ids);
    if (this.count + count > this.capacity) {
      this.capacity = Math.max(this.count + count, this.capacity * 2);
      this.native.resizeIndex(this.capacity);
    }
    const d = this.dim;
    const point = new Array<number>(d);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < d; j++) point[j] = data[i * d + j];
      this.native.addPoint(point, this.count + i);
    }
    this.count += count;
  }

  search(queries: Vectors, k: number): Neighbors[] {
    checkK(k);
    const { data, count } = toMatrix(queries, this.dim, 'query');
    const keep = Math.min(k, this.count);
    const d = this.dim;
    const point = new Array<number>(d);
    const out: Neighbors[] = [];
    for (let i = 0; i < count; i++) {
      if (keep === 0) {
        out.push({ rows: new Int32Array(0), scores: new Float32Array(0) });
        continue;
      }
      for (let j = 0; j < d; j++) point[j] = data[i * d + j];
      const { neighbors, distances } = this.native.searchKnn(point, keep);
      out.push(hitsOf(neighbors, distances));
    }
    return out;
  }

  idOf(row: number): string {
    return this.ids.idOf(row);
  }

  save(dir: string, name = 'index'): void {
    saveWithSidecar(dir, `${name}.hnsw`, (path) => this.native.writeIndexSync(path), {
      kind: 'hnsw', metric: this.metric, dim: this.dim, count: this.count, params: { ...this.params }, ids: this.ids.toJSON(),
    }, name);
  }

  /** Loads a saved index without rebuilding it; `efSearch` overrides the saved value. */
  static load(dir: string, name = 'index', options: { efSearch?: number } = {}): HnswIndex {
    const { sidecar, dataPath } = openSaved(dir, name, 'hnsw');
    const params = { ...HNSW_DEFAULTS, ...sidecar.params } as HnswParams;
    checkParams(params);
    const index = new HnswIndex({ metric: sidecar.metric, dim: sidecar.dim, ...params, capacity: 1 });
    try {
      index.native.readIndexSync(dataPath);
    } catch (e) {
      throw new VectorIndexError(`${dataPath}: hnswlib cannot read it (${(e as Error).message})`);
    }
    const found = index.native.getCurrentCount();
    if (found !== sidecar.count || index.native.getNumDimensions() !== sidecar.dim) {
      throw new VectorIndexError(`${dataPath}: holds ${found} vectors, the sidecar says ${sidecar.count} of dimension ${sidecar.dim}`);
    }
    index.count = found;
    index.capacity = index.native.getMaxElements();
    index.ids = IdTable.from(sidecar.ids, found);
    index.efSearch = options.efSearch ?? params.efSearch;
    return index;
  }

  dispose(): void {
    // The addon frees its memory when the wrapper is collected; drop our reference to it.
    this.native = new HierarchicalNSW(this.metric, this.dim);
    this.count = 0;
  }
}

/**
 * hnswlib returns hits by ascending distance already; only equal distances may need reordering
 * (earlier row first), so the sort runs only when a pair is out of that order.
 */
function hitsOf(neighbors: number[], distances: number[]): Neighbors {
  for (let i = 1; i < distances.length; i++) {
    if (distances[i] < distances[i - 1] || (distances[i] === distances[i - 1] && neighbors[i] < neighbors[i - 1])) {
      return sortNeighbors(neighbors, distances.map((x) => 1 - x));
    }
  }
  return { rows: Int32Array.from(neighbors), scores: Float32Array.from(distances, (x) => 1 - x) };
}

function definedOnly(options: HnswIndexOptions): Partial<HnswParams> {
  const out: Partial<HnswParams> = {};
  for (const key of ['M', 'efConstruction', 'efSearch', 'seed'] as const) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out;
}

function checkParams(p: HnswParams): void {
  for (const key of ['M', 'efConstruction', 'efSearch'] as const) {
    if (!Number.isInteger(p[key]) || p[key] < 1) throw new VectorIndexError(`HNSW parameter ${key} must be a positive integer, got ${p[key]}`);
  }
  if (p.M < 2) throw new VectorIndexError(`HNSW parameter M must be at least 2, got ${p.M}`);
  if (!Number.isInteger(p.seed) || p.seed < 0) throw new VectorIndexError(`HNSW seed must be a non-negative integer, got ${p.seed}`);
}
