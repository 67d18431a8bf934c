// Exact top-k search: score blocks of queries against blocks of vectors and keep a bounded heap per
// query. It is the fallback when no approximate index is wanted and the reference that measures an
// approximate index's recall.
//
// Three engines compute the score blocks. `blas` multiplies a query block [bq, d] by a vector
// block [bv, d]ᵀ with OpenBLAS's sgemm through the optional native addon (kernels/native), in
// place on the stored rows; on 100k × 128 it measured 3–4× faster per CPU-second than `tf`, which
// multiplies by pre-transposed vector blocks [d, bv] with tfjs on wasm, itself 7–8× faster than
// `js`, plain Float32Array loops (bench/vector-index.ts). `auto` (the default) picks `tf` when tfjs
// already runs on wasm or tfjs-node, else `js` (tfjs's cpu backend multiplies far slower than the
// loops). `blas` is chosen by name only: sgemm's summation order depends on the CPU it runs on, and
// whether the addon is built is not part of a node's key, so a default that used it would let two
// machines store different near-tie orders under one key.

import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadBlasAddon, type BlasAddon } from '../kernels/native-addon.js';
import { IdTable, openSaved, saveWithSidecar } from './files.js';
import { TopK } from './topk.js';
import { VectorIndexError, checkDim, checkK, normalizeRows, toMatrix, type Metric, type Neighbors, type VectorIndex, type Vectors } from './types.js';

export type ExactEngine = 'auto' | 'js' | 'tf' | 'blas';

export interface ExactIndexOptions {
  metric: Metric;
  dim: number;
  engine?: ExactEngine;
}

const QUERY_BLOCK = 128;
const VECTOR_BLOCK_TF = 8192;
const VECTOR_BLOCK_JS = 2048;
const VECTOR_BLOCK_BLAS = 4096;

export class ExactIndex implements VectorIndex {
  readonly kind = 'exact' as const;
  readonly metric: Metric;
  readonly dim: number;
  readonly engine: 'js' | 'tf' | 'blas';
  private data: Float32Array;
  private count = 0;
  private readonly ids = new IdTable();
  /** Transposed vector blocks [d, bv] for the tf engine, built on first search after an add. */
  private blocks: tf.Tensor2D[] | null = null;
  private readonly blas: BlasAddon | null;

  constructor(options: ExactIndexOptions) {
    checkDim(options.dim);
    if (options.metric !== 'cosine' && options.metric !== 'ip') throw new VectorIndexError(`unknown metric ${String(options.metric)}`);
    this.metric = options.metric;
    this.dim = options.dim;
    const { engine, blas } = resolveEngine(options.engine ?? 'auto');
    this.engine = engine;
    this.blas = blas;
    this.data = new Float32Array(0);
  }

  get size(): number {
    return this.count;
  }

  add(vectors: Vectors, ids?: readonly string[]): void {
    const { data, count } = toMatrix(vectors, this.dim);
    this.ids.append(count, ids);
    const needed = (this.count + count) * this.dim;
    if (needed > this.data.length) {
      const grown = new Float32Array(Math.max(needed, this.data.length * 2));
      grown.set(this.data.subarray(0, this.count * this.dim));
      this.data = grown;
    }
    const into = this.data.subarray(this.count * this.dim, needed);
    into.set(data);
    if (this.metric === 'cosine') normalizeRows(into, this.dim);
    this.count += count;
    this.disposeBlocks();
  }

  search(queries: Vectors, k: number): Neighbors[] {
    checkK(k);
    const { data, count } = toMatrix(queries, this.dim, 'query');
    const q = this.metric === 'cosine' ? normalizeRows(Float32Array.from(data), this.dim) : data;
    const keep = Math.min(k, this.count);
    const out: Neighbors[] = [];
    if (keep === 0) {
      for (let i = 0; i < count; i++) out.push({ rows: new Int32Array(0), scores: new Float32Array(0) });
      return out;
    }
    for (let q0 = 0; q0 < count; q0 += QUERY_BLOCK) {
      const q1 = Math.min(count, q0 + QUERY_BLOCK);
      const heaps = Array.from({ length: q1 - q0 }, () => new TopK(keep));
      if (this.blas) this.scanBlas(this.blas, q, q0, q1, heaps);
      else if (this.engine === 'tf') this.scanTf(q, q0, q1, heaps);
      else this.scanJs(q, q0, q1, heaps);
      for (const h of heaps) out.push(h.result());
    }
    return out;
  }

  idOf(row: number): string {
    return this.ids.idOf(row);
  }

