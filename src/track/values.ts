// Value rules that hold for every MLflow version: param values ≤500 characters (older 2.x servers),
// run tag values ≤5000, and doubles that JSON cannot carry (NaN, ±Infinity) sent as strings.

export const MAX_PARAM_VALUE_LENGTH = 500;
export const MAX_TAG_VALUE_LENGTH = 5000;

/** Length in code points, as Python's len() counts it. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The first `max` code points of `s` (never splits a surrogate pair). */
export function truncateCodePoints(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n === max) break;
    out += ch;
    n++;
  }
  return out;
}

export type EncodedDouble = number | 'NaN' | 'Infinity' | '-Infinity';

/** JSON.stringify(NaN) gives null, which MLflow rejects; the protobuf JSON names are used instead. */
export function encodeDouble(value: number): EncodedDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/** Reads a double as servers send it: a number, or one of the strings above (old servers also send numbers as strings). */
export function decodeDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

/** int64 fields arrive as numbers from current servers and as strings from very old ones. */
export function decodeInt(value: unknown, fallback = 0): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return fallback;
}
