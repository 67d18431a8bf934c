// The search's generator: sfc32 (src/util/sfc32.ts) seeded from a folded seed, so a search is
// reproducible from its seed alone and does not depend on Math.random or on the plugin library.

import { Sfc32, mix32 } from '../../util/sfc32.js';

/** Folds a seed and stream numbers into one 32-bit value (any finite numbers; fractions are kept apart). */
export function seedOf(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) {
    const lo = Math.trunc(part) >>> 0;
    const hi = Math.trunc(part / 2 ** 32) >>> 0;
    const frac = Math.round((part - Math.trunc(part)) * 2 ** 32) >>> 0;
    h = mix32(h ^ lo);
    h = mix32(h ^ hi);
    h = mix32(h ^ frac);
  }
  return h;
}

export class Prng extends Sfc32 {
  private spareNormal: number | undefined;

  constructor(seed: number) {
    super(0);
    const s = seedOf(seed);
    const a = mix32(s);
    const b = mix32(a);
    const c = mix32(b);
    this.reseed([a, b, c, 1]);
  }

  /** A generator for one purpose (e.g. trial 17 of seed 3): independent of how much others drew. */
  static derive(seed: number, ...stream: number[]): Prng {
    return new Prng(seedOf(seed, ...stream));
  }

  /** Uniform on [0, 1), 53 bits (two words: search bounds are finer than 2^-32). */
  override next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  pick(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}
