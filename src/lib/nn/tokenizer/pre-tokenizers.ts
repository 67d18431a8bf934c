// Pre-tokenizers: normalized text → the words the model tokenizes one by one (HF `pre_tokenizer`).

import { GPT2_PATTERN, toByteLevel } from './byte-level.js';
import { locatedError, unsupportedType } from './errors.js';
import { compilePattern, Fields, readPattern, type JsonObject, type Pattern } from './json-fields.js';
import { splitBy, SPLIT_BEHAVIORS, type SplitBehavior } from './split.js';

export interface PreTokenizer {
  /** `isFirst`: the piece starts the input (Metaspace's `first` scheme prepends only there). */
  preTokenize(text: string, isFirst: boolean): string[];
  toJSON(): JsonObject;
}

// BERT's punctuation: all ASCII punctuation (incl. symbols such as $ + < = > ^ ` | ~) and Unicode P*.
const BERT_PIECES = /[^\s\p{P}!-/:-@[-`{-~]+|[\p{P}!-/:-@[-`{-~]/gu;

/** BERT: split on whitespace (dropped) and isolate each punctuation character. */
export class BertPreTokenizer implements PreTokenizer {
  preTokenize(text: string): string[] {
    return text.match(BERT_PIECES) ?? [];
  }
  toJSON(): JsonObject {
    return { type: 'BertPreTokenizer' };
  }
}

// Rust regex's \w is Unicode-aware; JavaScript's is ASCII only, hence the explicit classes.
const WHITESPACE_PIECES = /[\p{L}\p{N}\p{M}\p{Pc}]+|[^\p{L}\p{N}\p{M}\p{Pc}\s]+/gu;

/** `\w+|[^\w\s]+`. */
export class WhitespacePreTokenizer implements PreTokenizer {
  preTokenize(text: string): string[] {
    return text.match(WHITESPACE_PIECES) ?? [];
  }
  toJSON(): JsonObject {
    return { type: 'Whitespace' };
  }
}

export class WhitespaceSplit implements PreTokenizer {
  preTokenize(text: string): string[] {
    return text.match(/\S+/gu) ?? [];
  }
  toJSON(): JsonObject {
    return { type: 'WhitespaceSplit' };
  }
}

/** GPT-2: optional leading space, GPT-2's regex split, then every byte as one character of BYTE_TO_CHAR. */
export class ByteLevelPreTokenizer implements PreTokenizer {
  // Words repeat (Zipf), so their byte-level spelling is remembered rather than recomputed.
  private readonly spelled = new Map<string, string>();
  constructor(
    readonly addPrefixSpace = false,
    readonly useRegex = true,
    readonly trimOffsets = true,
  ) {}
  preTokenize(text: string): string[] {
    const s = this.addPrefixSpace && !text.startsWith(' ') ? ' ' + text : text;
    if (!this.useRegex) return s.length ? [toByteLevel(s)] : [];
    return (s.match(GPT2_PATTERN) ?? []).map((word) => this.spell(word));
  }
  private spell(word: string): string {
    let out = this.spelled.get(word);
    if (out === undefined) {
      if (this.spelled.size >= 100_000) this.spelled.clear();
      out = toByteLevel(word);
      this.spelled.set(word, out);
    }
    return out;
  }
  toJSON(): JsonObject {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

export type PrependScheme = 'always' | 'first' | 'never';

/** SentencePiece's view of spaces: ' ' → '▁', a '▁' prepended per the scheme, split before each '▁'. */
export class Metaspace implements PreTokenizer {
  private readonly delimiter: RegExp;
  constructor(
    readonly replacement = '\u2581',
    readonly prependScheme: PrependScheme = 'always',
    readonly split = true,
  ) {
    this.delimiter = compilePattern({ String: replacement }, { file: '(built in code)', path: 'replacement' });
  }
  preTokenize(text: string, isFirst: boolean): string[] {
    let s = text.split(' ').join(this.replacement);
    const prepend = this.prependScheme === 'always' || (this.prependScheme === 'first' && isFirst);
    if (prepend && !s.startsWith(this.replacement)) s = this.replacement + s;
    if (!this.split) return s.length ? [s] : [];
    return splitBy(s, this.delimiter, 'MergedWithNext');
  }
  toJSON(): JsonObject {
    return { type: 'Metaspace', replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}

const PUNCTUATION = /[\p{P}!-/:-@[-`{-~]/gu;

export class PunctuationPreTokenizer implements PreTokenizer {
  constructor(readonly behavior: SplitBehavior = 'Isolated') {}
  preTokenize(text: string): string[] {
    return splitBy(text, PUNCTUATION, this.behavior);
  }
  toJSON(): JsonObject {
    return { type: 'Punctuation', behavior: this.behavior };
  }
}

export class DigitsPreTokenizer implements PreTokenizer {
  constructor(readonly individualDigits = false) {}
  preTokenize(text: string): string[] {
    return splitBy(text, this.individualDigits ? /\p{Nd}/gu : /\p{Nd}+/gu, 'Isolated');
  }
  toJSON(): JsonObject {
    return { type: 'Digits', individual_digits: this.individualDigits };
  }
}

/** A regex or literal split (Llama 3 and GPT-4-style files put their word regex here). */
export class SplitPreTokenizer implements PreTokenizer {
  constructor(
    readonly pattern: Pattern,
    readonly behavior: SplitBehavior,
    readonly invert: boolean,
    private readonly regex: RegExp,
  ) {}
  preTokenize(text: string): string[] {
    return splitBy(text, this.regex, this.behavior, this.invert);
  }
  toJSON(): JsonObject {
    return { type: 'Split', pattern: this.pattern, behavior: this.behavior, invert: this.invert };
  }
}

export class PreTokenizerSequence implements PreTokenizer {
  constructor(readonly steps: PreTokenizer[]) {}
  preTokenize(text: string, isFirst: boolean): string[] {
    let pieces = [text];
    for (const step of this.steps) {
      const next: string[] = [];
      pieces.forEach((p, i) => {
        for (const w of step.preTokenize(p, isFirst && i === 0)) next.push(w);
      });
      pieces = next;
    }
    return pieces;
  }
  toJSON(): JsonObject {
    return { type: 'Sequence', pretokenizers: this.steps.map((s) => s.toJSON()) };
  }
}

export const PRE_TOKENIZER_TYPES = ['BertPreTokenizer', 'ByteLevel', 'Metaspace', 'Whitespace', 'WhitespaceSplit', 'Punctuation', 'Digits', 'Split', 'Sequence'] as const;

function readBehavior(f: Fields, fallback: SplitBehavior): SplitBehavior {
  const b = f.string('behavior', fallback);
  if (!(SPLIT_BEHAVIORS as readonly string[]).includes(b)) throw locatedError(f.at('behavior'), `'${b}' is not one of ${SPLIT_BEHAVIORS.join(', ')}`);
  return b as SplitBehavior;
}

export function readPrependScheme(f: Fields): PrependScheme {
  if (f.has('prepend_scheme')) {
    const s = f.string('prepend_scheme');
    if (s !== 'always' && s !== 'first' && s !== 'never') throw locatedError(f.at('prepend_scheme'), `'${s}' is not one of always, first, never`);
    return s;
  }
  // Files written before prepend_scheme existed say add_prefix_space.
  return f.bool('add_prefix_space', true) ? 'always' : 'never';
}

export function parsePreTokenizer(f: Fields): PreTokenizer {
  const type = f.raw('type');
  switch (type) {
    case 'BertPreTokenizer':
      return new BertPreTokenizer();
    case 'ByteLevel':
      return new ByteLevelPreTokenizer(f.bool('add_prefix_space', true), f.bool('use_regex', true), f.bool('trim_offsets', true));
    case 'Metaspace': {
      const replacement = f.string('replacement', '\u2581');
      if ([...replacement].length !== 1) throw locatedError(f.at('replacement'), 'must be one character');
      return new Metaspace(replacement, readPrependScheme(f), f.bool('split', true));
    }
    case 'Whitespace':
      return new WhitespacePreTokenizer();
    case 'WhitespaceSplit':
      return new WhitespaceSplit();
    case 'Punctuation':
      return new PunctuationPreTokenizer(readBehavior(f, 'Isolated'));
    case 'Digits':
      return new DigitsPreTokenizer(f.bool('individual_digits', false));
    case 'Split': {
      const pattern = readPattern(f, 'pattern');
      return new SplitPreTokenizer(pattern, readBehavior(f, 'Isolated'), f.bool('invert', false), compilePattern(pattern, f.at('pattern')));
    }
    case 'Sequence':
      return new PreTokenizerSequence(f.elements('pretokenizers').map(parsePreTokenizer));
    default:
      throw unsupportedType(f.loc, type, PRE_TOKENIZER_TYPES);
  }
}
