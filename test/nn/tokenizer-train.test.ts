// Trainers: hand-worked merges, tie-breaking, determinism, coverage of the corpus, limits.
import { describe, expect, it } from 'vitest';
import { tokenizerFromJSON, trainByteLevelBpe, trainWordPiece, TokenizerError } from '../../src/lib/nn/tokenizer/core.js';
import { learnMerges } from '../../src/lib/nn/tokenizer/trainers/merge-trainer.js';

const CORPUS = [
  'The quick brown fox jumps over the lazy dog.',
  'Café au lait, naïve résumé — déjà vu!',
  'Tokenizers split words into subwords; subwords into characters.',
  '東京 is the capital of 日本. 123 + 456 = 579',
  'lower lowest newer newest wider widest',
  'Emoji: 😀 😃 and tabs\tand  double  spaces\nnew lines.',
];

describe('merge learning', () => {
  it('merges the most frequent pair first (byte-level, worked by hand)', () => {
    // Words: "ab", "Ġab" ×2, "abc". Pairs: (a,b) 4, (Ġ,a) 2, (b,c) 1 → a+b; then (Ġ,ab) 2 > (ab,c) 1.
    const t = trainByteLevelBpe(['ab ab ab', 'abc'], { vocabSize: 2 + 256 + 2, minFrequency: 1 });
    expect(t.model.toJSON().merges).toEqual(['a b', 'Ġ ab']);
    expect(t.tokenize('ab abc')).toEqual(['ab', 'Ġab', 'c']);
  });

  it('breaks ties by the smallest (left id, right id)', () => {
    // (x,y), (y,x) and (Ġ,y) all occur once; ids follow code points and Ġ is U+0120, so x < y < Ġ.
    const t = trainByteLevelBpe(['xy yx'], { vocabSize: 2 + 256 + 2, minFrequency: 1 });
    expect(t.model.toJSON().merges).toEqual(['x y', 'y x']);
  });

  it('learns WordPiece with ## continuation pieces (worked by hand)', () => {
    // low ×2, lower ×1: (l,##o) 3 and (##o,##w) 3 tie → (l,##o) has the smaller ids; then (lo,##w) 3;
    // the remaining pairs occur once, below minFrequency 2.
    const t = trainWordPiece(['low low lower'], { vocabSize: 100, minFrequency: 2 });
    const vocab = Object.keys(t.model.toJSON().vocab as object);
    expect(vocab).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'e', 'l', 'o', 'r', 'w', '##o', '##w', '##e', '##r', 'lo', 'low']);
    expect(t.tokenize('Lower')).toEqual(['low', '##e', '##r']);
    expect(t.encode('low').tokens).toEqual(['[CLS]', 'low', '[SEP]']);
  });

  it('stops at the vocabulary size and keeps the whole alphabet', () => {
    const { vocab } = learnMerges(new Map([['abcd', 5]]), { vocabSize: 6, minFrequency: 1, specialTokens: ['<pad>'] });
    expect(vocab).toEqual(['<pad>', 'a', 'b', 'c', 'd', 'ab']);
    const tiny = learnMerges(new Map([['abcd', 5]]), { vocabSize: 2, minFrequency: 1, specialTokens: ['<pad>'] });
    expect(tiny.vocab).toEqual(['<pad>', 'a', 'b', 'c', 'd']);
  });

  it('counts overlapping pairs once per merge ("aaaa" → "aa aa")', () => {
    const { merges } = learnMerges(new Map([['aaaa', 1]]), { vocabSize: 10, minFrequency: 1, specialTokens: [] });
    expect(merges).toEqual([['a', 'a'], ['aa', 'aa']]);
  });
});

describe('trained tokenizers', () => {
  it('are deterministic: the same corpus gives the same file', () => {
    for (const train of [trainWordPiece, trainByteLevelBpe]) {
      const a = JSON.stringify(train(CORPUS, { vocabSize: 300, minFrequency: 1 }).toJSON());
      const b = JSON.stringify(train([...CORPUS], { vocabSize: 300, minFrequency: 1 }).toJSON());
      expect(a).toBe(b);
    }
  });

  it('WordPiece covers its corpus: no [UNK], and decoding gives the normalized text back', () => {
    const t = trainWordPiece(CORPUS, { vocabSize: 400, minFrequency: 1 });
    const unk = t.tokenToId('[UNK]');
    for (const text of CORPUS) {
      const ids = t.tokenizeToIds(text);
      expect(ids).not.toContain(unk);
      expect(t.decode(ids).replace(/\s+/g, '')).toBe(text.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '').replace(/\s+/g, ''));
    }
    expect(t.vocabSize).toBeLessThanOrEqual(400);
  });

  it('byte-level BPE covers any text and round-trips it exactly', () => {
    const t = trainByteLevelBpe(CORPUS, { vocabSize: 400, minFrequency: 1 });
    for (const text of [...CORPUS, 'unseen ☃ text ⅷ']) expect(t.decode(t.encode(text).ids)).toBe(text);
    expect(t.vocabSize).toBe(400);
    // Merging shortens the corpus: fewer tokens than bytes.
    const bytes = CORPUS.reduce((n, s) => n + Buffer.byteLength(s), 0);
    const tokens = CORPUS.reduce((n, s) => n + t.tokenizeToIds(s).length, 0);
    expect(tokens).toBeLessThan(bytes * 0.7);
  });

  it('min frequency limits merges', () => {
    const rare = trainByteLevelBpe(CORPUS, { vocabSize: 1000, minFrequency: 1000 });
    expect(rare.vocabSize).toBe(2 + 256);
  });

  it('saves files that load back into the same tokenizer', () => {
    for (const t of [trainWordPiece(CORPUS, { vocabSize: 300 }), trainByteLevelBpe(CORPUS, { vocabSize: 300 })]) {
      const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));
      for (const text of CORPUS) expect(back.encode(text, { pair: CORPUS[0] })).toEqual(t.encode(text, { pair: CORPUS[0] }));
    }
  });

  it('puts special tokens first and matches them in text', () => {
    const t = trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: ['<pad>', '<s>', '</s>'] });
    expect([0, 1, 2].map((i) => t.idToToken(i))).toEqual(['<pad>', '<s>', '</s>']);
    expect(t.tokenizeToIds('<s>the</s>')[0]).toBe(1);
    expect(t.encodeBatch(['a', 'the fox']).inputIds[1]).toBe(0); // pads with <pad>
    expect(() => trainWordPiece(CORPUS, { specialTokens: ['[PAD]'] })).toThrow(TokenizerError);
  });
});
