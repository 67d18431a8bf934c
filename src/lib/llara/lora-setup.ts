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

/**
 * The optimizer and LoRA params both training stages share (AdamW, warmup then linear decay,
 * clipping, LoRA or full training), for a plugin's params schema; the stage writes its own notes.
 */
export function trainingParamsSchema(notes: { lr: string; warmupDefault: number; lora: string }) {
  return {
    lr: { type: 'number', exclusiveMinimum: 0, default: 1e-3, description: `Peak learning rate (${notes.lr}).` },
    warmupSteps: { type: 'integer', minimum: 0, default: notes.warmupDefault, description: 'Linear warmup, then linear decay to 0.' },
    weightDecay: { type: 'number', minimum: 0, default: 0, description: 'AdamW weight decay.' },
    clipNorm: { type: 'number', minimum: 0, default: 1, description: 'Clip the global gradient norm.' },
    lora: {
      anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, required: ['rank', 'alpha'], properties: { rank: { type: 'integer', minimum: 1 }, alpha: { type: 'number', exclusiveMinimum: 0 }, dropout: { type: 'number', minimum: 0, maximum: 1 } } }],
      default: null,
      description: notes.lora,
    },
  } as const;
}

const LLAMA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const GPT2_TARGETS = ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'];

/** Adds the adapter (when `lora` is set); `trainVocab` keeps the token table and LM head trainable. */
export function prepareTraining(model: CausalDecoder, lora: LoraSetting | null, trainVocab: boolean, seed: number): void {
  if (!lora) return;
  addLora(model, { rank: lora.rank, alpha: lora.alpha, dropout: lora.dropout ?? 0,
    targets: model instanceof Gpt2Decoder ? GPT2_TARGETS : LLAMA_TARGETS, seed });
  if (!trainVocab) return;
  for (const name of model.variables().keys()) {
    if (/(embed_tokens|wte|lm_head)\.weight$/.test(name)) model.setTrainable(name, true);
  }
}

/** Folds the adapter into the base weights, so the saved folder is a plain checkpoint. */
export function finishTraining(model: CausalDecoder, lora: LoraSetting | null): void {
  if (lora) mergeAdapter(model, 'default');
}
