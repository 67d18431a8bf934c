// The in-context cache: unigram and bigram counts of the tokens read so far in one prompt.
// Mixed into the n-gram model it lets demonstrations in the prompt change predictions, the way
// in-context examples do for a real LLM:
//   P_cache(w | v) = μ · c(v w) / c(v ·) + (1 − μ) · c(w) / c(·)     when v was followed before,
//   P_cache(w | v) = c(w) / c(·)                                        otherwise.
// Adds are logged so a scorer can roll back to a mark (score several options after one context).

import { BOS_ID } from '../../tokenize.js';
import { MAX_WORDS } from './table.js';

export class ContextCache {
  readonly uni: Int32Array;
  /** How many times each word was followed by another in the cache. */
  readonly followed: Int32Array;
  total = 0;
  /** Words counted (as a token or a predecessor) since the last reset; counts may be 0 again. */
  readonly touched: number[] = [];
  private readonly isTouched: Uint8Array;

  private keys = new Float64Array(1024);
  private counts = new Int32Array(1024);
  private stamps = new Uint32Array(1024);
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
    if (++this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** Adds word `w` read after `prev` (BOS for the first token). */
  add(prev: number, w: number): void {
    this.touch(w);
    this.uni[w]++;
    this.total++;
    if (prev !== BOS_ID) {
      this.touch(prev);
      this.followed[prev]++;
      this.counts[this.slot(prev, w, true)]++;
    }
    if (this.logLen + 2 > this.log.length) {
      const grown = new Int32Array(this.log.length * 2);
      grown.set(this.log);
      this.log = grown;
    }
    this.log[this.logLen++] = prev;
    this.log[this.logLen++] = w;
  }

  private touch(w: number): void {
    if (this.isTouched[w] === 0) {
      this.isTouched[w] = 1;
      this.touched.push(w);
    }
  }

  /** Position in the add log; pass it to rollback() to undo later adds. */
  mark(): number {
    return this.logLen;
  }

  rollback(mark: number): void {
    while (this.logLen > mark) {
      const w = this.log[--this.logLen];
      const prev = this.log[--this.logLen];
      this.uni[w]--;
      this.total--;
      if (prev !== BOS_ID) {
        this.followed[prev]--;
        this.counts[this.slot(prev, w, false)]--;
      }
    }
  }

  pairCount(prev: number, w: number): number {
    const s = this.slot(prev, w, false);
    return s < 0 ? 0 : this.counts[s];
  }

  /** P_cache(w | prev); only meaningful when total > 0. */
  prob(prev: number, w: number, mu: number): number {
    const pu = this.uni[w] / this.total;
    const f = prev === BOS_ID ? 0 : this.followed[prev];
    if (f === 0) return pu;
    const s = this.slot(prev, w, false);
    const pb = s < 0 ? 0 : this.counts[s] / f;
    return mu * pb + (1 - mu) * pu;
  }

  private home(key: number, cap: number): number {
    const hi = (key / MAX_WORDS) | 0;
    const lo = key - hi * MAX_WORDS;
    let h = Math.imul(hi, 0x9e3779b1) ^ Math.imul(lo, 0x85ebca6b);
    h ^= h >>> 15;
    return (Math.imul(h, 0x2c1b3c6d) >>> 0) & (cap - 1);
  }

  /** Slot of the pair; with `create`, inserts it (count 0) when missing, else returns -1. */
  private slot(prev: number, w: number, create: boolean): number {
    const key = prev * MAX_WORDS + w;
    const cap = this.keys.length;
    let s = this.home(key, cap);
    for (;;) {
      if (this.stamps[s] !== this.stamp) break;
      if (this.keys[s] === key) return s;
      s = (s + 1) & (cap - 1);
    }
    if (!create) return -1;
    if ((this.live + 1) * 2 > cap) {
      this.grow();
      return this.slot(prev, w, true);
    }
    this.stamps[s] = this.stamp;
    this.keys[s] = key;
    this.counts[s] = 0;
    this.live++;
    return s;
  }

  private grow(): void {
    const { keys, counts, stamps, stamp } = this;
    const cap = keys.length * 2;
    this.keys = new Float64Array(cap);
    this.counts = new Int32Array(cap);
    this.stamps = new Uint32Array(cap);
    for (let s = 0; s < keys.length; s++) {
      if (stamps[s] !== stamp) continue;
      let t = this.home(keys[s], cap);
      while (this.stamps[t] === stamp) t = (t + 1) & (cap - 1);
      this.stamps[t] = stamp;
      this.keys[t] = keys[s];
      this.counts[t] = counts[s];
    }
  }
}
