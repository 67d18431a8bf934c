// A search space: named dimensions, each a real range (linear or log), an integer range or a choice.
// Validation returns problems as values, each naming its dimension, so a recipe loader can locate them.

export type ChoiceValue = string | number | boolean | null;

export type Dimension =
  | { kind: 'uniform'; lo: number; hi: number }
  | { kind: 'loguniform'; lo: number; hi: number }
  /** Inclusive bounds; `log` samples the integers log-uniformly (lo ≥ 1). */
  | { kind: 'int'; lo: number; hi: number; log?: boolean }
  | { kind: 'choice'; values: readonly ChoiceValue[] };

export type SearchSpace = Readonly<Record<string, Dimension>>;

/** One point of a space: a value per dimension name. */
export type Assignment = Record<string, ChoiceValue>;

export const uniform = (lo: number, hi: number): Dimension => ({ kind: 'uniform', lo, hi });
export const loguniform = (lo: number, hi: number): Dimension => ({ kind: 'loguniform', lo, hi });
export const int = (lo: number, hi: number, opts: { log?: boolean } = {}): Dimension => ({ kind: 'int', lo, hi, ...(opts.log ? { log: true } : {}) });
export const choice = (values: readonly ChoiceValue[]): Dimension => ({ kind: 'choice', values: [...values] });

export interface SpaceProblem {
  /** The dimension's name ('' for the space as a whole). */
  dimension: string;
  message: string;
}

export function validateSpace(space: SearchSpace): SpaceProblem[] {
  const named = Object.entries(space);
  if (named.length === 0) return [{ dimension: '', message: 'the search space has no dimensions' }];
  return named.flatMap(([name, dim]) => dimensionProblems(dim).map((message) => ({ dimension: name, message })));
}

function dimensionProblems(dim: Dimension): string[] {
  if (dim.kind === 'choice') {
    if (!Array.isArray(dim.values) || dim.values.length === 0) return ['choice needs at least one value'];
    const seen = new Set(dim.values.map((v) => JSON.stringify(v)));
    return seen.size < dim.values.length ? ['choice lists a value twice'] : [];
  }
  const { lo, hi } = dim;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [`${dim.kind} bounds must be finite numbers, got (${lo}, ${hi})`];
  const problems: string[] = [];
  if (dim.kind === 'int') {
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) problems.push(`int bounds must be integers, got (${lo}, ${hi})`);
    // Inclusive: int(3, 3) is one value, a constant rather than a dimension, and allowed.
    if (lo > hi) problems.push(`int needs lo ≤ hi, got lo ${lo} > hi ${hi}`);
    if (dim.log && lo < 1) problems.push(`int with log needs lo ≥ 1, got ${lo}`);
    return problems;
  }
  if (lo >= hi) problems.push(`${dim.kind} needs lo < hi, got lo ${lo} ≥ hi ${hi}`);
  if (dim.kind === 'loguniform' && lo <= 0) problems.push(`loguniform needs lo > 0, got ${lo}`);
  return problems;
}

/** Dimension names in a fixed order (sorted), so draws do not depend on how the space was written. */
export function dimensionNames(space: SearchSpace): string[] {
  return Object.keys(space).sort();
}

/** Each dimension with its name, in the order of `dimensionNames`. */
export function dimensions(space: SearchSpace): [string, Dimension][] {
  return Object.entries(space).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** True for dimensions searched in log space. */
export function isLog(dim: Dimension): boolean {
  return dim.kind === 'loguniform' || (dim.kind === 'int' && dim.log === true);
}

/**
 * The interval a numeric dimension is searched on: log-transformed for log dims, and widened by half
 * a step for integers so each integer owns an equal share of it (before the log, for log integers).
 */
export function searchInterval(dim: Exclude<Dimension, { kind: 'choice' }>): { lo: number; hi: number } {
  const lo = dim.kind === 'int' ? dim.lo - 0.5 : dim.lo;
  const hi = dim.kind === 'int' ? dim.hi + 0.5 : dim.hi;
  return isLog(dim) ? { lo: Math.log(lo), hi: Math.log(hi) } : { lo, hi };
}

/** A value's position on the search interval. */
export function toInternal(dim: Exclude<Dimension, { kind: 'choice' }>, value: number): number {
  return isLog(dim) ? Math.log(value) : value;
}

/** The dimension's value at a position of its search interval: rounded for integers, kept within bounds. */
export function fromInternal(dim: Exclude<Dimension, { kind: 'choice' }>, x: number): number {
  const value = isLog(dim) ? Math.exp(x) : x;
  const rounded = dim.kind === 'int' ? Math.round(value) : value;
  return Math.min(dim.hi, Math.max(dim.lo, rounded));
}

/** True when `value` is a legal value of the dimension. */
export function contains(dim: Dimension, value: ChoiceValue | undefined): boolean {
  if (dim.kind === 'choice') return dim.values.some((v) => v === value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (dim.kind === 'int' && !Number.isInteger(value)) return false;
  return value >= dim.lo && value <= dim.hi;
}

/** A text identifying an assignment, equal for equal assignments whatever their key order. */
export function assignmentId(space: SearchSpace, assignment: Assignment): string {
  return idOver(dimensionNames(space), assignment);
}

/** assignmentId with the names given (sorted once by the caller, for loops over many assignments). */
export function idOver(names: readonly string[], assignment: Assignment): string {
  let out = '';
  for (const name of names) out += JSON.stringify(assignment[name] ?? null) + ',';
  return out;
}
