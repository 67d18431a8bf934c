// Added tokens ([CLS], <|endoftext|>, user additions): found in the text before the model sees
// it, leftmost-longest first. Tokens with `normalized: false` are matched in the raw text, the
// others in the normalized text (their content normalized the same way).

import { escapeRegex } from './json-fields.js';
import type { Normalizer } from './normalizers.js';

export interface AddedToken {
  id: number;
  content: string;
  /** Match only where no word character touches either end. */
  singleWord: boolean;
  /** Swallow the whitespace on the left / right of a match. */
  lstrip: boolean;
  rstrip: boolean;
  /** Match in the normalized text (true) or in the raw text (false). */
  normalized: boolean;
  /** Skipped by decode(…, {skipSpecialTokens: true}). */
  special: boolean;
}

export function addedToken(id: number, content: string, flags: Partial<Omit<AddedToken, 'id' | 'content'>> = {}): AddedToken {
  const special = flags.special ?? false;
  return { id, content, singleWord: false, lstrip: false, rstrip: false, normalized: !special, special, ...flags };
}

/** A piece of input: text still to tokenize, or an added token already found. */
export type Piece = { text: string; start: number } | { token: AddedToken; start: number };

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const SPACE = /\s/u;

class Matcher {
  private readonly regex: RegExp | null;
  private readonly byText = new Map<string, AddedToken>();

  constructor(tokens: { token: AddedToken; text: string }[]) {
    for (const { token, text } of tokens) if (text.length && !this.byText.has(text)) this.byText.set(text, token);
    // Longest first makes JavaScript's leftmost-first alternation leftmost-longest.
    const texts = [...this.byText.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
    this.regex = texts.length ? new RegExp(texts.map(escapeRegex).join('|'), 'gu') : null;
  }

  split(text: string, offset: number): Piece[] {
    if (!this.regex) return [{ text, start: offset }];
    const out: Piece[] = [];
    let last = 0;
    for (const m of text.matchAll(this.regex)) {
      let s = m.index!;
      let e = s + m[0].length;
      if (s < last) continue; // inside what an rstrip swallowed
      const token = this.byText.get(m[0])!;
      if (token.singleWord && ((s > 0 && WORD_CHAR.test(charBefore(text, s))) || (e < text.length && WORD_CHAR.test(charAt(text, e))))) continue;
      if (token.lstrip) while (s > last && SPACE.test(text.charAt(s - 1))) s--;
      if (token.rstrip) while (e < text.length && SPACE.test(text.charAt(e))) e++;
      if (s > last) out.push({ text: text.slice(last, s), start: offset + last });
      out.push({ token, start: offset + s });
      last = e;
    }
    if (last < text.length) out.push({ text: text.slice(last), start: offset + last });
    return out;
  }
}

function charBefore(s: string, i: number): string {
  const cp = s.codePointAt(i - 1)!;
  return cp >= 0xdc00 && cp <= 0xdfff && i >= 2 ? String.fromCodePoint(s.codePointAt(i - 2)!) : String.fromCodePoint(cp);
}

function charAt(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i)!);
}

export class AddedVocabulary {
  readonly tokens: readonly AddedToken[];
  private readonly raw: Matcher;
  private readonly normalizedMatcher: Matcher;
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();

  constructor(tokens: readonly AddedToken[], normalizer: Normalizer | null) {
    this.tokens = [...tokens].sort((a, b) => a.id - b.id);
    for (const t of this.tokens) {
      this.byContent.set(t.content, t);
      this.byId.set(t.id, t);
    }
    this.raw = new Matcher(this.tokens.filter((t) => !t.normalized).map((t) => ({ token: t, text: t.content })));
    this.normalizedMatcher = new Matcher(this.tokens.filter((t) => t.normalized).map((t) => ({
      token: t,
      text: normalizer ? normalizer.normalize(t.content) : t.content,
    })));
  }

  splitRaw(text: string): Piece[] {
    return this.raw.split(text, 0);
  }

  /** Starts are offsets into the normalized text. */
  splitNormalized(text: string): Piece[] {
    return this.normalizedMatcher.split(text, 0);
  }

  get(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  byIdOf(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }
}
