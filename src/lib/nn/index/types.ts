// What every vector index offers, and the input forms it accepts.

import { NodeFailure } from '../../../plugin/api.js';

/**
 * `cosine`: score = cos(q, v) (vectors are L2-normalised when added and searched; a zero vector
 * scores 0). `ip`: score = q · v as given.
 */
export type Metric = 'cosine' | 'ip';

/** Vectors in row-major order: one flat Float32Array (count × dim), or one array per vector. */
export type Vectors = Float32Array | readonly ArrayLike<number>[];

/** The hits of one query, best first: higher score first, the earlier-added row on equal scores. */
export interface Neighbors {
  /** Positions of the hits in insertion order (0 = the first vector ever added). */
  rows: Int32Array;
  scores: Float32Array;
}

export interface VectorIndex {
  readonly kind: 'hnsw' | 'exact';
  readonly metric: Metric;
  readonly dim: number;
  /** Number of vectors added. */
  readonly size: number;
  /** Appends vectors; `ids` (one per vector) are kept and saved, else a vector's id is its row. */
  add(vectors: Vectors, ids?: readonly string[]): void;
  /** The top `k` of each query (fewer when the index holds fewer than k vectors). */
  search(queries: Vectors, k: number): Neighbors[];
  /** The id given for a row when it was added, or the row number as a string. */
  idOf(row: number): string;
  /** Writes the index into `dir` as `<name>.<ext>` plus the sidecar `<name>.json`. */
  save(dir: string, name?: string): void;
  /** Frees native or tensor memory; the index is unusable afterwards. */
  dispose(): void;
}

/** A problem the user can cause: a bad index file, vectors of the wrong width, a bad parameter. */
export class VectorIndexError extends NodeFailure {
  constructor(message: string) {
    super(message);
    this.name = 'VectorIndexError';
  }
}

/** Flattens `vectors` into a Float32Array of count × dim, checking every width. */
export function toMatrix(vectors: Vectors, dim: number, what = 'vector'): { data: Float32Array; count: number } {
  if (vectors instanceof Float32Array) {
    if (vectors.length % dim !== 0) {
      throw new VectorIndexError(`${vectors.length} numbers do not make whole ${what}s of dimension ${dim}`);
    }
    return { data: vectors, count: vectors.length / dim };
  }
  const data = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    if (v.length !== dim) throw new VectorIndexError(`${what} ${i} has dimension ${v.length}, the index has ${dim}`);
    data.set(v, i * dim);
  });
  return { data, count: vectors.length };
}

/** L2-normalises each row of a count × dim matrix in place; zero rows stay zero. */
export function normalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < data.length; o += dim) {
    let sq = 0;
    for (let j = 0; j < dim; j++) sq += data[o + j]! * data[o + j]!;
    if (sq === 0) continue;
    const inv = 1 / Math.sqrt(sq);
    for (let j = 0; j < dim; j++) data[o + j]! *= inv;
  }
  return data;
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new VectorIndexError(`k must be a positive integer, got ${k}`);
}

export function checkDim(dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) throw new VectorIndexError(`dimension must be a positive integer, got ${dim}`);
}
