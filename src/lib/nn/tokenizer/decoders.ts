// Decoders: tokens → text (HF `decoder`). Each maps the token list to a new list; the
// tokenizer joins the final list with ''.

import { fromByteLevel } from './byte-level.js';
import { locatedError, unsupportedType } from './errors.js';
import { compilePattern, Fields, readPattern, type JsonObject, type Pattern } from './json-fields.js';
import { readPrependScheme, type PrependScheme } from './pre-tokenizers.js';

export interface Decoder {
  decodeChain(tokens: string[]): string[];
  toJSON(): JsonObject;
}

/** WordPiece: pieces with the prefix glue to the previous one, the others get a space; optional English clean-up. */
export class WordPieceDecoder implements Decoder {
  constructor(readonly prefix = '##', readonly cleanup = true) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      let s = t;
      if (i > 0) s = s.startsWith(this.prefix) ? s.slice(this.prefix.length) : ' ' + s;
      return this.cleanup ? cleanupSpaces(s) : s;
    });
  }
  toJSON(): JsonObject {
    return { type: 'WordPiece', prefix: this.prefix, cleanup: this.cleanup };
  }
}

/** BERT's detokenization clean-up: no space before punctuation and English contractions. */
export function cleanupSpaces(s: string): string {
  return s
    .replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',')
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}

/** GPT-2: the byte-level characters of all tokens back to UTF-8 text. */
export class ByteLevelDecoder implements Decoder {
  constructor(readonly addPrefixSpace = true, readonly trimOffsets = true, readonly useRegex = true) {}
  decodeChain(tokens: string[]): string[] {
    return [fromByteLevel(tokens)];
  }
  toJSON(): JsonObject {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

/**
 * SentencePiece: '▁' → ' '. Unless the scheme is 'never', the first token loses its '▁'s instead
 * (HF drops them all, not only the one the pre-tokenizer prepended).
 */
export class MetaspaceDecoder implements Decoder {
  constructor(readonly replacement = '\u2581', readonly prependScheme: PrependScheme = 'always', readonly split = true) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => t.split(this.replacement).join(i === 0 && this.prependScheme !== 'never' ? '' : ' '));
  }
  toJSON(): JsonObject {
    return { type: 'Metaspace', replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Runs of `<0xNN>` tokens become the text their bytes spell; invalid UTF-8 gives one U+FFFD per byte. */
export class ByteFallbackDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length === 0) return;
      try {
        out.push(utf8.decode(new Uint8Array(bytes)));
      } catch {
        for (let i = 0; i < bytes.length; i++) out.push('\ufffd');
      }
      bytes = [];
    };
    for (const t of tokens) {
      const hex = BYTE_TOKEN.exec(t)?.[1];
      if (hex !== undefined) bytes.push(parseInt(hex, 16));
      else {
        flush();
        out.push(t);
      }
    }
    flush();
    return out;
  }
  toJSON(): JsonObject {
    return { type: 'ByteFallback' };
  }
}

export class FuseDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    return [tokens.join('')];
  }
  toJSON(): JsonObject {
    return { type: 'Fuse' };
  }
}

/** Removes up to `start` leading and `stop` trailing copies of one character from each token. */
export class StripDecoder implements Decoder {
  constructor(readonly content: string, readonly start: number, readonly stop: number) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => {
      const chars = [...t];
      let a = 0;
      while (a < this.start && a < chars.length && chars[a] === this.content) a++;
      let b = chars.length;
      while (chars.length - b < this.stop && b > a && chars[b - 1] === this.content) b--;
      return chars.slice(a, b).join('');
    });
  }
  toJSON(): JsonObject {
    return { type: 'Strip', content: this.content, start: this.start, stop: this.stop };
  }
}

export class ReplaceDecoder implements Decoder {
  constructor(readonly pattern: Pattern, readonly content: string, private readonly regex?: RegExp) {}
  decodeChain(tokens: string[]): string[] {
    if ('String' in this.pattern) {
      const from = this.pattern.String;
      return tokens.map((t) => t.split(from).join(this.content));
    }
    return tokens.map((t) => t.replace(this.regex!, () => this.content));
  }
  toJSON(): JsonObject {
    return { type: 'Replace', pattern: this.pattern, content: this.content };
  }
}

/** Classic BPE with an end-of-word suffix: the suffix becomes a space (none after the last token). */
export class BpeDecoder implements Decoder {
  constructor(readonly suffix = '</w>') {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => t.split(this.suffix).join(i === tokens.length - 1 ? '' : ' '));
  }
  toJSON(): JsonObject {
    return { type: 'BPEDecoder', suffix: this.suffix };
  }
}

export class DecoderSequence implements Decoder {
  constructor(readonly decoders: Decoder[]) {}
  decodeChain(tokens: string[]): string[] {
    let t = tokens;
    for (const d of this.decoders) t = d.decodeChain(t);
    return t;
  }
  toJSON(): JsonObject {
    return { type: 'Sequence', decoders: this.decoders.map((d) => d.toJSON()) };
  }
}

export const DECODER_TYPES = ['WordPiece', 'ByteLevel', 'Metaspace', 'ByteFallback', 'Fuse', 'Strip', 'Replace', 'BPEDecoder', 'Sequence'] as const;

export function parseDecoder(f: Fields): Decoder {
  const type = f.raw('type');
  switch (type) {
    case 'WordPiece':
      return new WordPieceDecoder(f.string('prefix', '##'), f.bool('cleanup', true));
    case 'ByteLevel':
      return new ByteLevelDecoder(f.bool('add_prefix_space', true), f.bool('trim_offsets', true), f.bool('use_regex', true));
    case 'Metaspace':
      return new MetaspaceDecoder(f.string('replacement', '\u2581'), readPrependScheme(f), f.bool('split', true));
    case 'ByteFallback':
      return new ByteFallbackDecoder();
    case 'Fuse':
      return new FuseDecoder();
    case 'Strip': {
      const content = f.string('content');
      if ([...content].length !== 1) throw locatedError(f.at('content'), 'must be one character');
      return new StripDecoder(content, f.int('start', 0), f.int('stop', 0));
    }
    case 'Replace': {
      const pattern = readPattern(f, 'pattern');
      const regex = 'Regex' in pattern ? compilePattern(pattern, f.at('pattern')) : undefined;
      return new ReplaceDecoder(pattern, f.string('content'), regex);
    }
    case 'BPEDecoder':
      return new BpeDecoder(f.string('suffix', '</w>'));
    case 'Sequence':
      return new DecoderSequence(f.elements('decoders').map(parseDecoder));
    default:
      throw unsupportedType(f.loc, type, DECODER_TYPES);
  }
}
