// Counting n-grams of a token stream for Kneser–Ney estimation.
//
// The stream holds sequences, each starting with one BOS. An n-gram is counted where it ends on
// a real (non-BOS) token and lies inside its sequence. Order n is built from order n-1: the
// n-gram ending at position i is (id of the (n-1)-gram ending at i-1, token i), so every
// prefix of a counted n-gram is itself counted (or is the BOS unigram).
//
// Kneser–Ney needs, for every order below the highest, the number of distinct words seen to
// the left of an n-gram (its continuation count) instead of its frequency. An n-gram that
// starts with BOS has nothing to its left, so its frequency stands in (as KenLM does).

import { BOS_ID } from '../../tokenize.js';

/** Dense, growable (parent, word) → id table used only while counting. */
class DenseCounter {
  parent: Int32Array = new Int32Array(1024);
  word: Int32Array = new Int32Array(1024);
  freq: Int32Array = new Int32Array(1024);
  size = 0;
  /** Set by insert(): whether the last insert created a new entry. */
  created = false;
  private slots = new Int32Array(2048).fill(-1);
  private mask = 2047;

  private static hash(parent: number, word: number): number {
    let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(word, 0x85ebca6b);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) >>> 0;
  }

  /** Id of (parent, word), added with frequency 0 when new. */
  insert(parent: number, word: number): number {
    let s = DenseCounter.hash(parent, word) & this.mask;
    for (;;) {
      const id = this.slots[s]!;
      if (id === -1) break;
      if (this.parent[id] === parent && this.word[id] === word) {
        this.created = false;
        return id;
      }
      s = (s + 1) & this.mask;
    }
    const id = this.size++;
    if (id === this.parent.length) this.growArrays();
    this.parent[id] = parent;
    this.word[id] = word;
    this.slots[s] = id;
    this.created = true;
    if (this.size * 2 > this.slots.length) this.rehash();
    return id;
  }

  private growArrays(): void {
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.parent = grow(this.parent);
    this.word = grow(this.word);
    this.freq = grow(this.freq);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let id = 0; id < this.size; id++) {
      let s = DenseCounter.hash(this.parent[id]!, this.word[id]!) & mask;
      while (slots[s] !== -1) s = (s + 1) & mask;
      slots[s] = id;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** The n-grams of one order, with the count Kneser–Ney discounts (see the module comment). */
export interface OrderCounts {
  order: number;
  size: number;
  /** Id of the prefix: a word id for order 2, an id of order n-1 above; unused for order 1. */
  parent: Int32Array;
  word: Int32Array;
  /** Frequency at the highest order, continuation count below it. */
  count: Int32Array;
}

export interface NgramCounts {
  order: number;
  vocabSize: number;
  /** orders[n - 1] holds the n-grams of order n. */
  orders: OrderCounts[];
  /** Number of real tokens counted. */
  tokens: number;
}

export function countNgrams(stream: Int32Array, order: number, vocabSize: number): NgramCounts {
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`order must be a positive integer, got ${order}`);
  const T = stream.length;
  let tokens = 0;

  // Order 1: ids are word ids.
  const freq1 = new Int32Array(vocabSize);
  for (let i = 0; i < T; i++) {
    const w = stream[i]!;
    if (w !== BOS_ID) {
      freq1[w]!++;
      tokens++;
    }
  }
  const cont1 = new Int32Array(vocabSize);
  const orders: OrderCounts[] = [];
  const words = new Int32Array(vocabSize);
  for (let w = 0; w < vocabSize; w++) words[w] = w;

  // prevIds[i] = id of the (n-1)-gram ending at i, -1 if none; for n-1 = 1 the stream itself.
  let prevIds: Int32Array = stream;
  const contBelow: Int32Array[] = [cont1];
  const counters: DenseCounter[] = [];
  for (let n = 2; n <= order; n++) {
    const counter = new DenseCounter();
    const ids = new Int32Array(T).fill(-1);
    // Continuation counts of order n-1, indexed by the ids of order n-1 (sized to fit).
    const below = contBelow[n - 2]!;
    for (let i = 1; i < T; i++) {
      const w = stream[i]!;
      if (w === BOS_ID) continue;
      const p = prevIds[i - 1]!;
      if (p < 0) continue;
      const id = counter.insert(p, w);
      counter.freq[id]!++;
      ids[i] = id;
      // A new n-gram type is one more distinct left context of its suffix, the (n-1)-gram
      // ending at i.
      if (counter.created) below[prevIds[i]!]!++;
    }
    contBelow.push(new Int32Array(counter.size));
    counters.push(counter);
    prevIds = ids;
  }

  // Assemble: continuation counts below the top order, frequencies at the top. N-grams starting
  // with BOS (only possible for n ≥ 2: the BOS is their parent chain's first word) keep their
  // frequency since nothing can precede them.
  for (let n = 1; n <= order; n++) {
    if (n === 1) {
      const count = order === 1 ? freq1 : padTo(contBelow[0]!, vocabSize);
      orders.push({ order: 1, size: vocabSize, parent: new Int32Array(vocabSize), word: words, count });
      continue;
    }
    const c = counters[n - 2]!;
    const count = new Int32Array(c.size);
    if (n === order) {
      count.set(c.freq.subarray(0, c.size));
    } else {
      const cont = contBelow[n - 1]!;
      const startsWithBos = firstWordIsBos(orders, c, n);
      for (let id = 0; id < c.size; id++) count[id] = startsWithBos[id] ? c.freq[id]! : cont[id]!;
    }
    orders.push({ order: n, size: c.size, parent: c.parent.subarray(0, c.size), word: c.word.subarray(0, c.size), count });
  }
  return { order, vocabSize, orders, tokens };
}

function firstWordIsBos(orders: OrderCounts[], c: DenseCounter, n: number): Uint8Array {
  const out = new Uint8Array(c.size);
  for (let id = 0; id < c.size; id++) {
    // Walk the prefix chain down to order 2, whose parent is the first word.
    let p = c.parent[id]!;
    for (let m = n - 1; m >= 2; m--) p = orders[m - 1]!.parent[p]!;
    out[id] = p === BOS_ID ? 1 : 0;
  }
  return out;
}

function padTo(a: Int32Array, size: number): Int32Array {
  if (a.length === size) return a;
  const b = new Int32Array(size);
  b.set(a.subarray(0, Math.min(size, a.length)));
  return b;
}
