// Small hand-built tokenizer.json files of the three families the tests encode by hand.

import { BYTE_TO_CHAR } from '../../src/lib/nn/tokenizer/byte-level.js';

type Json = Record<string, unknown>;

const special = (id: number, content: string): Json => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

export const BERT_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cafe', 'un', '##aff', '##able',
  '.', '!', ',', 'hello', 'world', '##s', '中', '文', 'a', '##b', 'new', 'token',
];

/** BERT uncased: BertNormalizer, BertPreTokenizer, WordPiece, [CLS] A [SEP] B [SEP]. */
export function bertJson(over: Json = {}): Json {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      ...['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t, i) => special(i, t)),
      { id: 22, content: '<new>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
    ],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 12, vocab: Object.fromEntries(BERT_VOCAB.map((t, i) => [t, i])) },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    ...over,
  };
}

/** GPT-2: ids 0..255 are the byte characters (in byte order), then the merged tokens, then <|endoftext|>. */
export const GPT2_MERGES: [string, string][] = [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['l', 'l'], ['e', 'll'], ['h', 'ell'], ['hell', 'o']];

export function gpt2Vocab(): string[] {
  const vocab = [...BYTE_TO_CHAR];
  for (const [a, b] of GPT2_MERGES) vocab.push(a + b);
  vocab.push('<|endoftext|>');
  return vocab;
}

export const EOT = 263;

export function gpt2Json(mergeForm: 'strings' | 'pairs' = 'strings', over: Json = {}): Json {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(EOT, '<|endoftext|>')],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false,
      vocab: Object.fromEntries(gpt2Vocab().map((t, i) => [t, i])),
      merges: mergeForm === 'strings' ? GPT2_MERGES.map(([a, b]) => `${a} ${b}`) : GPT2_MERGES.map(([a, b]) => [a, b]),
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    ...over,
  };
}

/** Llama: <unk> <s> </s>, the 256 byte tokens <0x00>…<0xFF> (ids 3..258), then pieces. */
export const LLAMA_PIECES = ['▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', '▁h', 'el', '▁hel', 'lo', '▁hello', '▁w'];
export const LLAMA_MERGES: [string, string][] = [['▁', 'h'], ['e', 'l'], ['▁h', 'el'], ['l', 'o'], ['▁hel', 'lo'], ['▁', 'w']];
export const LLAMA_ID = (piece: string): number => 259 + LLAMA_PIECES.indexOf(piece);
export const BYTE_ID = (b: number): number => 3 + b;

export function llamaVocab(): string[] {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  return ['<unk>', '<s>', '</s>', ...bytes, ...LLAMA_PIECES];
}

/**
 * 'normalizer': the newer layout (Prepend + Replace normalizer, no pre-tokenizer, a decoder
 * sequence); 'metaspace': the older one (Metaspace pre-tokenizer and decoder).
 */
export function llamaJson(style: 'normalizer' | 'metaspace' = 'normalizer', model: Json = {}, over: Json = {}): Json {
  const layout = style === 'normalizer'
    ? {
        normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
        pre_tokenizer: null,
        decoder: {
          type: 'Sequence',
          decoders: [
            { type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' },
            { type: 'Strip', content: ' ', start: 1, stop: 0 },
          ],
        },
      }
    : {
        normalizer: null,
        pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
        decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true }] },
      };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    ...layout,
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false,
      vocab: Object.fromEntries(llamaVocab().map((t, i) => [t, i])),
      merges: LLAMA_MERGES.map(([a, b]) => [a, b]),
      ...model,
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    ...over,
  };
}
