// The training generator: sfc32 (src/util/sfc32.ts) with integer draws and shuffles. Its whole
// state is four 32-bit integers, so it is saved in a checkpoint and restored exactly.

import { Sfc32, type Sfc32State } from '../../../plugin/api.js';

export type RngState = Sfc32State;

export class Rng extends Sfc32 {
  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new Error(`Rng.int needs an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[] | Int32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!; // j ≤ i < length
      items[i] = items[j]!;
      items[j] = tmp;
    }
  }
}

/** A 32-bit seed derived from a seed and a list of integers (e.g. seed, step): independent streams. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (seed >>> 0) ^ 0x811c9dc5;
  for (const p of [...parts, parts.length]) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = (h ^ (h >>> 12)) >>> 0;
  }
  return h >>> 0;
}
