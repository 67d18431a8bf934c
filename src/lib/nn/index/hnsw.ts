// Approximate search with hnswlib (HNSW graphs, Malkov & Yashunin) through hnswlib-node.
//
// Rows are hnswlib labels (0, 1, … in insertion order). hnswlib reports distances: 1 − cos for
// `cosine` (it normalises vectors itself) and 1 − q·v for `ip`; scores here are 1 − distance. The
// graph is built single-threaded from a seeded generator, so the same vectors, parameters and seed
// give the same index and the same answers. The graph lives in the optional addon of ./native when
// it is built (a batch of queries is one native call) and in hnswlib-node otherwise; both build
// the same graph and read and write hnswlib's own file format; the addon searches a copy laid out
// for searching and its answers differ from hnswlib-node's by float rounding only, unless
// `quantize: 'int8'` asks for its uint8 walk (./hnsw-graph.ts).

import { IdTable, openSaved, saveWithSidecar } from './files.js';
import { createGraph, readGraph, type HnswEngine, type HnswEngineChoice, type HnswGraph } from './hnsw-graph.js';
import type { Quantize } from './native-hnsw.js';
import { VectorIndexError, checkDim, checkK, toMatrix, type Metric, type Neighbors, type VectorIndex, type Vectors } from './types.js';

export interface HnswParams {
  /** Links per node and layer (hnswlib's M); more links: better recall, more memory, slower build. */
  M: number;
  /** Candidate list size while building. */
  efConstruction: number;
  /** Candidate list size while searching (raised to k when k is larger). */
  efSearch: number;
  /** Seed of the level generator. */
  seed: number;
  /**
   * `int8`: searches walk the graph on uint8 codes of the vectors (a quarter of the memory traffic;
   * each dimension's range fenced from robust quantiles, outlying values clipped and their rows
   * walked in float) and re-rank the candidates with float distances; `bf16`: the same on bfloat16
   * rows. Recall at a given efSearch can be a little lower, so calibrate efSearch
   * (calibrateEfSearch). Only the batch addon does this: through hnswlib-node searches stay float.
   * The graph and the saved file are the same either way.
   */
  quantize: Quantize;
}

/** The addon's integer code distances stay exact up to this width (native/distances.h). */
const MAX_QUANTIZED_DIM = 1024;

export const HNSW_DEFAULTS: HnswParams = { M: 16, efConstruction: 200, efSearch: 128, seed: 100, quantize: 'none' };

export interface HnswIndexOptions extends Partial<HnswParams> {
  metric: Metric;
  dim: number;
  /** Capacity to reserve up front; the index grows by doubling when it fills. */
  capacity?: number;
  /** Who holds the graph: `auto` (default) takes the addon when built. Not a parameter of the results. */
  engine?: HnswEngineChoice;
}

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly metric: Metric;
  readonly dim: number;
  readonly params: HnswParams;
  private graph: HnswGraph;
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
    if (this.params.quantize === 'int8' && this.dim > MAX_QUANTIZED_DIM) {
      throw new VectorIndexError(`HNSW quantize 'int8' supports at most ${MAX_QUANTIZED_DIM} dimensions, the index has ${this.dim}`);
    }
    this.capacity = Math.max(1, options.capacity ?? 1024);
    this.graph = createGraph(options.engine ?? 'auto', this, { ...this.params, capacity: this.capacity }, this.params.quantize);
    this.graph.setEf(this.params.efSearch);
  }

  /** Which code answers: the batch addon (`native`) or hnswlib-node, one query per call. */
  get engine(): HnswEngine {
    return this.graph.engine;
  }

  get size(): number {
    return this.count;
  }

  /** Sets the search candidate list size (not saved unless the index is saved afterwards). */
  set efSearch(ef: number) {
    checkParams({ ...this.params, efSearch: ef });
    this.params.efSearch = ef;
    this.graph.setEf(ef);
  }

  get efSearch(): number {
    return this.params.efSearch;
  }

  add(vectors: Vectors, ids?: readonly string[]): void {
    const { data, count } = toMatrix(vectors, this.dim);
    this.ids.append(count, ids);
    if (this.count + count > this.capacity) {
      this.capacity = Math.max(this.count + count, this.capacity * 2);
      this.graph.resize(this.capacity);
    }
    this.graph.add(data, count, this.count);
    this.count += count;
  }

  search(queries: Vectors, k: number): Neighbors[] {
    checkK(k);
    const { data, count } = toMatrix(queries, this.dim, 'query');
    const keep = Math.min(k, this.count);
    if (keep === 0) return Array.from({ length: count }, () => ({ rows: new Int32Array(0), scores: new Float32Array(0) }));
    return this.graph.search(data, count, keep);
  }

  idOf(row: number): string {
    return this.ids.idOf(row);
  }

  save(dir: string, name = 'index'): void {
    saveWithSidecar(dir, `${name}.hnsw`, (path) => this.graph.save(path), {
      kind: 'hnsw', metric: this.metric, dim: this.dim, count: this.count, params: { ...this.params }, ids: this.ids.toJSON(),
    }, name);
  }

  /** Loads a saved index without rebuilding it; `efSearch` and `quantize` (search settings) override the saved values. */
  static load(dir: string, name = 'index', options: { efSearch?: number; quantize?: Quantize; engine?: HnswEngineChoice } = {}): HnswIndex {
    const { sidecar, dataPath } = openSaved(dir, name, 'hnsw');
    const params = { ...HNSW_DEFAULTS, ...sidecar.params, ...(options.quantize === undefined ? {} : { quantize: options.quantize }) } as HnswParams;
    checkParams(params);
    const graph = readGraph(options.engine ?? 'auto', sidecar, dataPath, params.quantize);
    const found = graph.count();
    if (found !== sidecar.count) {
      graph.close();
      throw new VectorIndexError(`${dataPath}: holds ${found} vectors, the sidecar says ${sidecar.count} of dimension ${sidecar.dim}`);
    }
    // A one-slot placeholder graph stands in until the loaded one replaces it.
    const index = new HnswIndex({ metric: sidecar.metric, dim: sidecar.dim, ...params, capacity: 1, engine: graph.engine });
    index.graph.close();
    index.graph = graph;
    index.count = found;
    index.capacity = graph.maxElements();
    index.ids = IdTable.from(sidecar.ids, found);
    index.efSearch = options.efSearch ?? params.efSearch;
    return index;
  }

  dispose(): void {
    this.graph.close();
    this.count = 0;
  }
}

function definedOnly(options: HnswIndexOptions): Partial<HnswParams> {
  const out: Partial<HnswParams> = {};
  for (const key of ['M', 'efConstruction', 'efSearch', 'seed'] as const) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  if (options.quantize !== undefined) out.quantize = options.quantize;
  return out;
}

function checkParams(p: HnswParams): void {
  for (const key of ['M', 'efConstruction', 'efSearch'] as const) {
    if (!Number.isInteger(p[key]) || p[key] < 1) throw new VectorIndexError(`HNSW parameter ${key} must be a positive integer, got ${p[key]}`);
  }
  if (p.M < 2) throw new VectorIndexError(`HNSW parameter M must be at least 2, got ${p.M}`);
  if (!Number.isInteger(p.seed) || p.seed < 0) throw new VectorIndexError(`HNSW seed must be a non-negative integer, got ${p.seed}`);
  if (p.quantize !== 'none' && p.quantize !== 'bf16' && p.quantize !== 'int8') {
    throw new VectorIndexError(`HNSW parameter quantize must be 'none', 'bf16' or 'int8', got ${String(p.quantize)}`);
  }
}
