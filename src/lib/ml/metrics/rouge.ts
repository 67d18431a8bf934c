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
      cur[j] = ai === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
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

/**
 * ROUGE-L F as the `rouge` pip package (pltrdy/rouge 1.0.1) computes it, the one LLM-R's
 * evaluation/metrics.py calls: texts are split into "sentences" at every ".", each sentence into
 * words at single spaces after collapsing whitespace (case and punctuation kept); the overlap is
 * the number of distinct words in the union of the LCSs of every (reference sentence, prediction
 * sentence) pair, divided by the number of distinct words on each side. LLM-R appends "\n" to
 * a text without one so that an empty prediction still has one (empty) sentence.
 */
export function rougeLPltrdy(prediction: string, reference: string): RougeScore {
  const hyp = pltrdySentences(prediction.includes('\n') ? prediction : prediction + '\n');
  const ref = pltrdySentences(reference.includes('\n') ? reference : reference + '\n');
  if (hyp.length === 0 || ref.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const m = new Set(ref.flat()).size;
  const n = new Set(hyp.flat()).size;
  const union = new Set<string>();
  for (const r of ref) for (const h of hyp) for (const w of reconLcs(r, h)) union.add(w);
  const recall = union.size / m;
  const precision = union.size / n;
  return { precision, recall, fmeasure: (2 * precision * recall) / (precision + recall + 1e-8) };
}

function pltrdySentences(text: string): string[][] {
  return text.split('.').filter((s) => s.length > 0).map((s) => s.split(/\s+/u).filter((w) => w !== '').join(' ').split(' '));
}

/** The words of one LCS of x and y, recovered by the package's backtracking (up on a strict win, else left). */
function reconLcs(x: readonly string[], y: readonly string[]): string[] {
  const n = x.length;
  const m = y.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => i * (m + 1) + j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      table[at(i, j)] = x[i - 1] === y[j - 1] ? table[at(i - 1, j - 1)]! + 1 : Math.max(table[at(i - 1, j)]!, table[at(i, j - 1)]!);
    }
  }
  const out: string[] = [];
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    if (x[i - 1] === y[j - 1]) {
      out.push(x[i - 1]!);
      i--;
      j--;
    } else if (table[at(i - 1, j)]! > table[at(i, j - 1)]!) i--;
    else j--;
  }
  return out.reverse();
}
