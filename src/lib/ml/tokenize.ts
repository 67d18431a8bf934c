// The word tokenizer shared by BM25 and the n-gram language model.
//
// A token is one of: a newline; a run of letters, digits, marks and connector punctuation
// (so "not_entailment" stays whole), optionally joined by inner apostrophes ("don't");
// or any other single non-space character (punctuation, symbols). Other whitespace only
// separates. Splitting is Unicode-aware through \p classes; lower-casing is optional and
// done per token so offsets always point into the original text.

export interface TokenizeOptions {
  /** Lower-case every token (default false). */
  lowercase?: boolean;
  /** Keep punctuation and symbol tokens (default true). */
  punctuation?: boolean;
  /** Keep "\n" tokens (default true). Newlines matter to LMs: prompts separate parts by them. */
  newlines?: boolean;
}

export interface TokenSpans {
  tokens: string[];
  /** UTF-16 offset of each token's first character in the input. */
  starts: number[];
  /** UTF-16 offset just past each token's last character. */
  ends: number[];
}

// The token grammar as a regular expression. The scanner below implements exactly this (a test
// checks them against each other on random Unicode text); it is 3–5× faster.
const WORD = String.raw`[\p{L}\p{N}\p{M}\p{Pc}]+(?:['’][\p{L}\p{N}\p{M}\p{Pc}]+)*`;
export const TOKEN_PATTERN = new RegExp(String.raw`\n|${WORD}|[^\s\p{L}\p{N}\p{M}\p{Pc}]`, 'gu');
const WORD_CHAR = /^[\p{L}\p{N}\p{M}\p{Pc}]$/u;
const SPACE_CHAR = /^\s$/u;

// Character classes, filled lazily for code points (ASCII up front).
const SPACE = 1;
const WORDC = 2;
const PUNCT = 3;
const NEWLINE = 4;
const bmpClass = new Uint8Array(65536);
const astralClass = new Map<number, number>();
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  bmpClass[c] = ch === '\n' ? NEWLINE : SPACE_CHAR.test(ch) ? SPACE : WORD_CHAR.test(ch) ? WORDC : PUNCT;
}

function classify(cp: number): number {
  const ch = String.fromCodePoint(cp);
  return SPACE_CHAR.test(ch) ? SPACE : WORD_CHAR.test(ch) ? WORDC : PUNCT;
}

function classOf(cp: number): number {
  if (cp < 65536) {
    let k = bmpClass[cp]!;
    if (k === 0) k = bmpClass[cp] = classify(cp);
    return k;
  }
  let k = astralClass.get(cp);
  if (k === undefined) astralClass.set(cp, (k = classify(cp)));
  return k;
}

function codePointAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
  }
  return c;
}

const APOSTROPHE = 0x27;
const RIGHT_QUOTE = 0x2019;

/**
 * Scans `text` and calls `emit(start, end, word, plain)` for each token; `plain` is true when the
 * token has no character lower-casing could change (ASCII without capitals).
 */
function scan(text: string, emit: (start: number, end: number, word: boolean, plain: boolean) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const cp = c < 0xd800 || c > 0xdbff ? c : codePointAt(text, i);
    const width = cp > 0xffff ? 2 : 1;
    const k = c < 128 ? bmpClass[c] : classOf(cp);
    if (k === SPACE) {
      i += width;
    } else if (k !== WORDC) {
      emit(i, i + width, false, c < 128);
      i += width;
    } else {
      const start = i;
      let plain = c < 128 && (c < 65 || c > 90);
      i += width;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d < 128) {
          const kd = bmpClass[d];
          if (kd === WORDC) {
            if (d >= 65 && d <= 90) plain = false;
            i++;
            continue;
          }
          // An inner apostrophe joins two word parts ("don't").
          if (d === APOSTROPHE && i + 1 < n && classOf(codePointAt(text, i + 1)) === WORDC) {
            i++;
            continue;
          }
          break;
        }
        const dp = d < 0xd800 || d > 0xdbff ? d : codePointAt(text, i);
        const dw = dp > 0xffff ? 2 : 1;
        if (classOf(dp) === WORDC || (dp === RIGHT_QUOTE && i + 1 < n && classOf(codePointAt(text, i + 1)) === WORDC)) {
          plain = false;
          i += dw;
          continue;
        }
        break;
      }
      emit(start, i, true, plain);
    }
  }
}

/** Tokens of `text` with their UTF-16 offsets. */
export function tokenizeWithOffsets(text: string, opts: TokenizeOptions = {}): TokenSpans {
  const lowercase = opts.lowercase ?? false;
  const punctuation = opts.punctuation ?? true;
  const newlines = opts.newlines ?? true;
  const tokens: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  scan(text, (start, end, word, plain) => {
    if (!word) {
      if (text.charCodeAt(start) === 10 ? !newlines : !punctuation) return;
    }
    const tok = text.slice(start, end);
    tokens.push(lowercase && !plain ? tok.toLowerCase() : tok);
    starts.push(start);
    ends.push(end);
  });
  return { tokens, starts, ends };
}

/** Tokens of `text` (see the module comment for what a token is). */
export function tokenize(text: string, opts: TokenizeOptions = {}): string[] {
  const lowercase = opts.lowercase ?? false;
  const punctuation = opts.punctuation ?? true;
  const newlines = opts.newlines ?? true;
  const out: string[] = [];
  scan(text, (start, end, word, plain) => {
    if (!word) {
      if (text.charCodeAt(start) === 10 ? !newlines : !punctuation) return;
    }
    const tok = text.slice(start, end);
    out.push(lowercase && !plain ? tok.toLowerCase() : tok);
  });
  return out;
}

