// Number format of a table's cells: digits after the point, fixed, percent or scientific.
import type { TableSpec } from '../graph/types.js';

export function digitsOf(spec: TableSpec): number {
  return spec.digits ?? 2;
}

/** The number as printed (a percent keeps its % sign; renderers escape it where they must). */
export function formatNumber(value: number, spec: TableSpec): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = digitsOf(spec);
  switch (spec.format) {
    case 'percent': return `${(value * 100).toFixed(digits)}%`;
    case 'scientific': return value.toExponential(digits);
    default: return value.toFixed(digits);
  }
}

/** The value a reader sees, as a number: the best of a column is found among printed values, so equal-looking cells tie. */
export function displayedValue(value: number, spec: TableSpec): number {
  if (!Number.isFinite(value)) return value;
  const digits = digitsOf(spec);
  switch (spec.format) {
    case 'percent': return Number((value * 100).toFixed(digits));
    case 'scientific': return Number(value.toExponential(digits));
    default: return Number(value.toFixed(digits));
  }
}
