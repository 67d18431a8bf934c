// The generator of generated data: sfc32 (src/util/sfc32.ts) with the draws the task generators
// use, so generated data is identical on every platform and Node version.

import { Sfc32 } from '../../../plugin/api.js';

/** 32-bit FNV-1a hash of a string, for deriving independent streams from names. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng extends Sfc32 {
  /** A stream for `label` derived from `seed`, independent of every other label's stream. */
  static derive(seed: number, ...labels: string[]): Rng {
    return new Rng(hashString(`${seed >>> 0}/${labels.join('/')}`));
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** `k` distinct items in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k > items.length) throw new RangeError(`sample ${k} from ${items.length} items`);
    return this.shuffle(items).slice(0, k);
  }

  /** An item different from every item in `not`. */
  pickOther<T>(items: readonly T[], ...not: T[]): T {
    return this.pick(items.filter((x) => !not.includes(x)));
  }
}