/** True when the token is a word (starts with a letter, digit, mark or connector). */
export function isWordToken(token: string): boolean {
  return token.length > 0 && classOf(codePointAt(token, 0)) === WORDC;
}

// Detokenization: words are joined by one space; these rules attach punctuation to its
// neighbours the way English text is usually written.
const NO_SPACE_BEFORE = new Set(['.', ',', '!', '?', ';', ':', '%', ')', ']', '}', '’', '”', '…', '-', '/']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '“', '‘', '$', '#', '-', '/', '@']);
const STRAIGHT_QUOTES = new Set(['"', "'"]);

export interface Detokenized {
  text: string;
  /** UTF-16 offset of each token in `text`. */
  offsets: number[];
}

/**
 * Incremental detokenizer. `after` is the text the tokens continue (a prompt): it decides
 * whether the first token needs a leading space and which straight quotes are still open.
 */
export class Detokenizer {
  text = '';
  private openQuotes = 0;
  private prev: string | null;

  constructor(after = '') {
    for (const ch of after) if (STRAIGHT_QUOTES.has(ch)) this.openQuotes ^= 1;
    const last = after.length > 0 ? after[after.length - 1]! : '';
    this.prev = after.length === 0 || /\s/u.test(last) ? null : last;
  }

  /** Appends a token; returns its offset in `text`. */
  push(tok: string): number {
    const prev = this.prev;
    let space: boolean;
    if (prev === null || prev === '\n' || tok === '\n') space = false;
    else if (STRAIGHT_QUOTES.has(tok)) space = this.openQuotes === 0 && !NO_SPACE_AFTER.has(prev); // opening quote
    else if (STRAIGHT_QUOTES.has(prev)) space = this.openQuotes === 0; // after a closing quote
    else space = !NO_SPACE_BEFORE.has(tok) && !NO_SPACE_AFTER.has(prev);
    if (space) this.text += ' ';
    const offset = this.text.length;
    this.text += tok;
    if (STRAIGHT_QUOTES.has(tok)) this.openQuotes ^= 1;
    this.prev = tok;
    return offset;
  }
}

/** Joins tokens back into text (see Detokenizer). */
export function detokenizeWithOffsets(tokens: readonly string[], after = ''): Detokenized {
  const d = new Detokenizer(after);
  const offsets = tokens.map((t) => d.push(t));
  return { text: d.text, offsets };
}

export function detokenize(tokens: readonly string[], after = ''): string {
  return detokenizeWithOffsets(tokens, after).text;
}

/** Number of Unicode code points in `s` (servers count offsets in code points, as Python does). */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Converts sorted UTF-16 offsets into code-point offsets of the same string. */
export function toCodePointOffsets(s: string, offsets: readonly number[]): number[] {
  const out = new Array<number>(offsets.length);
  let cp = 0;
  let i = 0;
  for (let k = 0; k < offsets.length; k++) {
    const target = offsets[k]!;
    while (i < target && i < s.length) {
      const c = s.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
      cp++;
    }
    out[k] = cp;
  }
  return out;
}

/** Reserved vocabulary entries: unknown words and the start of a sequence. */
export const UNK = '<unk>';
export const BOS = '<s>';
export const UNK_ID = 0;
export const BOS_ID = 1;

export interface VocabularyBuildOptions {
  /** Keep at most this many entries, the two reserved ones included. */
  maxSize?: number;
  /** Drop tokens seen fewer times (default 1: keep all). */
  minCount?: number;
}

/**
 * Stable token ↔ id mapping. Ids 0 and 1 are <unk> and <s>; the rest are ordered by
 * descending count, then by code-unit order, so the same corpus always gives the same ids.
 */
export class Vocabulary {
  private readonly index = new Map<string, number>();

  constructor(readonly tokens: readonly string[]) {
    if (tokens[UNK_ID] !== UNK || tokens[BOS_ID] !== BOS) throw new Error(`a vocabulary must start with ${UNK} and ${BOS}`);
    tokens.forEach((t, i) => {
      if (this.index.has(t)) throw new Error(`duplicate vocabulary entry ${JSON.stringify(t)}`);
      this.index.set(t, i);
    });
  }

  static fromCounts(counts: Map<string, number>, opts: VocabularyBuildOptions = {}): Vocabulary {
    const minCount = opts.minCount ?? 1;
    const entries = [...counts].filter(([t, c]) => c >= minCount && t !== UNK && t !== BOS);
    entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const room = opts.maxSize === undefined ? entries.length : Math.max(0, opts.maxSize - 2);
    return new Vocabulary([UNK, BOS, ...entries.slice(0, room).map(([t]) => t)]);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Id of a token, UNK_ID when it is not in the vocabulary. */
  id(token: string): number {
    return this.index.get(token) ?? UNK_ID;
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  token(id: number): string {
    return this.tokens[id] ?? UNK;
  }

  encode(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) out[i] = this.index.get(tokens[i]!) ?? UNK_ID;
    return out;
  }
}

/** Adds the tokens of `texts` to a count table (for building a Vocabulary). */
export function countTokens(texts: Iterable<string>, opts: TokenizeOptions = {}, counts = new Map<string, number>()): Map<string, number> {
  for (const text of texts) {
    for (const t of tokenize(text, opts)) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}
