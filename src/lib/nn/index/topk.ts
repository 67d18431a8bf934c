// A bounded heap per query: keeps the k best (score, row) pairs seen so far.
//
// "Better" means a higher score, or an equal score and a smaller row, so results do not depend on
// the order in which blocks are scanned. The heap is a min-heap on that order: its root is the
// worst of the kept pairs, the one a better candidate replaces.

import type { Neighbors } from './types.js';

export class TopK {
  private readonly scores: Float32Array;
  private readonly rows: Int32Array;
  private count = 0;

  constructor(readonly k: number) {
    this.scores = new Float32Array(k);
    this.rows = new Int32Array(k);
  }

  /** The score a candidate must beat to enter (−∞ until k pairs are kept). */
  get threshold(): number {
    return this.count < this.k ? -Infinity : (this.scores[0] ?? Infinity); // k = 0: nothing enters
  }

  push(score: number, row: number): void {
    if (this.count < this.k) {
      let i = this.count++;
      // sift up
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(score, row, this.scores[parent]!, this.rows[parent]!)) break;
        this.scores[i] = this.scores[parent]!;
        this.rows[i] = this.rows[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.rows[i] = row;
      return;
    }
    if (!worse(this.scores[0]!, this.rows[0]!, score, row)) return;
    this.siftDown(score, row);
  }

  /** Pushes a run of scores for rows firstRow, firstRow + 1, … (the inner loop of exact search). */
  pushRun(scores: Float32Array, offset: number, length: number, firstRow: number): void {
    let threshold = this.threshold;
    for (let i = 0; i < length; i++) {
      const s = scores[offset + i]!;
      // Rows ascend, so an equal score never beats a kept one: strict comparison suffices.
      if (s > threshold) {
        this.push(s, firstRow + i);
        threshold = this.threshold;
      }
    }
  }

  /** The kept pairs, best first. */
  result(): Neighbors {
    const order = Array.from({ length: this.count }, (_, i) => i)
      .sort((a, b) => (this.scores[b]! - this.scores[a]!) || (this.rows[a]! - this.rows[b]!));
    return {
      rows: Int32Array.from(order, (i) => this.rows[i]!),
      scores: Float32Array.from(order, (i) => this.scores[i]!),
    };
  }

  private siftDown(score: number, row: number): void {
    const n = this.count;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && worse(this.scores[right]!, this.rows[right]!, this.scores[left]!, this.rows[left]!)) child = right;
      if (!worse(this.scores[child]!, this.rows[child]!, score, row)) break;
      this.scores[i] = this.scores[child]!;
      this.rows[i] = this.rows[child]!;
      i = child;
    }
    this.scores[i] = score;
    this.rows[i] = row;
  }
}

/** Is (s1, r1) worse than (s2, r2)? */
function worse(s1: number, r1: number, s2: number, r2: number): boolean {
  return s1 < s2 || (s1 === s2 && r1 > r2);
}

/** Sorts hits best first with the same tie rule (for results that come from elsewhere). */
export function sortNeighbors(rows: ArrayLike<number>, scores: ArrayLike<number>): Neighbors {
  const order = Array.from({ length: rows.length }, (_, i) => i)
    .sort((a, b) => (scores[b]! - scores[a]!) || (rows[a]! - rows[b]!)); // indices of rows, which has as many as scores
  return { rows: Int32Array.from(order, (i) => rows[i]!), scores: Float32Array.from(order, (i) => scores[i]!) };
}
