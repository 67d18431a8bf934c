// The smaller components one by one, each read from its tokenizer.json form.
import { describe, expect, it } from 'vitest';
import { BPE, tokenizerFromJSON, TokenizerError, WordPiece } from '../../src/lib/nn/tokenizer/core.js';
import { parseDecoder } from '../../src/lib/nn/tokenizer/decoders.js';
import { plainEncoding } from '../../src/lib/nn/tokenizer/encoding.js';
import { Fields } from '../../src/lib/nn/tokenizer/json-fields.js';
import { parseNormalizer } from '../../src/lib/nn/tokenizer/normalizers.js';
import { parsePostProcessor } from '../../src/lib/nn/tokenizer/post-processors.js';
import { parsePreTokenizer } from '../../src/lib/nn/tokenizer/pre-tokenizers.js';
import { splitBy } from '../../src/lib/nn/tokenizer/split.js';
import { gpt2Json } from './tokenizer-fixtures.js';

const loc = { file: 't.json', path: 'x' };
const norm = (json: object, text: string): string => parseNormalizer(Fields.of(json, loc)).normalize(text);
const pre = (json: object, text: string, isFirst = true): string[] => parsePreTokenizer(Fields.of(json, loc)).preTokenize(text, isFirst);
const dec = (json: object, tokens: string[]): string => parseDecoder(Fields.of(json, loc)).decodeChain(tokens).join('');

describe('normalizers', () => {
  it('unicode forms, case, accents, strip, replace, prepend, sequences', () => {
    expect(norm({ type: 'NFD' }, 'é').length).toBe(2);
    expect(norm({ type: 'NFC' }, 'e\u0301')).toBe('é');
    expect(norm({ type: 'NFKC' }, 'ﬁ①')).toBe('fi1');
    expect(norm({ type: 'NFKD' }, 'ﬁ')).toBe('fi');
    expect(norm({ type: 'Lowercase' }, 'ÀB')).toBe('àb');
    expect(norm({ type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }] }, 'Café')).toBe('Cafe');
    expect(norm({ type: 'Strip', strip_left: true, strip_right: false }, '  a  ')).toBe('a  ');
    expect(norm({ type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, 'a \t\n b')).toBe('a b');
    expect(norm({ type: 'Replace', pattern: { String: '.' }, content: '!' }, 'a.b.')).toBe('a!b!');
    expect(norm({ type: 'Prepend', prepend: '▁' }, 'a')).toBe('▁a');
    expect(norm({ type: 'Prepend', prepend: '▁' }, '')).toBe('');
  });

  it('BertNormalizer options: cased, accents on their own, CJK off', () => {
    expect(norm({ type: 'BertNormalizer', lowercase: false }, 'Café')).toBe('Café');
    expect(norm({ type: 'BertNormalizer', lowercase: false, strip_accents: true }, 'Café')).toBe('Cafe');
    expect(norm({ type: 'BertNormalizer', lowercase: true, strip_accents: false }, 'Café')).toBe('café');
    expect(norm({ type: 'BertNormalizer', handle_chinese_chars: false }, '中文')).toBe('中文');
    expect(norm({ type: 'BertNormalizer', clean_text: false }, 'a\tb')).toBe('a\tb');
  });
});

describe('pre-tokenizers', () => {
  it('whitespace, punctuation and digits', () => {
    expect(pre({ type: 'Whitespace' }, 'héllo, wörld!!')).toEqual(['héllo', ',', 'wörld', '!!']);
    expect(pre({ type: 'WhitespaceSplit' }, ' a,b  c ')).toEqual(['a,b', 'c']);
    expect(pre({ type: 'Punctuation' }, 'a,b')).toEqual(['a', ',', 'b']);
    expect(pre({ type: 'Punctuation', behavior: 'Removed' }, 'a,b')).toEqual(['a', 'b']);
    expect(pre({ type: 'Digits', individual_digits: true }, 'a123')).toEqual(['a', '1', '2', '3']);
    expect(pre({ type: 'Digits', individual_digits: false }, 'a123b')).toEqual(['a', '123', 'b']);
  });

  it('split behaviours, as HF defines them', () => {
    const dash = /-/gu;
    expect(splitBy('a-b--c', dash, 'Removed')).toEqual(['a', 'b', 'c']);
    expect(splitBy('a-b--c', dash, 'Isolated')).toEqual(['a', '-', 'b', '-', '-', 'c']);
    expect(splitBy('a-b--c', dash, 'MergedWithPrevious')).toEqual(['a-', 'b-', '-', 'c']);
    expect(splitBy('a-b--c', dash, 'MergedWithNext')).toEqual(['a', '-b', '-', '-c']);
    expect(splitBy('a-b--c', dash, 'Contiguous')).toEqual(['a', '-', 'b', '--', 'c']);
    expect(splitBy('ab12cd', /\d+/gu, 'Removed', true)).toEqual(['12']);
    expect(pre({ type: 'Split', pattern: { String: '-' }, behavior: 'MergedWithNext', invert: false }, 'a-b')).toEqual(['a', '-b']);
  });

  it('Metaspace prepend schemes and split', () => {
    expect(pre({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }, 'a b', false)).toEqual(['▁a', '▁b']);
    expect(pre({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true }, 'a b', false)).toEqual(['a', '▁b']);
    expect(pre({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true }, 'a b')).toEqual(['a', '▁b']);
    expect(pre({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false }, 'a b')).toEqual(['▁a▁b']);
    expect(pre({ type: 'Metaspace', replacement: '▁', add_prefix_space: false }, 'a')).toEqual(['a']); // the older field
  });

  it('a Llama 3 style sequence: a regex Split, then ByteLevel without its own regex', () => {
    const json = { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: "(?:'s|'t)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+|\\s+" }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    ] };
    expect(pre(json, 'Hi 12345!')).toEqual(['Hi', 'Ġ', '123', '45', '!']);
  });
});

