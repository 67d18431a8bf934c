// The text forms of sweep values: comma lists, `range(start, stop, step)`, `choice(a, b)` and the
// random-search distributions `uniform(low, high)`, `loguniform(…)`, `int(…)`.
import { yamlLib } from '../util/yaml-lib.js';
import type { Plain } from '../recipe/load.js';

/** A piece of a text, with where it starts in the text (for carets under one item of a list). */
export interface Piece { text: string; start: number }

/** Splits at commas outside quotes and brackets: `1,[2,3],"a,b"` → `1`, `[2,3]`, `"a,b"`. */
export function splitTopLevel(text: string): Piece[] {
  const out: Piece[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(trimmed(text.slice(start, i), start));
      start = i + 1;
    }
  }
  out.push(trimmed(text.slice(start), start));
  return out;
}

function trimmed(text: string, start: number): Piece {
  const lead = text.length - text.trimStart().length;
  return { text: text.trim(), start: start + lead };
}

/** `name(args)` → its name and argument pieces (positions relative to the whole text), or undefined. */
export function functionCall(text: string): { name: string; args: Piece[] } | undefined {
  const m = /^\s*([A-Za-z]+)\s*\(([\s\S]*)\)\s*$/.exec(text);
  if (!m) return undefined;
  const open = text.indexOf('(') + 1;
  const [, name = '', inside = ''] = m; // both groups always take part in a match
  const args = inside.trim() === '' ? [] : splitTopLevel(inside).map((p) => ({ text: p.text, start: p.start + open }));
  return { name, args };
}

/** A piece of text as a value, read as YAML: `0.1` → 0.1, `abc` → "abc", `"a,b"` → "a,b". */
export function readValue(text: string): Plain {
  try {
    return yamlLib().parse(text) as Plain;
  } catch {
    return text;
  }
}

/** A quoted piece without its quotes (the literal string), else the piece itself. */
export function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) {
    const value = readValue(t);
    if (typeof value === 'string') return value;
  }
  return text;
}

/** The most values one range may give: beyond it a typo (a step of 1e-9) is more likely than intent. */
export const MAX_RANGE_VALUES = 100_000;

/** The values of range(start, stop, step), stop excluded, as Python's and Hydra's range; or why there are none. */
export function rangeValues(args: number[]): { values: number[] } | { error: string; hint?: string } {
  if (args.length < 1 || args.length > 3) return { error: `range takes 1 to 3 numbers (start, stop, step), got ${args.length}`, hint: 'e.g. range(0, 1, 0.25) gives 0, 0.25, 0.5, 0.75' };
  // One to three numbers (checked above).
  const [start, stop, step] = args.length === 1 ? [0, args[0]!, 1] : [args[0]!, args[1]!, args[2] ?? 1];
  if (args.some((n) => !Number.isFinite(n))) return { error: 'range takes finite numbers' };
  if (step === 0) return { error: 'range step is 0: the range would never end', hint: 'expected a step other than 0, e.g. range(0, 1, 0.25)' };
  const count = Math.ceil((stop - start) / step - 1e-9);
  if (count <= 0) {
    return { error: `range(${start}, ${stop}, ${step}) is empty`, hint: step > 0 ? 'expected start < stop for a positive step (stop is excluded)' : 'expected start > stop for a negative step (stop is excluded)' };
  }
  if (count > MAX_RANGE_VALUES) return { error: `range(${start}, ${stop}, ${step}) gives ${count} values, more than ${MAX_RANGE_VALUES}`, hint: 'expected a larger step' };
  // Sums of floats drift (0.1 + 0.2): 12 significant digits keep the values as written.
  return { values: Array.from({ length: count }, (_, i) => Number((start + i * step).toPrecision(12))) };
}

/** How a value reads in a trial or node id: `0.1`, `abc`, `[1,2]`. */
export function shortValue(value: Plain): string {
  if (typeof value === 'string') return /^[^,=[\]{}\s"']+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}
