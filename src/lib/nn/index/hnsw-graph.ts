// The two ways HnswIndex reaches an hnswlib graph. Both run hnswlib's own code on the same file
// format, compiled with the same flags, so they build the same graph:
// - `native`: the optional addon of ./native (one call per batch of queries, typed arrays in and
//   out), searching a copy of the graph laid out for searching (locality order, AVX2 distances when
//   the CPU has them, optionally uint8 codes): the same hits as hnswlib-node up to float rounding;
// - `hnswlib-node`: the npm package, always installed (one call per query and per added vector,
//   each vector copied element by element from a JS array).

import { createRequire } from 'node:module';
import type * as Hnswlib from 'hnswlib-node';
import { loadHnswAddon, type NativeGraph, type Quantize, type SearchSettings } from './native-hnsw.js';
import { sortNeighbors } from './topk.js';
import { VectorIndexError, type Metric, type Neighbors } from './types.js';

// hnswlib-node is a CommonJS native addon; loading it through require keeps its classes intact.
const { HierarchicalNSW } = createRequire(import.meta.url)('hnswlib-node') as typeof Hnswlib;

export type HnswEngine = 'native' | 'hnswlib-node';

/** `auto`: the addon when it is built, else hnswlib-node. */
export type HnswEngineChoice = HnswEngine | 'auto';

export interface HnswGraph {
  readonly engine: HnswEngine;
  /** Adds the count × dim rows of `data` with labels firstLabel, firstLabel + 1, … */
  add(data: Float32Array, count: number, firstLabel: number): void;
  /** The `k` nearest of each of the count × dim `queries`, best first (scores = 1 − distance). */
  search(queries: Float32Array, count: number, k: number): Neighbors[];
  setEf(ef: number): void;
  resize(maxElements: number): void;
  save(path: string): void;
  count(): number;
  maxElements(): number;
  close(): void;
}

export interface GraphShape {
  metric: Metric;
  dim: number;
}

export interface GraphBuild {
  capacity: number;
  M: number;
  efConstruction: number;
  seed: number;
}

/** A new, empty graph. `quantize` applies to the addon's searches only. */
export function createGraph(choice: HnswEngineChoice, shape: GraphShape, build: GraphBuild, quantize: Quantize): HnswGraph {
  const addon = pickAddon(choice);
  if (addon !== undefined) {
    return new AddonGraph(new addon.Graph(shape.metric, shape.dim, build.capacity, build.M, build.efConstruction, build.seed), shape.dim, quantize);
  }
  const native = new HierarchicalNSW(shape.metric, shape.dim);
  native.initIndex(build.capacity, build.M, build.efConstruction, build.seed);
  return new HnswlibNodeGraph(native, shape.dim);
}

/** A graph read from hnswlib's file at `path`; throws VectorIndexError when hnswlib cannot read it. */
export function readGraph(choice: HnswEngineChoice, shape: GraphShape, path: string, quantize: Quantize): HnswGraph {
  const addon = pickAddon(choice);
  try {
    if (addon !== undefined) return new AddonGraph(new addon.Graph(shape.metric, shape.dim, path), shape.dim, quantize);
    const native = new HierarchicalNSW(shape.metric, shape.dim);
    native.readIndexSync(path);
    return new HnswlibNodeGraph(native, shape.dim);
  } catch (e) {
    throw new VectorIndexError(`${path}: hnswlib cannot read it (${(e as Error).message})`);
  }
}

function pickAddon(choice: HnswEngineChoice) {
  if (choice === 'hnswlib-node') return undefined;
  if (choice !== 'auto' && choice !== 'native') throw new VectorIndexError(`unknown HNSW engine ${String(choice)} (auto, native or hnswlib-node)`);
  const status = loadHnswAddon();
  if (status.ok) return status.addon;
  if (choice === 'native') throw new VectorIndexError(`HNSW engine native is not available: ${status.reason}`);
  return undefined;
}

/**
 * The search levers that helped in bench/vector-index.ts (README, "vector-index.ts"). Fetching all
 * neighbours at once helped the uint8 walk (about 1.5×) but not the float one, whose rows are four
 * times larger. The float walk keeps hnswlib's own distances: AVX2 ones round differently on
 * CPUs with and without it, and the engine is not part of a node's key, so the default answers
 * must be hnswlib-node's to the bit. The uint8 walk, opt-in and already other answers, uses AVX2.
 * Walking 8 queries at once (their memory loads overlapping) helped the uint8 walk (about 1.1–1.5×)
 * but not the float one, nor did screening the float walk's neighbours by their codes.
 */
