// LoRA or full training of a causal decoder. LoRA goes on every attention and MLP projection (the
// released code's q, k, v, o, gate, up, down); the token table and LM head can stay trainable so
// the 16 new tokens learn even under LoRA. After training the adapter is merged into the weights.

import { addLora, mergeAdapter } from '../nn/lora.js';
import { Gpt2Decoder } from '../nn/models/gpt2.js';
import type { CausalDecoder } from './vocab.js';

export interface LoraSetting {
  rank: number;
  alpha: number;
  dropout?: number;
}

const LLAMA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const GPT2_TARGETS = ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'];

/** Adds the adapter (when `lora` is set); `trainVocab` keeps the token table and LM head trainable. */
export function prepareTraining(model: CausalDecoder, lora: LoraSetting | null, trainVocab: boolean, seed: number): void {
  if (!lora) return;
  addLora(model, { rank: lora.rank, alpha: lora.alpha, dropout: lora.dropout ?? 0, targets: model instanceof Gpt2Decoder ? GPT2_TARGETS : LLAMA_TARGETS, seed });
  if (!trainVocab) return;
  for (const name of model.variables().keys()) {
    if (/(embed_tokens|wte|lm_head)\.weight$/.test(name)) model.setTrainable(name, true);
  }
}

/** Folds the adapter into the base weights, so the saved folder is a plain checkpoint. */
export function finishTraining(model: CausalDecoder, lora: LoraSetting | null): void {
  if (lora) mergeAdapter(model, 'default');
}
