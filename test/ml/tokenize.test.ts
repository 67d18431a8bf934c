import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TOKEN_PATTERN,
  BOS, UNK, UNK_ID, Vocabulary, codePointLength, countTokens, detokenize, detokenizeWithOffsets,
  toCodePointOffsets, tokenize, tokenizeWithOffsets,
} from '../../src/lib/ml/tokenize.js';

describe('tokenize', () => {
  it('splits words, punctuation and newlines, Unicode-aware', () => {
    expect(tokenize("Don't stop: 3.5 km—now!\nNext")).toEqual(["Don't", 'stop', ':', '3', '.', '5', 'km', '—', 'now', '!', '\n', 'Next']);
    expect(tokenize('Größe café naïve 東京 not_entailment')).toEqual(['Größe', 'café', 'naïve', '東京', 'not_entailment']);
    expect(tokenize('tab\tand  spaces\r\n')).toEqual(['tab', 'and', 'spaces', '\n']);
    expect(tokenize('')).toEqual([]);
  });

  it('lower-cases optionally and drops punctuation or newlines on request', () => {
    expect(tokenize('The CAT, İstanbul.\n', { lowercase: true })).toEqual(['the', 'cat', ',', 'i̇stanbul', '.', '\n']);
    expect(tokenize('The cat, sat.\nOk', { punctuation: false, newlines: false })).toEqual(['The', 'cat', 'sat', 'Ok']);
  });

  it('gives offsets into the original text, even when lower-casing changes lengths', () => {
    const text = 'İİ x, y';
    const { tokens, starts, ends } = tokenizeWithOffsets(text, { lowercase: true });
    expect(tokens[0]).toBe('i̇i̇');
    expect(starts).toEqual([0, 3, 4, 6]);
    expect(ends).toEqual([2, 4, 5, 7]);
    expect(tokenizeWithOffsets(text).tokens).toEqual(tokenize(text));
  });

  it('detokenizes into readable text', () => {
    expect(detokenize(tokenize('Hello, world! (It works.) "Quoted" text; 50% off.'))).toBe('Hello, world! (It works.) "Quoted" text; 50% off.');
    expect(detokenize(tokenize('well-known a/b\nnext line'))).toBe('well-known a/b\nnext line');
    // Continuing a prompt: a space before a word, none before punctuation or after a newline.
    expect(detokenize(['Paris', '.'], 'Answer:')).toBe(' Paris.');
    expect(detokenize(['Paris'], 'Answer:\n')).toBe('Paris');
    expect(detokenizeWithOffsets(['a', ',', 'b'])).toEqual({ text: 'a, b', offsets: [0, 1, 3] });
  });

  it('scans exactly the tokens of its regular-expression definition (random Unicode text)', () => {
    const pieces = fc.oneof(
      fc.constantFrom("'", '’', '\n', ' ', '\t', '\u00a0', '\u3000', 'É', 'é', 'İ', '_', '🍎', '\u0301', '\ud800', 'ß', '東', '٣', '.', '"'),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), fc.boolean(), (parts, lowercase) => {
        const text = parts.join('');
        const want = { tokens: [] as string[], starts: [] as number[], ends: [] as number[] };
        for (const m of text.matchAll(TOKEN_PATTERN)) {
          want.tokens.push(lowercase ? m[0].toLowerCase() : m[0]);
          want.starts.push(m.index);
          want.ends.push(m.index + m[0].length);
        }
        expect(tokenizeWithOffsets(text, { lowercase })).toEqual(want);
        expect(tokenize(text, { lowercase })).toEqual(want.tokens);
      }),
      { numRuns: 200 },
    );
  });

  it('counts code points like Python servers do', () => {
    expect(codePointLength('a🍎b')).toBe(3);
    expect(toCodePointOffsets('a🍎b c', [0, 1, 3, 5])).toEqual([0, 1, 2, 4]);
  });
});

describe('Vocabulary', () => {
  it('orders ids by count then text, with reserved <unk> and <s>', () => {
    const counts = countTokens(['b a b c', 'a b']);
    const v = Vocabulary.fromCounts(counts);
    expect(v.tokens).toEqual([UNK, BOS, 'b', 'a', 'c']);
    expect(v.id('a')).toBe(3);
    expect(v.id('zzz')).toBe(UNK_ID);
    expect([...v.encode(['c', 'nope'])]).toEqual([4, UNK_ID]);
    expect(Vocabulary.fromCounts(counts, { maxSize: 3 }).tokens).toEqual([UNK, BOS, 'b']);
    expect(Vocabulary.fromCounts(counts, { minCount: 2 }).tokens).toEqual([UNK, BOS, 'b', 'a']);
  });

  it('rejects malformed token lists', () => {
    expect(() => new Vocabulary(['a', 'b'])).toThrow(/must start with/);
    expect(() => new Vocabulary([UNK, BOS, 'x', 'x'])).toThrow(/duplicate/);
  });
});
