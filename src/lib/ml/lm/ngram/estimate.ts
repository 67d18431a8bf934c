// Interpolated (modified) Kneser–Ney estimation, from counts to the hashed tables the scorer uses.
//
// For an n-gram h·w with count c (frequency at the top order, continuation count below):
//   P_n(w | h) = max(c − D_n(c), 0) / c(h·) + γ_n(h) · P_{n−1}(w | h′)       (h′ = h minus its first word)
//   γ_n(h)     = (D_n(1)·N1(h·) + D_n(2)·N2(h·) + D_n(3+)·N3+(h·)) / c(h·)
// where c(h·) sums the counts of h's continuations and Nk(h·) counts continuations with count k
// (3+ meaning ≥ 3). A history never continued at order n passes everything down (γ = 1).
// P_0 is uniform over the predictable words: the whole vocabulary except BOS, <unk> included.
// Each level sums to one because every discount is strictly below its count.
// Discounts per order follow Chen & Goodman (1998) from the counts-of-counts n1..n4:
//   Y = n1 / (n1 + 2 n2),  D(1) = 1 − 2Y n2/n1,  D(2) = 2 − 3Y n3/n2,  D(3+) = 3 − 4Y n4/n3
// clamped into (0, k); a fixed `discount` replaces all three (plain interpolated Kneser–Ney).

import { BOS_ID } from '../../tokenize.js';
import type { NgramCounts, OrderCounts } from './counts.js';
import { NgramTable } from './table.js';

export type Discounts = [number, number, number];

export interface EstimatedModel {
  order: number;
  vocabSize: number;
  /** P_1(w): the full unigram distribution (0 for BOS). */
  p1: Float64Array;
  /** γ of each word used as a one-word history (for order 2). */
  gamma1: Float64Array;
  /** tables[n - 2] holds order n, for n = 2..order. */
  tables: NgramTable[];
  /** discounts[n - 1] are the discounts of order n. */
  discounts: Discounts[];
}

export function discountsFromCounts(count: Int32Array, size: number, fixed?: number): Discounts {
  if (fixed !== undefined) {
    if (!(fixed > 0 && fixed < 1)) throw new RangeError(`discount must be in (0, 1), got ${fixed}`);
    return [fixed, fixed, fixed];
  }
  const n: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  for (let i = 0; i < size; i++) {
    const c = count[i]!;
    if (c >= 1 && c <= 4) n[c]!++;
  }
  const [, n1, n2, n3, n4] = n;
  const y = n1 > 0 && n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  const d1 = n1 > 0 && n2 > 0 ? 1 - (2 * y * n2) / n1 : 0.5;
  const d2 = n2 > 0 && n3 > 0 ? 2 - (3 * y * n3) / n2 : 1;
  const d3 = n3 > 0 && n4 > 0 ? 3 - (4 * y * n4) / n3 : 1.5;
  const clamp = (d: number, k: number): number => Math.min(k - 0.05, Math.max(0.05, Number.isFinite(d) ? d : k / 2));
  return [clamp(d1, 1), clamp(d2, 2), clamp(d3, 3)];
}

function discountOf(d: Discounts, c: number): number {
  return c === 1 ? d[0] : c === 2 ? d[1] : d[2];
}

/** Per-history totals c(h·) and the discounted mass Σ D(c) of an order's n-grams. */
function historyTotals(counts: OrderCounts, historySpace: number, d: Discounts): { total: Float64Array; mass: Float64Array } {
  const total = new Float64Array(historySpace);
  const mass = new Float64Array(historySpace);
  for (let id = 0; id < counts.size; id++) {
    const c = counts.count[id]!;
    if (c <= 0) continue;
    const h = counts.parent[id]!;
    total[h]! += c;
    mass[h]! += discountOf(d, c);
  }
  return { total, mass };
}

export function estimateKneserNey(counts: NgramCounts, fixedDiscount?: number): EstimatedModel {
  const { order, vocabSize } = counts;
  const discounts: Discounts[] = counts.orders.map((o) => discountsFromCounts(o.count, o.size, fixedDiscount));
  const predictable = vocabSize - 1; // every word but BOS

  // Order 1.
  const o1 = counts.orders[0]!;
  const d1 = discounts[0]!;
  let total1 = 0;
  let mass1 = 0;
  for (let w = 0; w < vocabSize; w++) {
    const c = o1.count[w]!;
    if (c > 0 && w !== BOS_ID) {
      total1 += c;
      mass1 += discountOf(d1, c);
    }
  }
  const p1 = new Float64Array(vocabSize);
  const gamma0 = total1 > 0 ? mass1 / total1 : 1;
  for (let w = 0; w < vocabSize; w++) {
    if (w === BOS_ID) continue;
    const c = o1.count[w]!;
    const alpha = c > 0 && total1 > 0 ? (c - discountOf(d1, c)) / total1 : 0;
    p1[w] = alpha + gamma0 / predictable;
  }

  // γ of every history of order n-1, computed from order n; γ = 1 for histories never continued.
  const gammas: Float64Array[] = []; // gammas[n - 1]: γ of the n-grams of order n as histories
  for (let n = 1; n < order; n++) {
    const below = counts.orders[n - 1]!;
    const { total, mass } = historyTotals(counts.orders[n]!, below.size, discounts[n]!);
    const g = new Float64Array(below.size);
    for (let h = 0; h < below.size; h++) g[h] = total[h]! > 0 ? mass[h]! / total[h]! : 1;
    gammas.push(g);
  }
  const gamma1 = order > 1 ? gammas[0]! : new Float64Array(vocabSize).fill(1);

  // Tables of orders 2..N with α and γ; parents are re-keyed from dense ids to slots.
  const tables: NgramTable[] = [];
  let slotOfBelow: Int32Array | null = null; // dense id of order n-1 → slot (null: word ids)
  for (let n = 2; n <= order; n++) {
    const o = counts.orders[n - 1]!;
    const { total } = historyTotals(o, counts.orders[n - 2]!.size, discounts[n - 1]!);
    const withGamma = n < order;
    const table = NgramTable.empty(n, o.size, withGamma);
    const slotOf = new Int32Array(o.size);
    const d = discounts[n - 1]!;
    for (let id = 0; id < o.size; id++) {
      const c = o.count[id]!;
      const h = o.parent[id]!;
      const alpha = c > 0 ? (c - discountOf(d, c)) / total[h]! : 0;
      const parentKey: number = slotOfBelow === null ? h : slotOfBelow[h]!;
      slotOf[id] = table.insert(parentKey, o.word[id]!, alpha, withGamma ? gammas[n - 1]![id]! : 1);
    }
    tables.push(table);
    slotOfBelow = slotOf;
  }
  return { order, vocabSize, p1, gamma1, tables, discounts };
}
