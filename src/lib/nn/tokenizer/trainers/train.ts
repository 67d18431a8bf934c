// Training a complete tokenizer on a list of texts: WordPiece (BERT layout) or byte-level BPE
// (GPT-2 layout). Both are deterministic: the same texts and options give the same file.

import { addedToken } from '../added-tokens.js';
import { BYTE_TO_CHAR } from '../byte-level.js';
import { ByteLevelDecoder, WordPieceDecoder } from '../decoders.js';
import { TokenizerError } from '../errors.js';
import { BPE } from '../models/bpe.js';
import { WordPiece } from '../models/wordpiece.js';
import { BertNormalizer } from '../normalizers.js';
import { ByteLevelProcessing, TemplateProcessing, type TemplatePiece } from '../post-processors.js';
import { BertPreTokenizer, ByteLevelPreTokenizer, DigitsPreTokenizer, PreTokenizerSequence } from '../pre-tokenizers.js';
import { Tokenizer } from '../tokenizer.js';
import { learnMerges } from './merge-trainer.js';
import { countWords } from './word-counts.js';

export interface CommonTrainOptions {
  /** Target size, special tokens and the alphabet included (the alphabet is kept even if larger). */
  vocabSize?: number;
  /** Pairs seen fewer times are not merged. */
  minFrequency?: number;
  /** Added first, ids 0, 1, …, as special added tokens. */
  specialTokens?: readonly string[];
}

export interface WordPieceTrainOptions extends CommonTrainOptions {
  lowercase?: boolean;
  /** Default: follows lowercase (as BERT's normalizer does). */
  stripAccents?: boolean;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  maxInputCharsPerWord?: number;
}

export const WORDPIECE_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const BPE_SPECIAL_TOKENS = ['<pad>', '<|endoftext|>'] as const;

function checkSpecials(specials: readonly string[], required: string[]): void {
  for (const t of required) if (!specials.includes(t)) throw new TokenizerError(`special tokens [${specials.join(', ')}] must include '${t}'`);
  const dup = specials.find((t, i) => specials.indexOf(t) !== i);
  if (dup !== undefined) throw new TokenizerError(`special token '${dup}' is listed twice`);
}

/**
 * WordPiece as HF's WordPieceTrainer learns it: BPE merges over words whose non-initial
 * characters carry the '##' prefix (merging "a" "##b" gives "ab"), and the resulting vocabulary
 * read greedily longest-first. Every character of the corpus is in the vocabulary, alone and
 * with '##', so the corpus encodes without [UNK] (words longer than maxInputCharsPerWord aside).
 */
export function trainWordPiece(texts: Iterable<string>, opts: WordPieceTrainOptions = {}): Tokenizer {
  const specials = opts.specialTokens ?? WORDPIECE_SPECIAL_TOKENS;
  const unk = opts.unkToken ?? '[UNK]';
  const cls = opts.clsToken ?? '[CLS]';
  const sep = opts.sepToken ?? '[SEP]';
  checkSpecials(specials, [unk, cls, sep]);
  const normalizer = new BertNormalizer(true, true, opts.stripAccents ?? null, opts.lowercase ?? true);
  const preTokenizer = new BertPreTokenizer();
  const learned = learnMerges(countWords(texts, normalizer, preTokenizer), {
    vocabSize: opts.vocabSize ?? 8000,
    minFrequency: opts.minFrequency ?? 2,
    specialTokens: specials,
    continuingSubwordPrefix: '##',
  });
  const vocab = learned.vocab.map((t, id) => [t, id] as [string, number]);
  const idOf = (t: string): number => specials.indexOf(t);
  const seq = (which: 'A' | 'B', typeId: number): TemplatePiece => ({ kind: 'sequence', which, typeId });
  const sp = (token: string, typeId: number): TemplatePiece => ({ kind: 'special', token, typeId });
  return new Tokenizer({
    normalizer,
    preTokenizer,
    model: new WordPiece(vocab, { unkToken: unk, continuingSubwordPrefix: '##', maxInputCharsPerWord: opts.maxInputCharsPerWord ?? 100 }),
    postProcessor: new TemplateProcessing(
      [sp(cls, 0), seq('A', 0), sp(sep, 0)],
      [sp(cls, 0), seq('A', 0), sp(sep, 0), seq('B', 1), sp(sep, 1)],
      new Map([cls, sep].map((t) => [t, { id: t, ids: [idOf(t)], tokens: [t] }])),
    ),
    decoder: new WordPieceDecoder('##', true),
    addedTokens: specials.map((t, id) => addedToken(id, t, { special: true })),
  });
}

export interface ByteLevelBpeTrainOptions extends CommonTrainOptions {
  /** Give the first word a leading space so it is spelt like the others (RoBERTa: true, GPT-2: false). */
  addPrefixSpace?: boolean;
  /**
   * Every digit its own token, as Llama's tokenizer does (off by default, GPT-2's behaviour): a
   * number is then spelt digit by digit instead of being one learnt token, so arithmetic can be
   * learnt digit-wise rather than as a lookup over whole numbers. A space before a number
   * becomes a token of its own.
   */
  splitDigits?: boolean;
}

/** GPT-2's byte-level BPE: all 256 byte characters are in the vocabulary, so nothing is ever unknown. */
export function trainByteLevelBpe(texts: Iterable<string>, opts: ByteLevelBpeTrainOptions = {}): Tokenizer {
  const specials = opts.specialTokens ?? BPE_SPECIAL_TOKENS;
  checkSpecials(specials, []);
  const byteLevel = new ByteLevelPreTokenizer(opts.addPrefixSpace ?? false, true, true);
  const preTokenizer = opts.splitDigits ? new PreTokenizerSequence([new DigitsPreTokenizer(true), byteLevel]) : byteLevel;
  const learned = learnMerges(countWords(texts, null, preTokenizer), {
    vocabSize: opts.vocabSize ?? 8000,
    minFrequency: opts.minFrequency ?? 2,
    specialTokens: specials,
    initialAlphabet: BYTE_TO_CHAR,
  });
  return new Tokenizer({
    preTokenizer,
    model: new BPE(learned.vocab.map((t, id) => [t, id] as [string, number]), learned.merges),
    postProcessor: new ByteLevelProcessing(opts.addPrefixSpace ?? false, true, true),
    decoder: new ByteLevelDecoder(opts.addPrefixSpace ?? false, true, true),
    addedTokens: specials.map((t, id) => addedToken(id, t, { special: true })),
  });
}
