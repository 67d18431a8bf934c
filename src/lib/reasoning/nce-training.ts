// NCE's training step (Li et al. 2024 §3.2; TDG `distill_NCE.py`; methods.md §4.2): a fresh LoRA
// student learns from the frozen NAT model on positive (and NAT-generated) rationales,
//
//   L = (1 − λ) L_CE + λ L_KD,   L_KD = soft-label CE to p_NAT, sequence b weighted by w_b
//   nce: w_b = offset + β_b,  β_b = tanh(mean_t KL(p_neg ‖ p_NAT))     kd: w_b = 1
//
// The teacher's two forward passes (mode mix → p_NAT, mode neg → p_neg) run outside the gradient
// tape, when the batch is made.

import * as tf from '@tensorflow/tfjs';
import { SeedStream } from '../nn/layers/dropout.js';
import { causalLmLoss } from '../nn/losses.js';
import type { LlamaDecoder } from '../nn/models/llama.js';
import { natTeacherLogits, nceBeta, nceKdLoss, nceLoss } from '../nn/nce.js';
import { train, type TrainContext } from '../nn/train/loop.js';
import { BatchSampler } from '../nn/train/sampler.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { encodeExample, lmBatch, specialIds, studentLoop } from './student.js';

export type DistillWeighting = 'nce' | 'kd';

export interface DistillOptions {
  steps: number;
  batch: number;
  lr: number;
  maxLength: number;
  seed: number;
  weighting: DistillWeighting;
  /** λ, the weight of L_KD (TDG: 0.5). */
  lambda: number;
  /** nce: added to β (TDG code: 0.5; 0 for the paper's description). */
  offset: number;
  ctx?: TrainContext;
  /** Called with each batch's mean β (nce), for the metrics. */
  onBeta?: (meanBeta: number) => void;
}

/** Trains `student`'s trainable parameters from the frozen NAT `teacher`; returns the last logged loss. */
export async function distillFromNat(student: LlamaDecoder, teacher: LlamaDecoder, tok: Tokenizer, texts: string[], o: DistillOptions): Promise<number> {
  if (texts.length === 0 || o.steps === 0) return NaN;
  const { pad } = specialIds(tok);
  const rows = texts.map((t) => encodeExample(tok, t, o.maxLength));
  const sampler = new BatchSampler({ sources: rows.length, batchSize: Math.min(o.batch, rows.length), seed: o.seed });
  const result = await train({
    ...studentLoop(student.parameters(), sampler, o),
    makeBatch: (refs) => {
      const b = lmBatch(refs.map((r) => rows[r.index]!), pad); // the sampler draws from 0..rows.length
      const { nat, neg } = natTeacherLogits(teacher, { inputIds: b.inputIds, attentionMask: b.attentionMask }); // [b, t, V] each
      const beta = o.weighting === 'nce' ? nceBeta(neg, nat, b.attentionMask) : tf.zeros([refs.length]) as tf.Tensor1D; // [b]
      if (o.onBeta && o.weighting === 'nce') o.onBeta(tf.mean(beta).dataSync()[0]!);
      return { ...b, nat, beta };
    },
    loss: (b, info) => {
      const logits = student.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask },
        { training: true, rng: new SeedStream(info.seed) }).logits as tf.Tensor3D;
      const ce = causalLmLoss(logits, b.labels);
      const kd = nceKdLoss(b.nat, logits, b.attentionMask, b.beta, { offset: o.weighting === 'nce' ? o.offset : 1 });
      return nceLoss(ce, kd, o.lambda);
    },
  });
  return result.lastLoss;
}
