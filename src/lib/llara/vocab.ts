// The model side of the 16 added tokens: the input embeddings and the LM head (tied or untied, as
// the model has it) grow to the tokenizer's new size; rows already there keep their weights.

import type { Gpt2Decoder } from '../nn/models/gpt2.js';
import type { LlamaDecoder } from '../nn/models/llama.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { LlaraError, withLlaraTokens } from './prompts.js';

export type CausalDecoder = LlamaDecoder | Gpt2Decoder;

/**
 * Adds LLaRA's tokens to `tok` and resizes `model` to fit them. The tokenizer must fit the model
 * before (no id past the embedding table); a table already larger (padded vocabularies) is kept.
 */
export function addLlaraVocabulary(model: CausalDecoder, tok: Tokenizer, seed: number): Tokenizer {
  const before = model.config.vocabSize;
  if (tok.vocabSize > before) throw new LlaraError(`the tokenizer has ${tok.vocabSize} ids but the model's embedding table only ${before} rows: they do not belong together`);
  const extended = withLlaraTokens(tok);
  if (extended.vocabSize > before) model.resizeVocab(extended.vocabSize, seed);
  return extended;
}