describe('decoders', () => {
  it('BPE suffix, strip, regex replace, metaspace without prefix, WordPiece without clean-up', () => {
    expect(dec({ type: 'BPEDecoder', suffix: '</w>' }, ['hel', 'lo</w>', 'you</w>'])).toBe('hello you');
    expect(dec({ type: 'Strip', content: 'x', start: 2, stop: 1 }, ['xxxaxx'])).toBe('xax');
    expect(dec({ type: 'Replace', pattern: { Regex: '_+' }, content: ' ' }, ['a__b'])).toBe('a b');
    expect(dec({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'never' }, ['▁a', '▁b'])).toBe(' a b');
    // As HF does it: every ▁ of the first token goes, not only the prepended one.
    expect(dec({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' }, ['▁▁a', '▁▁b'])).toBe('a  b');
    expect(dec({ type: 'WordPiece', prefix: '##', cleanup: false }, ['a', '##b', ','])).toBe('ab ,');
    // Clean-up works token by token, as in HF: a space before punctuation goes, 'do' 'not' stays.
    expect(dec({ type: 'WordPiece', prefix: '##', cleanup: true }, ['a', '##b', ',', 'do', 'not', '.'])).toBe('ab, do not.');
  });
});

describe('post-processors', () => {
  const e = (ids: number[]) => plainEncoding(ids);
  it('RoBERTa and the string form of templates', () => {
    const rob = parsePostProcessor(Fields.of({ type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] }, loc));
    expect(rob.process(e([7]), e([8])).ids).toEqual([0, 7, 2, 2, 8, 2]);
    expect(rob.addedTokens(true)).toBe(4);
    const tpl = parsePostProcessor(Fields.of({ type: 'TemplateProcessing', single: '[CLS] $A [SEP]', pair: '[CLS] $A [SEP] $B:1 [SEP]:1', special_tokens: { '[CLS]': { id: '[CLS]', ids: [101], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [102], tokens: ['[SEP]'] } } }, loc));
    const p = tpl.process(e([5]), e([6]));
    expect(p.ids).toEqual([101, 5, 102, 6, 102]);
    expect(p.typeIds).toEqual([0, 0, 0, 1, 1]);
  });

  it('sequences run in order', () => {
    const seq = parsePostProcessor(Fields.of({ type: 'Sequence', processors: [
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [{ Sequence: { id: 'A', type_id: 0 } }], special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    ] }, loc));
    expect(seq.process(e([5, 6]), null).ids).toEqual([1, 5, 6]);
    expect(seq.addedTokens(false)).toBe(1);
  });
});

describe('models', () => {
  it('BPE with a continuation prefix and an end-of-word suffix', () => {
    const pre = new BPE([['a', 0], ['##b', 1], ['ab', 2]], [['a', '##b']], { continuingSubwordPrefix: '##' });
    expect(pre.tokenize('ab')).toEqual([2]);
    const suf = new BPE([['a', 0], ['b</w>', 1], ['ab</w>', 2], ['b', 3], ['a</w>', 4]], [['a', 'b</w>']], { endOfWordSuffix: '</w>' });
    expect(suf.tokenize('ab')).toEqual([2]);
    expect(suf.tokenize('ba')).toEqual([3, 4]);
  });

  it('BPE ignore_merges takes a word that is a token as it is', () => {
    const vocab: [string, number][] = [['a', 0], ['b', 1], ['c', 2], ['ab', 3], ['abc', 4]];
    expect(new BPE(vocab, [['a', 'b']]).tokenize('abc')).toEqual([3, 2]);
    expect(new BPE(vocab, [['a', 'b']], { ignoreMerges: true }).tokenize('abc')).toEqual([4]);
  });

  it('equal ranks merge leftmost first, and long words stay correct', () => {
    const bpe = new BPE([['a', 0], ['aa', 1]], [['a', 'a']]);
    expect(bpe.tokenize('aaa')).toEqual([1, 0]);
    expect(bpe.tokenize('a'.repeat(10001))).toEqual([...new Array(5000).fill(1), 0]);
  });

  it('a character no token spells is an error without an unknown token', () => {
    expect(() => new BPE([['a', 0]], []).tokenize('ab')).toThrow(/'b' \(U\+0062\) is not in the vocabulary and the model has no unknown token/);
    expect(() => new WordPiece([['a', 0]], {}).tokenize('b')).toThrow(TokenizerError);
    expect(() => tokenizerFromJSON(gpt2Json('strings', { model: { ...(gpt2Json().model as object), unk_token: '<nope>' } }))).toThrow(/the unknown token '<nope>' is not in the vocabulary/);
  });
});
