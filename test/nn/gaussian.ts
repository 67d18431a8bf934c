// Seeded test vectors for the vector-index tests.
import { at } from '../util/at.js';

/** Seeded standard normal vectors (mulberry32 + Box–Muller), count × dim, row-major. */
export function gaussian(count: number, dim: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length: count * dim }, () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/**
 * Gaussian clusters around 20 seeded random centres, spread 0.3: data with structure, unlike
 * `gaussian`. `shared` adds that multiple of one fixed random direction to every vector, so that
 * all of them point roughly the same way (every cosine high), as many text embeddings do.
 */
export function clustered(count: number, dim: number, seed: number, shared = 0): Float32Array {
  const centres = gaussian(20, dim, 999);
  const direction = gaussian(1, dim, 5);
  const noise = gaussian(count, dim, seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const c = (i * 7 + seed) % 20;
    for (let j = 0; j < dim; j++) out[i * dim + j] = shared * at(direction, j) + at(centres, c * dim + j) + 0.3 * at(noise, i * dim + j);
  }
  return out;
}

/** Seeded Student-t values with 3 degrees of freedom (heavy tails: a normal over √(χ²₃ / 3)), count × dim. */
export function heavyTailed(count: number, dim: number, seed: number): Float32Array {
  const normal = gaussian(count, dim, seed);
  const chi = gaussian(3 * count, dim, seed + 1);
  return normal.map((z, i) => z / Math.sqrt((at(chi, 3 * i) ** 2 + at(chi, 3 * i + 1) ** 2 + at(chi, 3 * i + 2) ** 2) / 3));
}

/**
 * Gives 2 · dim of the rows (spread evenly) one huge value each, +`huge` in dimension d for the
 * first dim of them and −`huge` for the others, so that every dimension has one outlier at each
 * end; returns the outlier rows in that order. Changes `vectors` in place.
 */
export function addOutliers(vectors: Float32Array, dim: number, huge = 1000): number[] {
  const count = vectors.length / dim;
  const rows: number[] = [];
  for (let o = 0; o < 2 * dim; o++) {
    const row = Math.floor((o * count) / (2 * dim)) + 1;
    vectors[row * dim + (o % dim)] = (o < dim ? 1 : -1) * huge;
    rows.push(row);
  }
  return rows;
}
