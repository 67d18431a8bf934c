// The NT, UL and CL losses on hand-computed cases. Logits [0, ln 3] at a position give
// p = (1/4, 3/4); the mask drops the question's tokens.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import {
  contrastiveMarginLoss,
  meanSequenceLogProb,
  negativeTrainingLoss,
  targetLogProbs,
  unlikelihoodLoss,
} from '../../src/lib/reasoning/negative-losses.js';

beforeAll(async () => void (await initBackend()));

const ln3 = Math.log(3);
// Two rows, three positions, V = 2: every position predicts p = (1/4, 3/4) for the next token.
const logits = () => tf.tensor3d([[[0, ln3], [0, ln3], [0, ln3]], [[0, ln3], [0, ln3], [0, ln3]]]);
const ids = () => tf.tensor2d([[0, 1, 0], [0, 0, 1]], [2, 3], 'int32'); // targets: row 0 → 1, 0; row 1 → 0, 1
const value = (s: tf.Scalar | tf.Tensor) => Array.from(s.dataSync());

describe('log-probabilities of the target tokens', () => {
  it('shift by one: position t predicts token t + 1', () => {
    const lp = value(targetLogProbs(logits(), ids()));
    expect(lp[0]).toBeCloseTo(Math.log(0.75), 6);
    expect(lp[1]).toBeCloseTo(Math.log(0.25), 6);
    expect(lp[2]).toBeCloseTo(Math.log(0.25), 6);
    expect(lp[3]).toBeCloseTo(Math.log(0.75), 6);
  });

  it('the sequence mean counts only masked targets (the first token is never a target)', () => {
    const mask = tf.tensor2d([[1, 1, 0], [0, 0, 1]], [2, 3]); // row 0: target 1 only; row 1: target 2 only
    const m = value(meanSequenceLogProb(logits(), ids(), mask));
    expect(m[0]).toBeCloseTo(Math.log(0.75), 6);
    expect(m[1]).toBeCloseTo(Math.log(0.75), 6);
  });
});

describe('NT: negative training', () => {
  it('is the mean log-likelihood of the masked negative tokens', () => {
    const mask = tf.tensor2d([[1, 1, 1], [1, 1, 0]], [2, 3]); // targets 0.75, 0.25, 0.25 (the last of row 1 dropped)
    const expected = (Math.log(0.75) + 2 * Math.log(0.25)) / 3;
    expect(value(negativeTrainingLoss(logits(), ids(), mask, 1e-9))[0]).toBeCloseTo(expected, 6);
  });

  it('floors each token at log(floor), so the term is bounded', () => {
    const mask = tf.tensor2d([[1, 1, 1], [1, 1, 1]], [2, 3]);
    const expected = (2 * Math.log(0.75) + 2 * Math.log(0.5)) / 4; // 0.25 floored at 0.5
    expect(value(negativeTrainingLoss(logits(), ids(), mask, 0.5))[0]).toBeCloseTo(expected, 6);
  });

  it('its gradient lowers the negative token’s logit', () => {
    const x = tf.variable(tf.tensor3d([[[0, ln3], [0, 0]]]));
    const g = tf.grad((l: tf.Tensor) => negativeTrainingLoss(l as tf.Tensor3D, tf.tensor2d([[0, 1]], [1, 2], 'int32'), tf.tensor2d([[1, 1]], [1, 2]), 1e-9))(x);
    const d = value(g);
    expect(d[1]).toBeGreaterThan(0); // descent lowers the logit of token 1, the negative's
    expect(d[0]).toBeLessThan(0);
  });
});

describe('UL: unlikelihood', () => {
  it('is −mean log(1 − p) over the masked negative tokens', () => {
    const mask = tf.tensor2d([[1, 1, 0], [0, 0, 0]], [2, 3]); // one target, p = 3/4
    expect(value(unlikelihoodLoss(logits(), ids(), mask))[0]).toBeCloseTo(Math.log(4), 6);
    const both = tf.tensor2d([[1, 1, 1], [0, 0, 0]], [2, 3]); // p = 3/4 and 1/4
    expect(value(unlikelihoodLoss(logits(), ids(), both))[0]).toBeCloseTo((Math.log(4) - Math.log(0.75)) / 2, 6);
  });
});

describe('CL: sequence-level contrastive margin', () => {
  // Positive: one target with p = 3/4; negative: one target with p = 1/4; gap = ln 3 ≈ 1.0986.
  const pos = () => [tf.tensor3d([[[0, ln3], [0, 0]]]), tf.tensor2d([[0, 1]], [1, 2], 'int32'), tf.tensor2d([[1, 1]], [1, 2])] as const;
  const neg = () => [tf.tensor3d([[[0, ln3], [0, 0]]]), tf.tensor2d([[0, 0]], [1, 2], 'int32'), tf.tensor2d([[1, 1]], [1, 2])] as const;

  it('is zero once the positive beats the negative by the margin', () => {
    expect(value(contrastiveMarginLoss(...pos(), ...neg(), 1))[0]).toBeCloseTo(0, 6);
  });

  it('is margin − gap below it', () => {
    expect(value(contrastiveMarginLoss(...pos(), ...neg(), 2))[0]).toBeCloseTo(2 - ln3, 6);
  });

  it('averages over pairs; a pair whose negative is likelier pays more than the margin', () => {
    const p2 = tf.tensor3d([[[0, ln3], [0, 0]], [[0, ln3], [0, 0]]]);
    const posIds = tf.tensor2d([[0, 1], [0, 0]], [2, 2], 'int32'); // pair 1 positive: p 3/4; pair 2: p 1/4
    const negIds = tf.tensor2d([[0, 0], [0, 1]], [2, 2], 'int32'); // pair 1 negative: p 1/4; pair 2: p 3/4
    const m = tf.ones([2, 2]) as tf.Tensor2D;
    expect(value(contrastiveMarginLoss(p2, posIds, m, p2, negIds, m, 1))[0]).toBeCloseTo((0 + (1 + ln3)) / 2, 6);
  });
});
