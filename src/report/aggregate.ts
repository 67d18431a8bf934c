// How the values that share a cell combine (seeds, say): a centre, an optional spread, and n.
import type { Aggregation } from '../graph/types.js';

export interface Aggregate { value: number; spread?: number; n: number }

/** `mean ± sem` and the older spelling `mean±se` are one statistic; so are the two spellings of std. */
export function canonicalAggregation(how: Aggregation | undefined): 'mean' | 'std' | 'sem' | 'median' | 'min' | 'max' | 'last' {
  switch (how) {
    case 'mean ± std': case 'mean±std': return 'std';
    case 'mean ± sem': case 'mean±se': return 'sem';
    case 'median': case 'min': case 'max': case 'last': return how;
    default: return 'mean';
  }
}

/** Aggregation of a non-empty list; the spread is the sample standard deviation (n − 1), or its error of the mean.
 *  One value has no spread (printing ± 0 would claim a certainty one seed cannot give). */
export function aggregate(values: number[], how: Aggregation | undefined): Aggregate {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : undefined;
  switch (canonicalAggregation(how)) {
    case 'std': return { value: mean, spread: std, n };
    case 'sem': return { value: mean, spread: std === undefined ? undefined : std / Math.sqrt(n), n };
    case 'median': {
      const s = [...values].sort((a, b) => a - b);
      return { value: n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2, n }; // indices within a non-empty list
    }
    case 'min': return { value: Math.min(...values), n };
    case 'max': return { value: Math.max(...values), n };
    case 'last': return { value: values[n - 1]!, n };
    default: return { value: mean, n };
  }
}
