// A deliberately plain implementation of the same model as ngram.ts: string-keyed maps, the
// Kneser–Ney recursion written as it reads on paper, and a map-based cache. It is the executable
// specification the fast model is checked against (tests) and the baseline it is timed against
// (bench/ngram.ts). Not for production use.

import { BOS_ID } from '../../../src/lib/ml/tokenize.js';

interface HistoryStats {
  total: number;
  n1: number;
  n2: number;
  n3: number;
}

type D3 = [number, number, number];

export class ReferenceKneserNey {
  /** counts[n-1]: n-gram key ("a b c") → the count Kneser–Ney discounts at order n. */
  private readonly counts: Map<string, number>[] = [];
  private readonly histories: Map<string, HistoryStats>[] = [];
  readonly discounts: D3[] = [];

  /** `sequences` hold word ids without BOS; each gets one BOS in front, as in training. */
  constructor(
    sequences: number[][],
    readonly order: number,
    readonly vocabSize: number,
    fixedDiscount?: number,
  ) {
    const freq: Map<string, number>[] = [];
    const leftWords: Map<string, Set<number>>[] = [];
    for (let n = 1; n <= order; n++) {
      freq.push(new Map());
      leftWords.push(new Map());
    }
    for (const seq of sequences) {
      const s = [BOS_ID, ...seq];
      for (let i = 1; i < s.length; i++) {
        for (let n = 1; n <= order && i - n + 1 >= 0; n++) {
          const key = s.slice(i - n + 1, i + 1).join(' ');
          freq[n - 1]!.set(key, (freq[n - 1]!.get(key) ?? 0) + 1);
          if (i - n >= 0) {
            const set = leftWords[n - 1]!.get(key) ?? new Set<number>();
            set.add(s[i - n]!);
            leftWords[n - 1]!.set(key, set);
          }
        }
      }
    }
    for (let n = 1; n <= order; n++) {
      const c = new Map<string, number>();
      for (const [key, f] of freq[n - 1]!) {
        const startsWithBos = key.split(' ')[0] === String(BOS_ID);
        c.set(key, n === order || startsWithBos ? f : leftWords[n - 1]!.get(key)?.size ?? 0);
      }
      this.counts.push(c);
      this.discounts.push(fixedDiscount !== undefined ? [fixedDiscount, fixedDiscount, fixedDiscount] : chenGoodman([...c.values()]));
      const hist = new Map<string, HistoryStats>();
      for (const [key, k] of c) {
        if (n === 1 && key === String(BOS_ID)) continue;
        const h = key.split(' ').slice(0, -1).join(' ');
        const st = hist.get(h) ?? { total: 0, n1: 0, n2: 0, n3: 0 };
        st.total += k;
        if (k === 1) st.n1++;
        else if (k === 2) st.n2++;
        else st.n3++;
        hist.set(h, st);
      }
      this.histories.push(hist);
    }
  }

  /** P_KN(w | history), history = the preceding ids (BOS first at a sequence start). */
  prob(history: number[], w: number): number {
    if (w === BOS_ID) return 0;
    const h = history.slice(Math.max(0, history.length - (this.order - 1)));
    return this.level(h.length + 1, h, w);
  }

  private level(n: number, h: number[], w: number): number {
    if (n === 0) return 1 / (this.vocabSize - 1);
    const lower = this.level(n - 1, h.slice(1), w);
    const st = this.histories[n - 1]!.get(h.join(' '));
    if (st === undefined || st.total === 0) return lower;
    const d = this.discounts[n - 1]!;
    const c = this.counts[n - 1]!.get([...h, w].join(' ')) ?? 0;
    const dc = c === 0 ? 0 : c === 1 ? d[0] : c === 2 ? d[1] : d[2];
    const gamma = (d[0] * st.n1 + d[1] * st.n2 + d[2] * st.n3) / st.total;
    return Math.max(c - dc, 0) / st.total + gamma * lower;
  }
}

function chenGoodman(counts: number[]): D3 {
  const n: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  for (const c of counts) if (c >= 1 && c <= 4) n[c]!++;
  const [, n1, n2, n3, n4] = n;
  const y = n1 > 0 && n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  const d1 = n1 > 0 && n2 > 0 ? 1 - (2 * y * n2) / n1 : 0.5;
  const d2 = n2 > 0 && n3 > 0 ? 2 - (3 * y * n3) / n2 : 1;
  const d3 = n3 > 0 && n4 > 0 ? 3 - (4 * y * n4) / n3 : 1.5;
  const clamp = (d: number, k: number): number => Math.min(k - 0.05, Math.max(0.05, Number.isFinite(d) ? d : k / 2));
  return [clamp(d1, 1), clamp(d2, 2), clamp(d3, 3)];
}

/**
 * Log-probability of each token (ids and normalised texts, read from BOS on) under the reference
 * model mixed with a map-based in-context cache, with the same λ, μ and unknown-word semantics
 * as ngram/model.ts: with the cache on, out-of-vocabulary words read before are events of their
 * own and share P_KN(<unk>) evenly with the never-seen word. The newline ending a blank line
 * starts a segment: the cache has no bigram history after it, as after BOS.
 */
export function referenceLogProbs(ref: ReferenceKneserNey, ids: number[], tokens: string[], lambda: number, mu: number): number[] {
  const UNK = 0;
  // Cache identities: a word's id, or "?text" for an out-of-vocabulary word.
  const identity = (i: number): string => (ids[i] === UNK && lambda > 0 ? `?${tokens[i]}` : String(ids[i]));
  const uni = new Map<string, number>();
  const pair = new Map<string, number>();
  const followed = new Map<string, number>();
  const unknowns = new Set<string>();
  let total = 0;
  const history: number[] = [BOS_ID];
  let prev = 'BOS';
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const w = ids[i]!;
    const me = identity(i);
    let p = ref.prob(history, w);
    if (lambda > 0 && total > 0) {
      const pu = (uni.get(me) ?? 0) / total;
      const f = prev === 'BOS' ? 0 : followed.get(prev) ?? 0;
      const pc = f === 0 ? pu : mu * ((pair.get(`${prev} ${me}`) ?? 0) / f) + (1 - mu) * pu;
      p = w === UNK ? ((1 - lambda) * p) / (unknowns.size + 1) + lambda * pc : (1 - lambda) * p + lambda * pc;
    }
    out.push(Math.log(p));
    if (w === UNK) unknowns.add(me);
    uni.set(me, (uni.get(me) ?? 0) + 1);
    total++;
    if (prev !== 'BOS') {
      followed.set(prev, (followed.get(prev) ?? 0) + 1);
      pair.set(`${prev} ${me}`, (pair.get(`${prev} ${me}`) ?? 0) + 1);
    }
    prev = tokens[i] === '\n' && i > 0 && tokens[i - 1] === '\n' ? 'BOS' : me;
    history.push(w);
    if (history.length > ref.order) history.shift();
  }
  return out;
}
