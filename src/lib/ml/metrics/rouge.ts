// ROUGE-L (sentence level): F-measure of the longest common subsequence of tokens.
// β = 1 by default, i.e. plain F1 of LCS precision and recall, as Google's rouge-score package
// reports it; pass another β to weight recall (Lin 2004 uses β = P/R, the `rouge` pip package
// follows that).

import { rougeTokens } from './text.js';

/** Length of the longest common subsequence, in O(|a|·|b|) time and O(|b|) memory. */
export function lcsLength<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = ai === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** ROUGE-L of one prediction against one reference; an empty side scores 0 (as rouge-score). */
export function rougeL(prediction: string, reference: string, beta = 1): RougeScore {
  const p = rougeTokens(prediction);
  const r = rougeTokens(reference);
  const lcs = lcsLength(p, r);
  if (lcs === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const precision = lcs / p.length;
  const recall = lcs / r.length;
  const b2 = beta * beta;
  return { precision, recall, fmeasure: ((1 + b2) * precision * recall) / (recall + b2 * precision) };
}
