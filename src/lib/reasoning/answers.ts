// Final answers of reasoning chains: where they are written, and when two of them are the same.
//
//   model  "… The answer is 42."            the format our gold rationales and teachers use
//   gsm8k  "… #### 42"                       GSM8K's reference solutions
//   math   "… \boxed{\frac{1}{2}} …"         MATH (Hendrycks et al. 2021): the last \boxed{} or \fbox{}
//
// MATH answers are compared after the normalisation of Hendrycks' `_strip_string`, which
// TDG's `dataset.py` reuses (methods.md §4.4); the other two formats are compared as numbers.

export type AnswerFormat = 'model' | 'gsm8k' | 'math';

export const ANSWER_FORMATS: readonly AnswerFormat[] = ['model', 'gsm8k', 'math'];

/** "1,234", "$12", "12.50" → the number as a canonical string ("1234", "12", "12.5"); null when not a number. */
export function canonicalNumber(text: string): string | null {
  const cleaned = text.trim().replace(/^\$\s*/, '').replace(/,(?=\d{3}(\D|$))/g, '').replace(/\.$/, '');
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(cleaned)) return null;
  const value = Number(cleaned);
  if (!Number.isFinite(value)) return null;
  return String(value === 0 ? 0 : value); // -0 and +0 are one answer
}

const MODEL_ANSWER = /the answer is\s*:?\s*\$?\s*([-+]?[\d,]*\.?\d+)/gi;

/** The number after the last "The answer is"; null when there is none. */
export function extractModelAnswer(text: string): string | null {
  let last: string | null = null;
  for (const m of text.matchAll(MODEL_ANSWER)) last = m[1]!; // the number group always takes part
  return last === null ? null : canonicalNumber(last);
}

/** The number after the last "####" (GSM8K); null when there is none or it is not a number. */
export function extractGsm8kAnswer(text: string): string | null {
  const at = text.lastIndexOf('####');
  if (at < 0) return null;
  const rest = text.slice(at + 4).trim().split('\n')[0]!.trim();
  return canonicalNumber(rest);
}

/**
 * The last `\boxed{…}` (or `\fbox{…}`) of a text with its braces matched, e.g. "\boxed{\frac{1}{2}}";
 * also the brace-less "\boxed 5". Null when there is none or its braces never close.
 */
export function lastBoxed(text: string): string | null {
  let at = text.lastIndexOf('\\boxed');
  if (at < 0) at = text.lastIndexOf('\\fbox');
  if (at < 0) return null;
  const spaced = /^\\boxed ([^\s$]+)/.exec(text.slice(at));
  if (spaced) return `\\boxed ${spaced[1]}`;
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') {
      depth--;
      if (depth === 0) return text.slice(at, i + 1);
      if (depth < 0) return null;
    }
  }
  return null;
}

/** The content of a `\boxed{…}` / `\fbox{…}` / `\boxed …` string. */
export function unbox(boxed: string): string {
  if (boxed.startsWith('\\boxed ')) return boxed.slice('\\boxed '.length);
  const m = /^\\(boxed|fbox)\{([\s\S]*)\}$/.exec(boxed);
  return m?.[2] ?? boxed;
}

/** The content of the last \boxed{} of a MATH solution or sample; null when there is none. */
export function extractMathAnswer(text: string): string | null {
  const boxed = lastBoxed(text);
  return boxed === null ? null : unbox(boxed);
}

// ---- Hendrycks' normalisation, step by step (the quirks are kept: answers are compared as the
// reference scripts compare them) ----

/** A step of the normalisation that Hendrycks' code leaves to an exception: compare raw strings then. */
class Unnormalisable extends Error {}

/** "\frac12" → "\frac{1}{2}", "\frac1{2}" → "\frac{1}{2}"; an argument in braces is left alone. */
function fixFracs(s: string): string {
  const parts = s.split('\\frac');
  let out = parts[0]!; // split gives at least one part
  for (const part of parts.slice(1)) {
    out += '\\frac';
    if (part.startsWith('{')) {
      out += part;
      continue;
    }
    if (part.length < 2) return s; // malformed: the whole string stays as it was
    const a = part[0]!;
    const b = part[1]!;
    out += b === '{' ? `{${a}}${part.slice(1)}` : `{${a}}{${b}}${part.slice(2)}`;
  }
  return out;
}

