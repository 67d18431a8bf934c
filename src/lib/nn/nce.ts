// NCE — Negative Calibrated Enhancement (TDG `distill_NCE.py:Distill.forward`; methods.md §4.2).
// The frozen NAT model teaches a fresh student on positive samples. Its two modes give two
// distributions per position: p_NAT (mode 'mix') and p_neg (mode 'neg', base + LoRA_neg). How much
// a sequence is distilled depends on how far the negative model is from the NAT model on it:
//
//   KL_t = Σ_v p_neg(v|t) (log p_neg(v|t) − log p_NAT(v|t))    F.kl_div(log p_NAT, p_neg + 1e-7)
//   β_b  = tanh( Σ_t m_t KL_t / Σ_t m_t )                      one scalar per sequence, in [0, 1)
//   L_KD = −T² Σ_{b,t} m_{b,t} Σ_v p_NAT(v|t) log q_S(v|t) (offset + β_b) / Σ_{b,t} m_{b,t}
//   L    = (1 − λ) L_CE + λ L_KD                                λ = 0.5, T = 1, offset = 0.5
//
// The paper describes β as the weight; the code weighs by (0.5 + β). `offset` keeps both: 0.5 is
// the code, 0 the paper's description. Teacher and student logits are aligned position by
// position (no shift), and the KD term is a soft-label cross-entropy, not a KL.

import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../plugin/api.js';
import type { DecoderInputs, DecoderOutput } from './models/decoder.js';
import type { Module } from './module.js';
import { setNatMode } from './nat.js';

function sameShape(name: string, a: tf.Tensor, b: tf.Tensor): void {
  if (a.rank !== 3 || a.shape.join() !== b.shape.join()) {
    throw new NodeFailure(`${name}: logits must be two [b, t, V] tensors of one shape, got [${a.shape}] and [${b.shape}]`);
  }
}

/** KL(p_neg ‖ p_NAT) at every position, [b, t], with p_neg + eps as F.kl_div's target (TDG: 1e-7). */
export function negativeKl(negLogits: tf.Tensor3D, natLogits: tf.Tensor3D, eps = 1e-7): tf.Tensor2D {
  sameShape('negativeKl', negLogits, natLogits);
  return tf.tidy(() => {
    const target = tf.add(tf.softmax(negLogits), eps); // [b, t, V]
    const logNat = tf.logSoftmax(natLogits); // [b, t, V]
    return tf.sum(tf.mul(target, tf.sub(tf.log(target), logNat)), -1) as tf.Tensor2D; // [b, t]
  });
}

/** β_b = tanh(mean over the mask of KL(p_neg ‖ p_NAT)): [b], in [0, 1) (float32 rounds it to 1 past a mean KL of about 9). */
export function nceBeta(negLogits: tf.Tensor3D, natLogits: tf.Tensor3D, mask: tf.Tensor2D, eps = 1e-7): tf.Tensor1D {
  return tf.tidy(() => {
    const m = mask.toFloat(); // [b, t]
    const kl = negativeKl(negLogits, natLogits, eps); // [b, t]
    return tf.tanh(tf.div(tf.sum(tf.mul(kl, m), 1), tf.maximum(tf.sum(m, 1), 1e-12))) as tf.Tensor1D;
  });
}

export interface NceKdOptions {
  /** Added to β before weighing a sequence: 0.5 in the code, 0 for the paper's description. */
  offset?: number;
  temperature?: number;
}

/** The β-weighted soft-label distillation term L_KD. */
export function nceKdLoss(natLogits: tf.Tensor3D, studentLogits: tf.Tensor3D, mask: tf.Tensor2D, beta: tf.Tensor1D, options: NceKdOptions = {}): tf.Scalar {
  sameShape('nceKdLoss', natLogits, studentLogits);
  const { offset = 0.5, temperature: T = 1 } = options;
  return tf.tidy(() => {
    const m = mask.toFloat(); // [b, t]
    const pNat = tf.softmax(tf.div(natLogits, T)); // [b, t, V]
    const logQ = tf.logSoftmax(tf.div(studentLogits, T)); // [b, t, V]
    const ce = tf.neg(tf.sum(tf.mul(pNat, logQ), -1)); // [b, t]
    const weight = tf.add(beta, offset).expandDims(1); // [b, 1]
    const total = tf.sum(tf.mul(tf.mul(ce, m), weight));
    return tf.div(tf.mul(total, T * T), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

/** (1 − λ) L_CE + λ L_KD (TDG: λ = 0.5). */
export function nceLoss(ce: tf.Scalar, kd: tf.Scalar, lambda = 0.5): tf.Scalar {
  return tf.tidy(() => tf.add(tf.mul(ce, 1 - lambda), tf.mul(kd, lambda)) as tf.Scalar);
}

/**
 * The NCE teacher's two distributions from one NAT model: logits in mode 'mix' (p_NAT) and in mode
 * 'neg' (p_neg: base + LoRA_neg only), both [b, t, V]. The model is left in mode 'mix'.
 */
export function natTeacherLogits(
  model: Module & { forward(inputs: DecoderInputs): DecoderOutput },
  inputs: DecoderInputs,
): { nat: tf.Tensor3D; neg: tf.Tensor3D } {
  setNatMode(model, 'mix');
  const nat = model.forward(inputs).logits as tf.Tensor3D;
  setNatMode(model, 'neg');
  try {
    return { nat, neg: model.forward(inputs).logits as tf.Tensor3D };
  } finally {
    setNatMode(model, 'mix');
  }
}
