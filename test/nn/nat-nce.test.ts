// NCE on hand-computed cases: KL(p_neg ‖ p_NAT) in that order, β = tanh(mean KL) in [0, 1),
// the (offset + β) weight of the distillation term, and the λ mix.
//
// The case: p_neg = (1/2, 1/2) (logits 0, 0) and p_NAT = (4/5, 1/5) (logits ln 4, 0).
//   KL(p_neg ‖ p_NAT) = ½ ln(5/8) + ½ ln(5/2) = ½ ln(25/16) = ln(5/4)
//   KL(p_NAT ‖ p_neg) = ⅘ ln(8/5) + ⅕ ln(2/5) ≈ 0.19274 (the other order, which must not be used)
//   β = tanh(ln 5/4) = (5/4 − 4/5) / (5/4 + 4/5) = 9/41
//   a student q = (1/2, 1/2): −Σ p_NAT log q = ln 2, weighted by 0.5 + 9/41.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { addNat, natLayers, setNatStage } from '../../src/lib/nn/nat.js';
import { natTeacherLogits, negativeKl, nceBeta, nceKdLoss, nceLoss } from '../../src/lib/nn/nce.js';
import { at } from '../util/at.js';

const neg = () => tf.tensor3d([[[0, 0], [0, 0]]]); // [1, 2, 2]
const nat = () => tf.tensor3d([[[Math.log(4), 0], [Math.log(4), 0]]]);
const student = () => tf.tensor3d([[[1, 1], [3, 3]]]); // uniform at both positions

describe('NCE (wasm backend)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('uses KL(p_neg ‖ p_NAT), not the reverse', () => {
    const kl = negativeKl(neg(), nat()).dataSync();
    expect(kl[0]).toBeCloseTo(Math.log(5 / 4), 5);
    const reverse = 0.8 * Math.log(1.6) + 0.2 * Math.log(0.4);
    expect(Math.abs(at(kl, 0) - reverse)).toBeGreaterThan(0.02);
    expect(negativeKl(nat(), neg()).dataSync()[0]).toBeCloseTo(reverse, 5);
  });

  it('β = tanh(mean KL over the mask) = 9/41 here, and lies in [0, 1)', () => {
    expect(nceBeta(neg(), nat(), tf.tensor2d([[1, 1]])).dataSync()[0]).toBeCloseTo(9 / 41, 5);
    // A masked position does not count: make it far off and mask it out.
    const far = tf.tensor3d([[[0, 0], [-30, 30]]]); // p_neg = (0, 1) there: KL = ln 5
    expect(nceBeta(far, nat(), tf.tensor2d([[1, 0]])).dataSync()[0]).toBeCloseTo(9 / 41, 5);
    expect(nceBeta(far, nat(), tf.tensor2d([[1, 1]])).dataSync()[0]).toBeCloseTo(Math.tanh((Math.log(5 / 4) + Math.log(5)) / 2), 5);
    // (In float32, tanh rounds to exactly 1 once the mean KL passes about 9 nats.)
    const random = nceBeta(tf.randomNormal([4, 5, 7], 0, 2, 'float32', 1) as tf.Tensor3D, tf.randomNormal([4, 5, 7], 0, 2, 'float32', 2) as tf.Tensor3D, tf.ones([4, 5]) as tf.Tensor2D).dataSync();
    for (const b of random) {
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(1);
    }
    expect(nceBeta(nat(), nat(), tf.tensor2d([[1, 1]])).dataSync()[0]).toBeCloseTo(0, 5); // same model: no calibration
  });

  it('weighs the soft-label term by (offset + β), offset 0.5 by default', () => {
    const mask = tf.tensor2d([[1, 1]]);
    const beta = nceBeta(neg(), nat(), mask);
    expect(nceKdLoss(nat(), student(), mask, beta).dataSync()[0]).toBeCloseTo(Math.log(2) * (0.5 + 9 / 41), 5);
    expect(nceKdLoss(nat(), student(), mask, beta, { offset: 0 }).dataSync()[0]).toBeCloseTo(Math.log(2) * (9 / 41), 5);
    // Sequences are weighted one by one: a second with β = 0 contributes ln 2 · 0.5 per token.
    const two = nceKdLoss(tf.concat([nat(), nat()]) as tf.Tensor3D,
      tf.concat([student(), student()]) as tf.Tensor3D, tf.tensor2d([[1, 1], [1, 0]]), tf.tensor1d([9 / 41, 0]));
    expect(two.dataSync()[0]).toBeCloseTo((2 * Math.log(2) * (0.5 + 9 / 41) + Math.log(2) * 0.5) / 3, 5);
  });

  it('mixes the LM loss and the distillation term with λ = 0.5', () => {
    expect(nceLoss(tf.scalar(2), tf.scalar(4)).dataSync()[0]).toBe(3);
    expect(nceLoss(tf.scalar(2), tf.scalar(4), 0.25).dataSync()[0]).toBe(2.5);
  });

  it('names mismatched logits', () => {
    expect(() => negativeKl(neg(), tf.zeros([1, 2, 3]) as tf.Tensor3D)).toThrow(/one shape/);
  });

  it('takes p_NAT and p_neg from one NAT model: β = 0 until LoRA_neg has learnt something', () => {
    const model = new LlamaDecoder({ vocabSize: 24, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 16 }, 1);
    addNat(model, { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'], unitDim: 4, seed: 1 });
    setNatStage(model, 2);
    const inputIds = tf.tensor2d([[1, 4, 9, 2]], [1, 4], 'int32');
    const mask = tf.ones([1, 4]) as tf.Tensor2D;
    const fresh = natTeacherLogits(model, { inputIds });
    expect(nceBeta(fresh.neg, fresh.nat, mask).dataSync()[0]).toBeLessThan(1e-5); // B_neg = 0: both modes are the base model
    for (const [, d] of natLayers(model)) d.bNeg.assign(tf.randomNormal(d.bNeg.shape, 0, 1, 'float32', 7));
    const trained = natTeacherLogits(model, { inputIds });
    expect(nceBeta(trained.neg, trained.nat, mask).dataSync()[0]).toBeGreaterThan(1e-3);
    expect(natLayers(model)[0]?.[1].mode).toBe('mix');
    model.dispose();
  });
});
