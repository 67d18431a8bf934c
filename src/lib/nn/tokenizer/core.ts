// The tokenizer API without tfjs (plugins that only tokenize start faster): load, encode, batch,
// decode, save, and train WordPiece or byte-level BPE. index.ts adds toTensors.

export { Tokenizer, type TokenizerParts, type EncodeOptions, type EncodedText, type BatchOptions, type DecodeOptions } from './tokenizer.js';
export { loadTokenizer, tokenizerFromJSON, resolveTokenizerFile, TOKENIZER_FILE } from './tokenizer-json.js';
export type { BatchEncoding } from './batch.js';
export { TokenizerError } from './errors.js';
export { addedToken, type AddedToken } from './added-tokens.js';
export type { Encoding, Side } from './encoding.js';
export type { TruncationSettings, PaddingSettings, TruncationStrategy } from './settings.js';
export { trainWordPiece, trainByteLevelBpe, WORDPIECE_SPECIAL_TOKENS, BPE_SPECIAL_TOKENS, type WordPieceTrainOptions, type ByteLevelBpeTrainOptions } from './trainers/train.js';
export { learnMerges, type MergeTrainerOptions, type LearnedMerges } from './trainers/merge-trainer.js';
export { countWords } from './trainers/word-counts.js';
export { WordPiece, type WordPieceOptions } from './models/wordpiece.js';
export { BPE, byteToken, type BpeOptions } from './models/bpe.js';
export type { SubwordModel } from './models/model.js';
export * as normalizers from './normalizers.js';
export * as preTokenizers from './pre-tokenizers.js';
export * as decoders from './decoders.js';
export * as postProcessors from './post-processors.js';
