// Cleaning passage text, splitting it into sentences and grouping sentences into passages.
//
// The splitter is rule-based, enough for encyclopaedic and news prose: a sentence ends at `.`, `!`
// or `?` (with any closing quotes or brackets after it) followed by white space and a capital
// letter, a digit or an opening quote. A period does not end a sentence after a single capital
// letter (initials: "J. K. Rowling"), after a known abbreviation ("Mr.", "St.", "U.S.", "e.g.")
// or inside a number ("3.5").

/** Collapses every run of white space (and control characters) to one space, and trims. */
export function cleanText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'ft', 'vs', 'etc', 'inc', 'ltd', 'co', 'corp',
  'no', 'vol', 'fig', 'gen', 'gov', 'sen', 'rep', 'rev', 'sgt', 'capt', 'col', 'lt', 'jan', 'feb', 'mar',
  'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'approx', 'ca', 'cf', 'al',
]);

// A candidate end: the terminator, closing marks, white space, then what may start a sentence.
const BOUNDARY = /([.!?])(["'”’)\]]*)\s+(?=["'“‘(]?[A-Z0-9])/g;

/** The sentences of a cleaned text, in order; none when the text is empty. */
export function splitSentences(text: string): string[] {
  const clean = cleanText(text);
  if (clean === '') return [];
  const sentences: string[] = [];
  let start = 0;
  for (const match of clean.matchAll(BOUNDARY)) {
    const end = match.index + match[1]!.length + match[2]!.length; // both groups always take part
    if (match[1] === '.' && !endsSentence(clean.slice(start, match.index))) continue;
    sentences.push(clean.slice(start, end));
    start = match.index + match[0].length;
  }
  const rest = clean.slice(start).trim();
  if (rest !== '') sentences.push(rest);
  return sentences;
}

/** Whether a period after `before` ends a sentence (not an initial or an abbreviation). */
function endsSentence(before: string): boolean {
  const word = /([A-Za-z.]+)$/.exec(before)?.[1];
  if (word === undefined) return true;
  if (/^[A-Z]$/.test(word)) return false; // an initial
  if (/^([A-Za-z]\.)+[A-Za-z]$/.test(word)) return false; // "U.S", "e.g" before the last period
  return !ABBREVIATIONS.has(word.toLowerCase());
}

/**
 * Consecutive groups of `size` sentences joined by spaces; the last group may be shorter, and a
 * last group of fewer than half of `size` sentences joins the one before (no one-line stub).
 * `size` 0 keeps the whole text as one group.
 */
export function chunkSentences(sentences: readonly string[], size: number): string[] {
  if (sentences.length === 0) return [];
  if (size <= 0) return [sentences.join(' ')];
  const groups: string[][] = [];
  for (let i = 0; i < sentences.length; i += size) groups.push(sentences.slice(i, i + size));
  const last = groups[groups.length - 1]!; // sentences is not empty, so neither is groups
  if (groups.length > 1 && last.length < size / 2) groups[groups.length - 2]!.push(...groups.pop()!);
  return groups.map((g) => g.join(' '));
}