function fastestSearch(quantize: Quantize): SearchSettings {
  const coded = quantize !== 'none';
  return { layout: 'locality', simd: coded, hugePages: true, quantize, prefetch: coded ? 'all' : 'next', group: coded ? 8 : 1, screen: false };
}

class AddonGraph implements HnswGraph {
  readonly engine = 'native' as const;

  constructor(private readonly graph: NativeGraph, private readonly dim: number, quantize: Quantize) {
    // The search levers measured in bench/vector-index.ts.
    graph.configureSearch(fastestSearch(quantize));
  }

  add(data: Float32Array, count: number, firstLabel: number): void {
    this.graph.add(data.subarray(0, count * this.dim), firstLabel);
  }

  search(queries: Float32Array, count: number, k: number): Neighbors[] {
    const rows = new Int32Array(count * k);  // [count, k]
    const distances = new Float32Array(count * k);  // [count, k]
    this.graph.search(queries.subarray(0, count * this.dim), k, rows, distances);
    // Scores in place, and each query's hits as views of the two arrays: no copy per query.
    const scores = distances;
    for (let i = 0; i < scores.length; i++) scores[i] = 1 - distances[i]!;
    const out: Neighbors[] = [];
    for (let q = 0; q < count; q++) {
      let found = k;
      while (found > 0 && rows[q * k + found - 1]! < 0) found--;
      const hits = { rows: rows.subarray(q * k, q * k + found), scores: scores.subarray(q * k, q * k + found) };
      out.push(inOrder(hits) ? hits : sortNeighbors(hits.rows, hits.scores));
    }
    return out;
  }

  setEf(ef: number): void { this.graph.setEf(ef); }
  resize(maxElements: number): void { this.graph.resize(maxElements); }
  save(path: string): void { this.graph.save(path); }
  count(): number { return this.graph.count(); }
  maxElements(): number { return this.graph.maxElements(); }
  close(): void { this.graph.close(); }
}

class HnswlibNodeGraph implements HnswGraph {
  readonly engine = 'hnswlib-node' as const;

  constructor(private native: Hnswlib.HierarchicalNSW, private readonly dim: number) {}

  add(data: Float32Array, count: number, firstLabel: number): void {
    const d = this.dim;
    const point = new Array<number>(d);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < d; j++) point[j] = data[i * d + j]!;
      this.native.addPoint(point, firstLabel + i);
    }
  }

  search(queries: Float32Array, count: number, k: number): Neighbors[] {
    const d = this.dim;
    const point = new Array<number>(d);
    const out: Neighbors[] = [];
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < d; j++) point[j] = queries[i * d + j]!;
      const { neighbors, distances } = this.native.searchKnn(point, k);
      out.push(hitsOf(neighbors, distances));
    }
    return out;
  }

  setEf(ef: number): void { this.native.setEf(ef); }
  resize(maxElements: number): void { this.native.resizeIndex(maxElements); }
  save(path: string): void { this.native.writeIndexSync(path); }
  count(): number { return this.native.getCurrentCount(); }
  maxElements(): number { return this.native.getMaxElements(); }

  close(): void {
    // hnswlib-node frees its memory when the wrapper is collected; drop our reference to it.
    this.native = new HierarchicalNSW('ip', 1);
  }
}

/** Best first: higher score first, the smaller row first on equal scores. */
function inOrder({ rows, scores }: Neighbors): boolean {
  for (let i = 1; i < scores.length; i++) {
    if (scores[i]! > scores[i - 1]! || (scores[i] === scores[i - 1] && rows[i]! < rows[i - 1]!)) return false; // rows and scores: one per hit
  }
  return true;
}

/**
 * hnswlib returns hits by ascending distance already; only equal distances may need reordering
 * (earlier row first), so the sort runs only when a pair is out of that order.
 */
function hitsOf(rows: ArrayLike<number>, distances: ArrayLike<number>): Neighbors {
  for (let i = 1; i < distances.length; i++) {
    if (distances[i]! < distances[i - 1]! || (distances[i] === distances[i - 1] && rows[i]! < rows[i - 1]!)) { // one row per distance
      return sortNeighbors(rows, Array.from(distances, (x) => 1 - x));
    }
  }
  return { rows: Int32Array.from(rows), scores: Float32Array.from(distances, (x) => 1 - x) };
}