  save(dir: string, name = 'index'): void {
    const rows = this.data.subarray(0, this.count * this.dim);
    saveWithSidecar(dir, `${name}.f32`, (path) => writeFileSync(path, Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength)), {
      kind: 'exact', metric: this.metric, dim: this.dim, count: this.count, params: {}, ids: this.ids.toJSON(),
    }, name);
  }

  static load(dir: string, name = 'index', options: { engine?: ExactEngine } = {}): ExactIndex {
    const { sidecar, dataPath } = openSaved(dir, name, 'exact');
    if (sidecar.bytes !== sidecar.count * sidecar.dim * 4) {
      throw new VectorIndexError(`${dataPath}: ${sidecar.bytes} bytes cannot hold ${sidecar.count} vectors of dimension ${sidecar.dim}`);
    }
    const index = new ExactIndex({ metric: sidecar.metric, dim: sidecar.dim, engine: options.engine });
    const bytes = readFileSync(dataPath);
    const rows = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    index.data = rows;
    index.count = sidecar.count;
    index.ids.append(sidecar.count, sidecar.ids ?? undefined);
    return index;
  }

  dispose(): void {
    this.disposeBlocks();
    this.data = new Float32Array(0);
    this.count = 0;
  }

  private disposeBlocks(): void {
    if (this.blocks) for (const b of this.blocks) b.dispose();
    this.blocks = null;
  }

  private vectorBlocks(): tf.Tensor2D[] {
    if (!this.blocks) {
      const d = this.dim;
      this.blocks = [];
      for (let v0 = 0; v0 < this.count; v0 += VECTOR_BLOCK_TF) {
        const v1 = Math.min(this.count, v0 + VECTOR_BLOCK_TF);
        const block = this.data.subarray(v0 * d, v1 * d);
        this.blocks.push(tf.tidy(() => tf.transpose(tf.tensor2d(block, [v1 - v0, d])) as tf.Tensor2D)); // [d, bv]
      }
    }
    return this.blocks;
  }

  private scanTf(q: Float32Array, q0: number, q1: number, heaps: TopK[]): void {
    const d = this.dim;
    const queryBlock = tf.tensor2d(q.subarray(q0 * d, q1 * d), [q1 - q0, d]); // [bq, d]
    try {
      let first = 0;
      for (const block of this.vectorBlocks()) {
        const width = block.shape[1];
        const scores = tf.matMul(queryBlock, block);                                // [bq, bv]
        const values = scores.dataSync() as Float32Array;
        scores.dispose();
        for (const [i, heap] of heaps.entries()) heap.pushRun(values, i * width, width, first);
        first += width;
      }
    } finally {
      queryBlock.dispose();
    }
  }

  private scanBlas(blas: BlasAddon, q: Float32Array, q0: number, q1: number, heaps: TopK[]): void {
    const d = this.dim;
    const rows = q1 - q0;
    const queryBlock = q.subarray(q0 * d, q1 * d);                                          // [bq, d]
    const scores = new Float32Array(rows * Math.min(VECTOR_BLOCK_BLAS, this.count));
    for (let v0 = 0; v0 < this.count; v0 += VECTOR_BLOCK_BLAS) {
      const width = Math.min(this.count, v0 + VECTOR_BLOCK_BLAS) - v0;
      // scores [bq, bv] = queries [bq, d] · vectors [bv, d]ᵀ
      blas.gemmBatch(queryBlock, this.data.subarray(v0 * d, (v0 + width) * d), scores, 1, 0, 0, rows, width, d, false, true);
      for (const [i, heap] of heaps.entries()) heap.pushRun(scores, i * width, width, v0); // one heap per query row
    }
  }

  private scanJs(q: Float32Array, q0: number, q1: number, heaps: TopK[]): void {
    const scores = new Float32Array(VECTOR_BLOCK_JS);
    for (let v0 = 0; v0 < this.count; v0 += VECTOR_BLOCK_JS) {
      const v1 = Math.min(this.count, v0 + VECTOR_BLOCK_JS);
      for (let i = q0; i < q1; i++) {
        dotRun(q, i * this.dim, this.data, v0, v1, this.dim, scores);
        heaps[i - q0]!.pushRun(scores, 0, v1 - v0, v0); // one heap per query of [q0, q1)
      }
    }
  }
}

/** scores[v − v0] = q[qOffset..] · vectors[v] for v in [v0, v1), four vectors per pass over q. */
function dotRun(q: Float32Array, qOffset: number, vectors: Float32Array, v0: number, v1: number, d: number, scores: Float32Array): void {
  let v = v0;
  for (; v + 4 <= v1; v += 4) {
    const a = v * d, b = a + d, c = b + d, e = c + d;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < d; j++) {
      const x = q[qOffset + j]!;
      s0 += x * vectors[a + j]!; s1 += x * vectors[b + j]!; s2 += x * vectors[c + j]!; s3 += x * vectors[e + j]!;
    }
    const o = v - v0;
    scores[o] = s0; scores[o + 1] = s1; scores[o + 2] = s2; scores[o + 3] = s3;
  }
  for (; v < v1; v++) {
    const a = v * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += q[qOffset + j]! * vectors[a + j]!;
    scores[v - v0] = s;
  }
}

function resolveEngine(engine: ExactEngine): { engine: 'js' | 'tf' | 'blas'; blas: BlasAddon | null } {
  if (engine === 'js' || engine === 'tf') return { engine, blas: null };
  if (engine === 'blas') {
    const addon = loadBlasAddon();
    if (!addon.ok) throw new VectorIndexError(`exact-search engine blas is not available: ${addon.reason}`);
    return { engine, blas: addon.addon };
  }
  if (engine !== 'auto') throw new VectorIndexError(`unknown exact-search engine ${String(engine)} (auto, blas, tf or js)`);
  // Read without initialising a backend: only an already chosen fast backend counts.
  const current = (tf.engine() as unknown as { backendName?: string | null }).backendName;
  return { engine: current === 'wasm' || current === 'tensorflow' ? 'tf' : 'js', blas: null };
}
