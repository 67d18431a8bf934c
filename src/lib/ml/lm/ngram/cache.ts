// The in-context cache: unigram and bigram counts of the tokens read so far in one prompt.
// Mixed into the n-gram model it lets demonstrations in the prompt change predictions, the way
// in-context examples do for a real LLM:
//   P_cache(w | v) = μ · c(v w) / c(v ·) + (1 − μ) · c(w) / c(·)     when v was followed before,
//   P_cache(w | v) = c(w) / c(·)                                        otherwise.
// Adds are logged so a scorer can roll back to a mark (score several options after one context).
// Ids are cache identities: vocabulary ids, or ids past the vocabulary that the scorer gives to
// out-of-vocabulary words seen in the prompt; the arrays grow to fit them.

import { BOS_ID } from '../../tokenize.js';
import { MAX_WORDS } from './table.js';

// Pair slots interleave [key, count, stamp] so one lookup touches one cache line; a slot is live
// when its stamp is the current one, which makes reset O(1).
const STRIDE = 3;

export class ContextCache {
  uni: Int32Array;
  /** How many times each word was followed by another in the cache. */
  private followed: Int32Array;
  total = 0;
  /** Words added since the last reset; their counts may be 0 again after a rollback. */
  readonly touched: number[] = [];
  private isTouched: Uint8Array;

  private pairs = new Float64Array(1024 * STRIDE);
  private cap = 1024;
  private stamp = 1;
  private live = 0;
  private log = new Int32Array(1024);
  private logLen = 0;

  constructor(vocabSize: number) {
    this.uni = new Int32Array(vocabSize);
    this.followed = new Int32Array(vocabSize);
    this.isTouched = new Uint8Array(vocabSize);
  }

  reset(): void {
    for (const w of this.touched) {
      this.uni[w] = 0;
      this.followed[w] = 0;
      this.isTouched[w] = 0;
    }
    this.touched.length = 0;
    this.total = 0;
    this.logLen = 0;
    this.live = 0;
    if (++this.stamp === 2 ** 52) {
      this.pairs.fill(0);
      this.stamp = 1;
    }
  }

  /** Adds word `w` read after `prev` (BOS for the first token). */
  add(prev: number, w: number): void {
    this.probThenAdd(prev, w, 0);
  }

  /** P_cache(w | prev) with bigram share μ before w is added (0 when the cache is empty), then adds w. */
  probThenAdd(prev: number, w: number, mu: number): number {
    if (w >= this.uni.length) this.grow(w);
    const total = this.total;
    const pu = total > 0 ? this.uni[w]! / total : 0;
    let p = pu;
    if (prev !== BOS_ID) {
      const at = this.slot(prev, w) * STRIDE + 1;
      const f = this.followed[prev]!;
      if (f > 0) p = mu * (this.pairs[at]! / f) + (1 - mu) * pu;
      this.pairs[at]!++;
      // prev was itself added just before, so it is already in `touched`.
      this.followed[prev]!++;
    }
    this.touch(w);
    this.uni[w]!++;
    this.total = total + 1;
    if (this.logLen + 2 > this.log.length) {
      const grown = new Int32Array(this.log.length * 2);
      grown.set(this.log);
      this.log = grown;
    }
    this.log[this.logLen++] = prev;
    this.log[this.logLen++] = w;
    return p;
  }

  /** Position in the add log; pass it to rollback() to undo later adds. */
  mark(): number {
    return this.logLen;
  }

  rollback(mark: number): void {
    while (this.logLen > mark) {
      const w = this.log[--this.logLen]!;
      const prev = this.log[--this.logLen]!;
      this.uni[w]!--;
      this.total--;
      if (prev !== BOS_ID) {
        this.followed[prev]!--;
        this.pairs[this.find(prev, w) * STRIDE + 1]!--;
      }
    }
  }

  /** P_cache(w | prev); only meaningful when total > 0. */
  prob(prev: number, w: number, mu: number): number {
    const pu = w < this.uni.length ? this.uni[w]! / this.total : 0;
    const f = prev === BOS_ID ? 0 : this.followed[prev]!;
    if (f === 0) return pu;
    const s = this.find(prev, w);
    const pb = s < 0 ? 0 : this.pairs[s * STRIDE + 1]! / f;
    return mu * pb + (1 - mu) * pu;
  }

  private touch(w: number): void {
    if (this.isTouched[w] === 0) {
      this.isTouched[w] = 1;
      this.touched.push(w);
    }
  }

  /** Makes room for ids up to `id`. */
  private grow(id: number): void {
    const size = Math.max(id + 1, this.uni.length + (this.uni.length >> 1));
    const uni = new Int32Array(size);
    uni.set(this.uni);
    const followed = new Int32Array(size);
    followed.set(this.followed);
    const isTouched = new Uint8Array(size);
    isTouched.set(this.isTouched);
    this.uni = uni;
    this.followed = followed;
    this.isTouched = isTouched;
  }

  private static home(prev: number, w: number, cap: number): number {
    let h = Math.imul(prev, 0x9e3779b1) ^ Math.imul(w, 0x85ebca6b);
    h ^= h >>> 15;
    return (Math.imul(h, 0x2c1b3c6d) >>> 0) & (cap - 1);
  }

  /** Slot of a live pair, or -1. */
  private find(prev: number, w: number): number {
    const key = prev * MAX_WORDS + w;
    const pairs = this.pairs;
    let s = ContextCache.home(prev, w, this.cap);
    for (;;) {
      const at = s * STRIDE;
      if (pairs[at + 2] !== this.stamp) return -1;
      if (pairs[at] === key) return s;
      s = (s + 1) & (this.cap - 1);
    }
  }

  /** Slot of the pair, inserted with count 0 when missing. */
  private slot(prev: number, w: number): number {
    const key = prev * MAX_WORDS + w;
    const pairs = this.pairs;
    let s = ContextCache.home(prev, w, this.cap);
    for (;;) {
      const at = s * STRIDE;
      if (pairs[at + 2] !== this.stamp) break;
      if (pairs[at] === key) return s;
      s = (s + 1) & (this.cap - 1);
    }
    if ((this.live + 1) * 2 > this.cap) {
      this.rehash();
      return this.slot(prev, w);
    }
    const at = s * STRIDE;
    pairs[at] = key;
    pairs[at + 1] = 0;
    pairs[at + 2] = this.stamp;
    this.live++;
    return s;
  }

  private rehash(): void {
    const old = this.pairs;
    const oldCap = this.cap;
    this.cap = oldCap * 2;
    this.pairs = new Float64Array(this.cap * STRIDE);
    for (let s = 0; s < oldCap; s++) {
      const at = s * STRIDE;
      if (old[at + 2] !== this.stamp) continue;
      const key = old[at]!;
      const prev = Math.floor(key / MAX_WORDS);
      let t = ContextCache.home(prev, key - prev * MAX_WORDS, this.cap);
      while (this.pairs[t * STRIDE + 2] === this.stamp) t = (t + 1) & (this.cap - 1);
      this.pairs.set(old.subarray(at, at + STRIDE), t * STRIDE);
    }
  }
}
