// How well an order of a query's scored candidates agrees with the teacher: is the order's first
// candidate one of the teacher's positives (its top 3)? And what share of (positive, negative)
// pairs — teacher top 3 against teacher bottom 16 — does the order put the right way round?
// Ties in an order go to the earlier pool row, never to the teacher's list order.

export interface ScoredForAgreement {
  /** Pool rows of the scored candidates and their teacher scores. */
  rows: readonly number[];
  teacher: readonly number[];
}

export interface Agreement {
  /** Share of queries whose top-1 under the order is a teacher positive. */
  top1: number;
  /** Share of (positive, negative) pairs ordered as the teacher orders them (ties count half). */
  pairwise: number;
  /** top1 of a random order: the mean of |positives| / |candidates|. */
  randomTop1: number;
  queries: number;
}

/** Teacher positives (top `topk`) and negatives (bottom `bottomk`), as positions into `rows`. */
function teacherSplit(q: ScoredForAgreement, topk: number, bottomk: number): { pos: number[]; neg: number[] } {
  const order = q.teacher.map((s, i) => i).sort((a, b) => q.teacher[b]! - q.teacher[a]! || a - b); // indices of q.teacher
  const pos = order.slice(0, topk);
  const neg = order.slice(Math.max(topk, order.length - bottomk));
  return { pos, neg };
}

/** `score(query, position)` gives the order's score of the query's candidate at that position. */
export function agreement(queries: readonly ScoredForAgreement[], score: (query: number, position: number) => number, topk = 3, bottomk = 16): Agreement {
  let top1 = 0;
  let pairs = 0;
  let right = 0;
  let random = 0;
  queries.forEach((q, qi) => {
    const s = q.rows.map((_, i) => score(qi, i));
    let best = 0;
    for (let i = 1; i < s.length; i++) if (s[i]! > s[best]! || (s[i] === s[best] && q.rows[i]! < q.rows[best]!)) best = i; // s has one score per row
    const { pos, neg } = teacherSplit(q, topk, bottomk);
    if (pos.includes(best)) top1++;
    random += pos.length / q.rows.length;
    for (const p of pos) {
      for (const n of neg) {
        pairs++;
        right += s[p]! > s[n]! ? 1 : s[p] === s[n] ? 0.5 : 0; // positions of rows
      }
    }
  });
  const n = queries.length;
  return { top1: n ? top1 / n : 0, pairwise: pairs ? right / pairs : 0, randomTop1: n ? random / n : 0, queries: n };
}
