// Hashed n-gram tables. An n-gram (n ≥ 2) is keyed by (parent, word): parent is the slot of its
// (n-1)-gram prefix in the table of order n-1 (or the word id itself when n-1 = 1). Keys and
// values share one Float64Array so a lookup touches one cache line:
//   slots[s*stride]     key = parent * 2^24 + word, or -1 when the slot is empty
//   slots[s*stride + 1] α: the discounted probability of the word after the prefix
//   slots[s*stride + 2] γ: the back-off weight of this n-gram used as a history (orders < N)
// The slot index is the n-gram's id, so the scorer rolls ids from one token to the next.

/** Word ids must stay below this for keys to be exact doubles. */
export const MAX_WORDS = 16_777_216;
export const EMPTY = -1;
const LOAD = 0.6;

export function packKey(parent: number, word: number): number {
  return parent * MAX_WORDS + word;
}

/** Home slot of (parent, word) in a table of `cap` slots. */
export function homeSlot(parent: number, word: number, cap: number): number {
  let h = Math.imul(parent ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(word + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  // Multiply-shift maps the hash onto [0, cap) without requiring a power-of-two size.
  return (((h >>> 0) * cap) / 4294967296) | 0;
}

export class NgramTable {
  constructor(
    readonly order: number,
    /** Number of slots. */
    readonly cap: number,
    /** 3 when the table holds history weights γ, else 2. */
    readonly stride: number,
    readonly slots: Float64Array,
    /** Number of n-grams stored. */
    readonly size: number,
  ) {}

  static capacityFor(size: number): number {
    return Math.max(4, Math.ceil(size / LOAD) + 1);
  }

  static empty(order: number, size: number, withGamma: boolean): NgramTable {
    const cap = NgramTable.capacityFor(size);
    const stride = withGamma ? 3 : 2;
    const slots = new Float64Array(cap * stride);
    for (let s = 0; s < cap; s++) slots[s * stride] = EMPTY;
    return new NgramTable(order, cap, stride, slots, size);
  }

  /** Slot of (parent, word), or -1. */
  find(parent: number, word: number): number {
    const key = parent * MAX_WORDS + word;
    const cap = this.cap;
    const stride = this.stride;
    const slots = this.slots;
    let s = homeSlot(parent, word, cap);
    for (;;) {
      const k = slots[s * stride];
      if (k === key) return s;
      if (k === EMPTY) return -1;
      if (++s === cap) s = 0;
    }
  }

  /** Stores a new n-gram; used while building. Returns its slot. */
  insert(parent: number, word: number, alpha: number, gamma: number): number {
    const key = parent * MAX_WORDS + word;
    const { cap, stride, slots } = this;
    let s = homeSlot(parent, word, cap);
    while (slots[s * stride] !== EMPTY) {
      if (slots[s * stride] === key) throw new Error(`n-gram (${parent}, ${word}) inserted twice`);
      if (++s === cap) s = 0;
    }
    slots[s * stride] = key;
    slots[s * stride + 1] = alpha;
    if (stride === 3) slots[s * stride + 2] = gamma;
    return s;
  }

  alpha(slot: number): number {
    return this.slots[slot * this.stride + 1]!;
  }

  gamma(slot: number): number {
    return this.stride === 3 ? this.slots[slot * this.stride + 2]! : 1;
  }

  /** (parent, word) of an occupied slot. */
  keyAt(slot: number): [number, number] | null {
    const k = this.slots[slot * this.stride]!;
    if (k === EMPTY) return null;
    const parent = Math.floor(k / MAX_WORDS);
    return [parent, k - parent * MAX_WORDS];
  }
}
