// Retrieval embeddings from a causal decoder (methods.md §5.2, finetune/modeling.py):
//
//   llara:      passages = prefix + text + EBAE suffix, queries = prefix + text + EBAR suffix,
//               e = mean of the last-layer hidden states of the k embedding tokens     [b, d]
//   last-token: text + end-of-text, e = the last hidden state (the unadapted base LM)  [b, d]
//
// then L2-normalised. Rows are left padded, so the embedding tokens are the last k positions.

import * as tf from '@tensorflow/tfjs';
import type { Mode } from '../nn/layers/dropout.js';
import { l2Normalize } from '../nn/pooling.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { singleBatch } from './batch.js';
import { eosId, LlaraError, textBudget, type PromptIds } from './prompts.js';
import type { CausalDecoder } from './vocab.js';

export type Side = 'query' | 'passage';

export interface Embedder {
  model: CausalDecoder;
  tok: Tokenizer;
  /** Prompt ids for 'llara' pooling; absent for 'last-token'. */
  prompt?: PromptIds;
  maxLength: number;
  padId: number;
}

export function padIdOf(tok: Tokenizer): number {
  return tok.tokenToId('<pad>') ?? tok.tokenToId('[PAD]') ?? eosId(tok) ?? 0;
}

/** The token rows of texts for one side: text ids cut to fit, the prompt around them. */
function rowsOf(m: Embedder, texts: readonly string[], side: Side): { rows: number[][]; prefix: number[]; suffix: number[]; k: number } {
  if (m.prompt) {
    const suffix = side === 'passage' ? m.prompt.ebae : m.prompt.ebar;
    const budget = textBudget(m.prompt, m.maxLength, false);
    return { rows: texts.map((t) => m.tok.encode(t, { addSpecialTokens: false }).ids.slice(0, budget)), prefix: m.prompt.prefix, suffix, k: m.prompt.k };
  }
  const eos = eosId(m.tok);
  if (eos === undefined) throw new LlaraError('last-token pooling appends the end-of-text token, and the tokenizer has none');
  return { rows: texts.map((t) => m.tok.encode(t, { addSpecialTokens: false }).ids.slice(0, m.maxLength - 1)), prefix: [], suffix: [eos], k: 1 };
}

/** texts → unit-norm embeddings [n, d]; differentiable. */
export function embedTexts(m: Embedder, texts: readonly string[], side: Side, mode?: Mode): tf.Tensor2D {
  const { rows, prefix, suffix, k } = rowsOf(m, texts, side);
  const batch = singleBatch(rows, prefix, suffix, m.padId);
  const { hidden } = m.model.forward({ inputIds: batch.inputIds, attentionMask: batch.attentionMask,
    positionIds: batch.positionIds, logits: false }, mode); // [n, T, d]
  const [n, t, d] = (hidden as tf.Tensor3D).shape;
  const last = tf.slice(hidden, [0, t - k, 0], [n, k, d]); // [n, k, d]
  return l2Normalize(tf.mean(last, 1)) as tf.Tensor2D; // [n, d]
}

/** Embeds many texts in batches: [n·d] row-major. */
export function embedMany(m: Embedder, texts: readonly string[], side: Side, batchSize: number): Float32Array {
  const d = m.model.config.hiddenSize;
  const out = new Float32Array(texts.length * d);
  for (let start = 0; start < texts.length; start += batchSize) {
    const v = tf.tidy(() => embedTexts(m, texts.slice(start, start + batchSize), side));
    out.set(v.dataSync() as Float32Array, start * d);
    v.dispose();
  }
  return out;
}
