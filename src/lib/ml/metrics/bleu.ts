// BLEU (Papineni et al. 2002): clipped n-gram precisions up to 4-grams, geometric mean,
// brevity penalty against the closest reference length (ties: the shorter one).
// Tokenisation: words and single punctuation characters (see bleuTokens), case-sensitive
// unless `lowercase` is set.

import { bleuTokens } from './text.js';

/**
 * - none: any order with zero matches gives BLEU 0.
 * - add-one: (matches + 1) / (total + 1) for orders n ≥ 2 (Lin & Och 2004).
 * - exp: each order with zero matches gets 1 / (2^k · total), k counting such orders
 *   (the NIST mteval / sacreBLEU "exp" method).
 * Smoothed variants also use the effective order: orders longer than the hypothesis are skipped.
 */
export type BleuSmoothing = 'none' | 'add-one' | 'exp';

export interface BleuOptions {
  maxOrder?: number;
  smoothing?: BleuSmoothing;
  lowercase?: boolean;
}

export interface BleuStats {
  matches: number[];
  totals: number[];
  hypLength: number;
  refLength: number;
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

function closestLength(hypLength: number, refLengths: number[]): number {
  let best = refLengths[0]!;
  for (const l of refLengths) {
    const d = Math.abs(l - hypLength);
    const bd = Math.abs(best - hypLength);
    if (d < bd || (d === bd && l < best)) best = l;
  }
  return best;
}

/** Sufficient statistics of one segment; corpus BLEU sums them. */
export function bleuStats(hypothesis: string, references: string[], opts: BleuOptions = {}): BleuStats {
  const maxOrder = opts.maxOrder ?? 4;
  const hyp = bleuTokens(hypothesis, opts.lowercase);
  const refs = references.map((r) => bleuTokens(r, opts.lowercase));
  const matches: number[] = [];
  const totals: number[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const h = ngramCounts(hyp, n);
    const maxRef = new Map<string, number>();
    for (const r of refs) for (const [g, c] of ngramCounts(r, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
    let m = 0;
    for (const [g, c] of h) m += Math.min(c, maxRef.get(g) ?? 0);
    matches.push(m);
    totals.push(Math.max(hyp.length - n + 1, 0));
  }
  return { matches, totals, hypLength: hyp.length, refLength: refs.length ? closestLength(hyp.length, refs.map((r) => r.length)) : 0 };
}

/** BLEU in 0..1 from summed statistics. */
export function bleuFromStats(s: BleuStats, smoothing: BleuSmoothing = 'none'): number {
  if (s.hypLength === 0) return 0;
  let logSum = 0;
  let orders = 0;
  let expFactor = 1;
  for (let i = 0; i < s.matches.length; i++) {
    const m = s.matches[i]!;
    const t = s.totals[i]!;
    if (t === 0) {
      if (smoothing === 'none') return 0;
      continue; // effective order
    }
    let p: number;
    if (smoothing === 'add-one' && i > 0) p = (m + 1) / (t + 1);
    else if (m === 0) {
      if (smoothing !== 'exp') return 0;
      expFactor *= 2;
      p = 1 / (expFactor * t);
    } else p = m / t;
    logSum += Math.log(p);
    orders++;
  }
  if (orders === 0) return 0;
  const bp = s.hypLength >= s.refLength ? 1 : Math.exp(1 - s.refLength / s.hypLength);
  return bp * Math.exp(logSum / orders);
}

/** Corpus-level BLEU: statistics summed over segments, then one score. Default: no smoothing. */
export function corpusBleu(hypotheses: string[], references: string[][], opts: BleuOptions = {}): number {
  if (hypotheses.length !== references.length) throw new RangeError('corpusBleu: hypotheses and references differ in length');
  const maxOrder = opts.maxOrder ?? 4;
  const total: BleuStats = { matches: Array(maxOrder).fill(0), totals: Array(maxOrder).fill(0), hypLength: 0, refLength: 0 };
  hypotheses.forEach((h, i) => {
    const s = bleuStats(h, references[i]!, opts);
    for (let n = 0; n < maxOrder; n++) {
      total.matches[n]! += s.matches[n]!;
      total.totals[n]! += s.totals[n]!;
    }
    total.hypLength += s.hypLength;
    total.refLength += s.refLength;
  });
  return bleuFromStats(total, opts.smoothing ?? 'none');
}

/** Sentence-level BLEU; smoothed ('exp') by default since single sentences often miss 4-grams. */
export function sentenceBleu(hypothesis: string, references: string[], opts: BleuOptions = {}): number {
  return bleuFromStats(bleuStats(hypothesis, references, opts), opts.smoothing ?? 'exp');
}
