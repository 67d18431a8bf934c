// "Did you mean" suggestions by edit distance (adjacent transpositions count as one edit).

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}

/**
 * The closest candidate within a distance proportional to the word's length, if any.
 * A candidate that shares too little with the word (e.g. '4' for '1') is no suggestion.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) { best = candidate; bestDistance = d; }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.ceil(word.length / 3));
  return bestDistance <= limit && bestDistance < Math.max(word.length, best.length) ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const hit = closest(word, list);
  return hit === undefined ? undefined : `did you mean '${hit}'?`;
}
