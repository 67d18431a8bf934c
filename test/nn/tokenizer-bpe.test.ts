// A GPT-2 byte-level BPE and a Llama SentencePiece-style BPE, both built by hand.
import { describe, expect, it } from 'vitest';
import { tokenizerFromJSON } from '../../src/lib/nn/tokenizer/core.js';
import { BYTE_TO_CHAR } from '../../src/lib/nn/tokenizer/byte-level.js';
import { BYTE_ID, EOT, gpt2Json, gpt2Vocab, LLAMA_ID, llamaJson } from './tokenizer-fixtures.js';

const gpt2 = tokenizerFromJSON(gpt2Json(), 'gpt2.json');
const gid = (t: string): number => gpt2Vocab().indexOf(t);

describe('byte-level BPE (GPT-2)', () => {
  it('applies merges by rank, not greedily', () => {
    // hello: (h,e) rank 1 first, then (l,l) rank 3; 'he'+'ll' has no merge (only e+ll, h+ell exist).
    expect(gpt2.tokenize('hello')).toEqual(['he', 'll', 'o']);
    // ' the': Ġ+t (0) → Ġt, h+e (1) → he, Ġt+he (2) → Ġthe.
    expect(gpt2.tokenize(' the')).toEqual(['Ġthe']);
    expect(gpt2.tokenize('hello the')).toEqual(['he', 'll', 'o', 'Ġthe']);
    expect(gpt2.encode('hello the').ids).toEqual([gid('he'), gid('ll'), 'o'.charCodeAt(0), gid('Ġthe')]);
  });

  it('spells bytes of any text, whitespace runs and newlines as GPT-2 does', () => {
    // "  hi": GPT-2's \s+(?!\S) leaves the last space to the word.
    expect(gpt2.tokenize('  hi')).toEqual(['Ġ', 'Ġ', 'h', 'i']);
    expect(gpt2.tokenize('a\nb')).toEqual(['a', 'Ċ', 'b']);
    expect(gpt2.tokenize("it's")).toEqual(['i', 't', "'", 's']);
    // é is C3 A9; 😀 is F0 9F 98 80.
    expect(gpt2.tokenize('é')).toEqual([BYTE_TO_CHAR[0xc3], BYTE_TO_CHAR[0xa9]]);
    expect(gpt2.tokenizeToIds('😀')).toEqual([0xf0, 0x9f, 0x98, 0x80]);
  });

  it('decodes back to the exact text, special tokens kept or skipped', () => {
    for (const text of ['hello the world', '  spaced  \n\tout ', 'naïve café 東京 😀', "it's 42!"]) {
      expect(gpt2.decode(gpt2.encode(text).ids)).toBe(text);
    }
    const ids = gpt2.encode('hello<|endoftext|> the').ids;
    expect(ids).toEqual([gid('he'), gid('ll'), 'o'.charCodeAt(0), EOT, gid('Ġthe')]);
    expect(gpt2.decode(ids)).toBe('hello<|endoftext|> the');
    expect(gpt2.decode(ids, { skipSpecialTokens: true })).toBe('hello the');
  });

  it('reads merges as "a b" strings and as ["a", "b"] pairs alike', () => {
    const pairs = tokenizerFromJSON(gpt2Json('pairs'));
    for (const text of ['hello the', 'the hell', 'hello<|endoftext|>']) expect(pairs.encode(text).ids).toEqual(gpt2.encode(text).ids);
  });

  it('adds the prefix space when asked', () => {
    const t = tokenizerFromJSON(gpt2Json('strings', { pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true } }));
    expect(t.tokenize('the')).toEqual(['Ġthe']);
  });

  it('lstrip/rstrip swallow the whitespace around an added token', () => {
    const json = gpt2Json();
    (json.added_tokens as unknown[]).push({ id: 264, content: '<m>', single_word: false, lstrip: true, rstrip: true, normalized: false, special: true });
    (json.added_tokens as unknown[]).push({ id: 265, content: '<k>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    const t = tokenizerFromJSON(json);
    expect(t.tokenize('a <m> b')).toEqual(['a', '<m>', 'b']);
    expect(t.tokenize('a <k> b')).toEqual(['a', 'Ġ', '<k>', 'Ġ', 'b']);
  });
});

describe('SentencePiece-style BPE (Llama)', () => {
  const llama = tokenizerFromJSON(llamaJson('normalizer'), 'llama.json');

  it('prepends ▁, replaces spaces and merges across the whole text by rank', () => {
    const e = llama.encode('hello world');
    expect(e.tokens).toEqual(['<s>', '▁hello', '▁w', 'o', 'r', 'l', 'd']);
    expect(e.ids).toEqual([1, ...['▁hello', '▁w', 'o', 'r', 'l', 'd'].map(LLAMA_ID)]);
    expect(llama.tokenize('hello  world')).toEqual(['▁hello', '▁', '▁w', 'o', 'r', 'l', 'd']);
  });

  it('falls back to <0xNN> byte tokens for characters outside the vocabulary', () => {
    expect(llama.tokenize('hi')).toEqual(['▁h', '<0x69>']);
    expect(llama.tokenizeToIds('é')).toEqual([LLAMA_ID('▁'), BYTE_ID(0xc3), BYTE_ID(0xa9)]);
    expect(llama.decode(llama.encode('hi é world 😀').ids, { skipSpecialTokens: true })).toBe('hi é world 😀');
  });

  it('fuses runs of unknown characters into one <unk> without byte fallback', () => {
    const t = tokenizerFromJSON(llamaJson('normalizer', { byte_fallback: false }));
    expect(t.tokenize('hxyz')).toEqual(['▁h', '<unk>']);
    const unfused = tokenizerFromJSON(llamaJson('normalizer', { byte_fallback: false, fuse_unk: false }));
    expect(unfused.tokenize('hxyz')).toEqual(['▁h', '<unk>', '<unk>', '<unk>']);
  });

  it('decodes invalid UTF-8 byte runs as U+FFFD per byte', () => {
    expect(llama.decode([LLAMA_ID('▁h'), BYTE_ID(0xc3), LLAMA_ID('e')])).toBe('h\ufffde');
  });

  it('encodes pairs with the template and type ids', () => {
    const e = llama.encode('hello', { pair: 'hello' });
    expect(e.ids).toEqual([1, LLAMA_ID('▁hello'), 1, LLAMA_ID('▁hello')]);
    expect(e.typeIds).toEqual([0, 0, 1, 1]);
  });

  it('treats <s> in the text as the special token; the text after it is normalized on its own (gets its own ▁)', () => {
    expect(llama.tokenize('<s>hello')).toEqual(['<s>', '▁hello']);
  });

  it('gives the same pieces with the older Metaspace layout', () => {
    const old = tokenizerFromJSON(llamaJson('metaspace'));
    expect(old.tokenize('hello world')).toEqual(['▁hello', '▁w', 'o', 'r', 'l', 'd']);
    expect(old.decode(old.encode('hello world é').ids, { skipSpecialTokens: true })).toBe('hello world é');
    // prepend_scheme 'first': only the start of the input gets a ▁, not the text after a special token.
    expect(old.tokenize('hello</s>hello')).toEqual(['▁hello', '</s>', 'h', 'el', 'lo']);
  });
});

describe('BPE over whole SentencePiece texts', () => {
  // Vocab of the Llama fixture plus whitespace-run pieces, as real Llama files have.
  const vocab = (extra: string[]): [string, number][] => {
    const json = llamaJson('normalizer');
    const v = Object.entries((json.model as { vocab: Record<string, number> }).vocab);
    extra.forEach((t, i) => v.push([t, 273 + i]));
    return v;
  };
  const merges = (extra: [string, string][]): [string, string][] => [...(llamaJson().model as { merges: [string, string][] }).merges, ...extra];
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const texts = Array.from({ length: 300 }, () => Array.from({ length: 1 + rand(40) }, () => '▁▁▁helowrdxé'[rand(12)]).join(''));

  it('encodes word by word exactly as over the whole text, when no token has an inner ▁', async () => {
    const { BPE } = await import('../../src/lib/nn/tokenizer/models/bpe.js');
    const v = vocab(['▁▁', '▁▁▁', '▁▁h']);
    const m = merges([['▁', '▁'], ['▁▁', '▁'], ['▁▁', 'h']]);
    const opts = { unkToken: '<unk>', byteFallback: true, fuseUnk: true };
    const fast = new BPE(v, m, opts);
    const whole = new BPE(v, m, { ...opts, metaspaceShortcut: false });
    for (const t of texts) expect(fast.tokenize(t)).toEqual(whole.tokenize(t));
    // ▁+h (rank 0) takes the second ▁ of the run before ▁+▁ (rank 6) can.
    expect(fast.tokenize('▁hello▁▁hello').map((id) => fast.idToToken(id))).toEqual(['▁hello', '▁', '▁hello']);
    expect(fast.tokenize('▁▁▁ho').map((id) => fast.idToToken(id))).toEqual(['▁▁', '▁h', 'o']);
  });

  it('keeps merging across words when a token does hold an inner ▁', async () => {
    const { BPE } = await import('../../src/lib/nn/tokenizer/models/bpe.js');
    const v = vocab(['o▁', 'o▁w']);
    // The cross-word merges rank first: o+▁ (0), o▁+w (1), before l+o (5) could take the o.
    const m: [string, string][] = [['o', '▁'], ['o▁', 'w'], ...merges([])];
    const bpe = new BPE(v, m, { unkToken: '<unk>', byteFallback: true });
    const whole = new BPE(v, m, { unkToken: '<unk>', byteFallback: true, metaspaceShortcut: false });
    for (const t of texts) expect(bpe.tokenize(t)).toEqual(whole.tokenize(t));
    expect(bpe.tokenize('▁hello▁world').map((id) => bpe.idToToken(id))).toEqual(['▁hel', 'l', 'o▁w', 'o', 'r', 'l', 'd']);
  });
});
