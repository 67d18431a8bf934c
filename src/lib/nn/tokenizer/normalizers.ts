// Normalizers: text → text before pre-tokenization (HF `normalizer` component).

import { unsupportedType } from './errors.js';
import { compilePattern, Fields, readPattern, type JsonObject, type Pattern } from './json-fields.js';

export interface Normalizer {
  normalize(text: string): string;
  toJSON(): JsonObject;
}

// Rust's char::is_other (categories C*) minus tab, newline and carriage return, which BERT treats as
// whitespace; U+FFFD goes too.
const BERT_DROPPED = /[^\P{C}\t\n\r]|\ufffd/gu;
const NON_SPACE_WHITESPACE = /[^\S ]/gu;
// The CJK ideograph blocks BERT surrounds with spaces (the same ranges as Google's BERT).
const CHINESE_CHARS = /[\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b920}-\u{2ceaf}\uf900-\ufaff\u{2f800}-\u{2fa1f}]/gu;
const HAS_DROPPED = /[^\P{C}\t\n\r]|\ufffd/u;
const HAS_NON_SPACE_WHITESPACE = /[^\S ]/u;
const HAS_CHINESE = /[\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b920}-\u{2ceaf}\uf900-\ufaff\u{2f800}-\u{2fa1f}]/u;

/** BERT's normalizer: drop control characters, whitespace → ' ', space out CJK ideographs, strip accents, lower-case. */
export class BertNormalizer implements Normalizer {
  constructor(
    readonly cleanText = true,
    readonly handleChineseChars = true,
    /** null: follow `lowercase`, as BERT does. */
    readonly stripAccents: boolean | null = null,
    readonly lowercase = true,
  ) {}

  normalize(text: string): string {
    let s = text;
    if (this.cleanText) {
      if (HAS_DROPPED.test(s)) s = s.replace(BERT_DROPPED, '');
      if (HAS_NON_SPACE_WHITESPACE.test(s)) s = s.replace(NON_SPACE_WHITESPACE, ' ');
    }
    if (this.handleChineseChars && HAS_CHINESE.test(s)) s = s.replace(CHINESE_CHARS, ' $& ');
    if (this.stripAccents ?? this.lowercase) s = stripAccents(s);
    if (this.lowercase) s = s.toLowerCase();
    return s;
  }

  toJSON(): JsonObject {
    return { type: 'BertNormalizer', clean_text: this.cleanText, handle_chinese_chars: this.handleChineseChars, strip_accents: this.stripAccents, lowercase: this.lowercase };
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/** NFD, then drop nonspacing marks (Mn). ASCII text is returned as is (the common case, and fast). */
export function stripAccents(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  return s.normalize('NFD').replace(/\p{Mn}/gu, '');
}

class SimpleNormalizer implements Normalizer {
  constructor(
    readonly type: string,
    private readonly fn: (s: string) => string,
  ) {}
  normalize(text: string): string {
    return this.fn(text);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}

export const Lowercase = (): Normalizer => new SimpleNormalizer('Lowercase', (s) => s.toLowerCase());
export const StripAccents = (): Normalizer => new SimpleNormalizer('StripAccents', (s) => (NON_ASCII.test(s) ? s.replace(/\p{Mn}/gu, '') : s));
export const UnicodeForm = (form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): Normalizer => new SimpleNormalizer(form, (s) => s.normalize(form));

/** Strips whitespace from either end. */
export class Strip implements Normalizer {
  constructor(readonly left = true, readonly right = true) {}
  normalize(text: string): string {
    let s = text;
    if (this.left) s = s.replace(/^\s+/u, '');
    if (this.right) s = s.replace(/\s+$/u, '');
    return s;
  }
  toJSON(): JsonObject {
    return { type: 'Strip', strip_left: this.left, strip_right: this.right };
  }
}

/** Replaces every match of a literal string or a regex (the newer Llama files: ' ' → '▁'). */
export class Replace implements Normalizer {
  private readonly regex: RegExp;
  constructor(readonly pattern: Pattern, readonly content: string, regex?: RegExp) {
    this.regex = regex ?? compilePattern(pattern, { file: '(built in code)', path: 'pattern' });
  }
  normalize(text: string): string {
    if ('String' in this.pattern) return text.split(this.pattern.String).join(this.content);
    return text.replace(this.regex, () => this.content);
  }
  toJSON(): JsonObject {
    return { type: 'Replace', pattern: this.pattern, content: this.content };
  }
}

/** Prepends a string to non-empty text (the newer Llama files: '▁'). */
export class Prepend implements Normalizer {
  constructor(readonly prepend: string) {}
  normalize(text: string): string {
    return text.length === 0 ? text : this.prepend + text;
  }
  toJSON(): JsonObject {
    return { type: 'Prepend', prepend: this.prepend };
  }
}

export class NormalizerSequence implements Normalizer {
  constructor(readonly normalizers: Normalizer[]) {}
  normalize(text: string): string {
    let s = text;
    for (const n of this.normalizers) s = n.normalize(s);
    return s;
  }
  toJSON(): JsonObject {
    return { type: 'Sequence', normalizers: this.normalizers.map((n) => n.toJSON()) };
  }
}

export const NORMALIZER_TYPES = ['BertNormalizer', 'Lowercase', 'StripAccents', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Strip', 'Replace', 'Prepend', 'Sequence'] as const;

export function parseNormalizer(f: Fields): Normalizer {
  const type = f.raw('type');
  switch (type) {
    case 'BertNormalizer':
      return new BertNormalizer(f.bool('clean_text', true), f.bool('handle_chinese_chars', true), f.optBool('strip_accents'), f.bool('lowercase', true));
    case 'Lowercase':
      return Lowercase();
    case 'StripAccents':
      return StripAccents();
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD':
      return UnicodeForm(type);
    case 'Strip':
      return new Strip(f.bool('strip_left', true), f.bool('strip_right', true));
    case 'Replace': {
      const pattern = readPattern(f, 'pattern');
      return new Replace(pattern, f.string('content'), compilePattern(pattern, f.at('pattern')));
    }
    case 'Prepend':
      return new Prepend(f.string('prepend'));
    case 'Sequence':
      return new NormalizerSequence(f.elements('normalizers').map(parseNormalizer));
    default:
      throw unsupportedType(f.loc, type, NORMALIZER_TYPES);
  }
}
