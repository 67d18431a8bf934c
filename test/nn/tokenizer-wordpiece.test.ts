// A BERT WordPiece tokenizer.json built by hand; every expected id is worked out from its vocab.
import { describe, expect, it } from 'vitest';
import { tokenizerFromJSON } from '../../src/lib/nn/tokenizer/core.js';
import { BERT_VOCAB, bertJson } from './tokenizer-fixtures.js';

const id = (t: string): number => {
  const i = BERT_VOCAB.indexOf(t);
  if (i < 0) throw new Error(`no ${t}`);
  return i;
};
const ids = (...ts: string[]): number[] => ts.map(id);
const CLS = 2;
const SEP = 3;
const UNK = 1;
const bert = tokenizerFromJSON(bertJson(), 'bert.json');

describe('WordPiece (BERT)', () => {
  it('lower-cases, splits punctuation and adds [CLS] … [SEP]', () => {
    const e = bert.encode('Hello, World!');
    expect(e.tokens).toEqual(['[CLS]', 'hello', ',', 'world', '!', '[SEP]']);
    expect(e.ids).toEqual([CLS, ...ids('hello', ',', 'world', '!'), SEP]);
    expect(e.typeIds).toEqual([0, 0, 0, 0, 0, 0]);
    expect(e.specialTokensMask).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('strips accents and continues words with ## pieces, longest match first', () => {
    expect(bert.tokenize('Café UNAFFABLE')).toEqual(['cafe', 'un', '##aff', '##able']);
    expect(bert.tokenize('worlds')).toEqual(['world', '##s']);
    // "ab": 'a' then '##b'; a lone "b" has no piece of its own and becomes [UNK].
    expect(bert.tokenize('ab b')).toEqual(['a', '##b', '[UNK]']);
  });

  it('spaces out CJK ideographs, folds whitespace runs and drops control characters', () => {
    expect(bert.tokenize('中文')).toEqual(['中', '文']);
    expect(bert.tokenize('hello \t\n\u3000  world')).toEqual(['hello', 'world']);
    expect(bert.tokenize('hel\u0000lo\u200b')).toEqual(['hello']); // NUL and the zero-width space (Cf) go
  });

  it('turns a word with an unknown part, or a word too long, into one [UNK]', () => {
    expect(bert.tokenizeToIds('hellox zzz')).toEqual([UNK, UNK]);
    // max_input_chars_per_word is 12: 'unaffable' (9) encodes, 'unaffableaff' (12) too, 13 chars do not.
    expect(bert.tokenize('unaffableaff')).toEqual(['un', '##aff', '##able', '##aff']);
    expect(bert.tokenize('unaffableable')).toEqual(['[UNK]']);
  });

  it('matches special tokens in the raw text and normalized added tokens after lower-casing', () => {
    expect(bert.tokenize('hello [SEP] world')).toEqual(['hello', '[SEP]', 'world']);
    // '[sep]' is not '[SEP]': special tokens are not normalized, so it is split as text.
    expect(bert.tokenize('[sep]')).toEqual(['[UNK]', '[UNK]', '[UNK]']);
    // '<new>' is a normalized added token: '<NEW>' lower-cases to it.
    expect(bert.tokenizeToIds('a<NEW>token')).toEqual([id('a'), 22, id('token')]);
  });

  it('encodes pairs as [CLS] A [SEP] B [SEP] with type ids', () => {
    const e = bert.encode('hello', { pair: 'world' });
    expect(e.ids).toEqual([CLS, id('hello'), SEP, id('world'), SEP]);
    expect(e.typeIds).toEqual([0, 0, 0, 1, 1]);
    expect(bert.encode('hello', { pair: 'world', addSpecialTokens: false }).ids).toEqual(ids('hello', 'world'));
  });

  it('decodes, gluing ## pieces and cleaning spaces before punctuation', () => {
    const e = bert.encode('Hello, World! Unaffable.');
    expect(bert.decode(e.ids, { skipSpecialTokens: true })).toEqual('hello, world! unaffable.');
    expect(bert.decode(e.ids)).toEqual('[CLS] hello, world! unaffable. [SEP]');
  });

  it('follows BertProcessing as well as TemplateProcessing', () => {
    const t = tokenizerFromJSON(bertJson({ post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] } }));
    const e = t.encode('hello', { pair: 'world' });
    expect(e.ids).toEqual([CLS, id('hello'), SEP, id('world'), SEP]);
    expect(e.typeIds).toEqual([0, 0, 0, 1, 1]);
  });

  it('honours single_word, lstrip and rstrip on added tokens', () => {
    const json = bertJson();
    (json.added_tokens as unknown[]).push(
      { id: 23, content: 'xx', single_word: true, lstrip: false, rstrip: false, normalized: false, special: false },
      { id: 24, content: '<m>', single_word: false, lstrip: true, rstrip: true, normalized: false, special: true },
    );
    const t = tokenizerFromJSON(json);
    expect(t.tokenizeToIds('a xx a')).toEqual([id('a'), 23, id('a')]);
    expect(t.tokenizeToIds('axx')).toEqual([UNK]); // inside a word: not a match, 'axx' is one unknown word
    expect(t.tokenizeToIds('hello   <m>  world')).toEqual([id('hello'), 24, id('world')]);
    expect(t.decode([id('hello'), 24, id('world')], { skipSpecialTokens: true })).toBe('hello world');
  });

  it('adds tokens at run time: known ones keep their id, new ones get the next id', () => {
    const t = bert.withAddedTokens(['<q>', { content: '<d>', special: true }, 'hello', '<q>']);
    expect(t.tokenToId('<q>')).toBe(23);
    expect(t.tokenToId('<d>')).toBe(24);
    expect(t.vocabSize).toBe(25);
    // '<q>' is not special, so it is normalized (matched after lower-casing); '<d>' is matched raw.
    expect(t.tokenizeToIds('a<Q>b <d> hello')).toEqual([id('a'), 23, UNK, 24, id('hello')]);
    expect(t.decode(t.encode('a <d>').ids, { skipSpecialTokens: true })).toBe('a');
    expect(bert.tokenToId('<q>')).toBeUndefined(); // the original is unchanged
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect(back.tokenizeToIds('a<Q>b <d>')).toEqual(t.tokenizeToIds('a<Q>b <d>'));
  });
});