/** "3/4" (two integers written canonically) → "\frac{3}{4}". */
function fixSlash(s: string): string {
  const m = /^(-?\d+)\/(-?\d+)$/.exec(s);
  if (!m || String(Number(m[1])) !== m[1] || String(Number(m[2])) !== m[2]) return s;
  return `\\frac{${m[1]}}{${m[2]}}`;
}

/** "5 \text{ cm}" → "5 ": units written after "\text{ " are dropped (twice is an error). */
function removeRightUnits(s: string): string {
  const parts = s.split('\\text{ ');
  if (parts.length === 1) return s;
  if (parts.length !== 2) throw new Unnormalisable();
  return parts[0]!;
}

/** "\sqrt3" → "\sqrt{3}": the one character after \sqrt gets braces. */
function fixSqrt(s: string): string {
  const parts = s.split('\\sqrt');
  let out = parts[0]!; // split gives at least one part
  for (const part of parts.slice(1)) {
    if (part.length === 0) throw new Unnormalisable();
    out += part[0] === '{' ? `\\sqrt${part}` : `\\sqrt{${part[0]}}${part.slice(1)}`;
  }
  return out;
}

/** Hendrycks' `_strip_string`: the MATH answer normalisation. Throws Unnormalisable where it raises. */
function stripString(answer: string): string {
  let s = answer.replace(/\n/g, '');
  s = s.replace(/\\!/g, '');
  s = s.replace(/\\\\/g, '\\');
  s = s.replace(/tfrac/g, 'frac').replace(/dfrac/g, 'frac');
  s = s.replace(/\\left/g, '').replace(/\\right/g, '');
  s = s.replace(/\^\{\\circ\}/g, '').replace(/\^\\circ/g, '');
  s = s.replace(/\\\$/g, '');
  s = removeRightUnits(s);
  s = s.replace(/\\%/g, '');
  s = s.replace(/ \./g, ' 0.').replace(/\{\./g, '{0.');
  if (s.length === 0) return s;
  if (s[0] === '.') s = `0${s}`;
  // "x = 5" or "k=5" → "5": a short left-hand side names the variable.
  const sides = s.split('=');
  if (sides.length === 2 && sides[0]!.length <= 2) s = sides[1]!;
  s = fixSqrt(s);
  s = s.replace(/ /g, '');
  s = fixFracs(s);
  if (s === '0.5') s = '\\frac{1}{2}';
  return fixSlash(s);
}

/** The normalised MATH answer; null where Hendrycks' code fails (two "\text{ " units, a bare \sqrt at the end). */
export function normalizeMathAnswer(answer: string): string | null {
  try {
    return stripString(answer);
  } catch (e) {
    if (e instanceof Unnormalisable) return null;
    throw e;
  }
}

/**
 * MATH equivalence (Hendrycks' `is_equiv`): equal after normalisation, or equal as written when
 * one cannot be normalised; two missing answers count as equal, one missing as different.
 */
export function isMathEquiv(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const x = normalizeMathAnswer(a);
  const y = normalizeMathAnswer(b);
  return x === null || y === null ? a === b : x === y;
}

/** Numeric equivalence of extracted answers (GSM8K and our own format). */
export function isNumericEquiv(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  const x = canonicalNumber(a);
  const y = canonicalNumber(b);
  return x !== null && x === y;
}

export function extractAnswer(text: string, format: AnswerFormat): string | null {
  if (format === 'math') return extractMathAnswer(text);
  if (format === 'gsm8k') return extractGsm8kAnswer(text);
  return extractModelAnswer(text);
}

/** Whether an extracted answer matches the gold one in a format's sense. A missing prediction never matches. */
export function answersMatch(predicted: string | null, gold: string, format: AnswerFormat): boolean {
  if (predicted === null) return false;
  return format === 'math' ? isMathEquiv(predicted, gold) : isNumericEquiv(predicted, gold);
}
