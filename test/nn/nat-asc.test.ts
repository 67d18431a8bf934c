// ASC's ranking model: the residual ELU head on a hand-worked case, pooling over the rationale
// tokens only, scores in (0, 1), and the power ranking loss (p = 3; p = 2 is the squared error
// to the targets 1 and 0) on hand-computed values and as a training signal.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AscRanker, ResidualEluHead } from '../../src/lib/nn/asc.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { pointwiseLoss, powerRankingLoss } from '../../src/lib/nn/losses.js';
import { AdamW } from '../../src/lib/nn/train/adamw.js';
import { at } from '../util/at.js';

const elu = (z: number) => (z > 0 ? z : Math.exp(z) - 1);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('ASC ranking model (wasm backend)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('computes σ(wᵀh₂ + b) with h₁ = ELU(W₁h + b₁) + h, h₂ = ELU(W₂h₁ + b₂) + h₁', () => {
    const head = new ResidualEluHead(2);
    head.dense1.weight.assign(tf.tensor2d([[1, 0], [0, -2]])); // [out, in]
    head.dense1.bias!.assign(tf.tensor1d([0, 0.5]));
    head.dense2.weight.assign(tf.tensor2d([[0, 1], [1, 0]]));
    head.dense2.bias!.assign(tf.tensor1d([-1, 0]));
    head.out.weight.assign(tf.tensor2d([[0.5, -0.25]]));
    head.out.bias!.assign(tf.tensor1d([0.1]));
    // h = (1, 1): W₁h + b₁ = (1, −1.5) → h₁ = (1 + 1, e^−1.5 − 1 + 1) = (2, e^−1.5)
    const [h1a, h1b] = [elu(1) + 1, elu(-1.5) + 1];
    const [h2a, h2b] = [elu(h1b - 1) + h1a, elu(h1a) + h1b];
    const want = sigmoid(0.5 * h2a - 0.25 * h2b + 0.1);
    expect(head.forward(tf.tensor2d([[1, 1]])).dataSync()[0]).toBeCloseTo(want, 5);
    head.dispose();
  });

  it('pools over the rationale tokens only and scores in (0, 1)', () => {
    const ranker = new AscRanker({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 16,
      maxPositions: 12, hiddenDropout: 0, attentionDropout: 0 }, 1);
    const attentionMask = tf.tensor2d([[1, 1, 1, 1, 1, 0]], [1, 6], 'int32');
    const rationaleMask = tf.tensor2d([[0, 0, 0, 1, 1, 0]], [1, 6], 'int32');
    const a = at(ranker.forward({ inputIds: tf.tensor2d([[2, 3, 4, 7, 8, 0]], [1, 6], 'int32'), attentionMask, rationaleMask }).dataSync(), 0);
    // The same rationale tokens after another question: the pool differs only through attention.
    const pooledBy = (mask: number[]) =>
      tf.tidy(() => at(ranker.head.forward(tf.mean(ranker.encoder.forward({ inputIds: tf.tensor2d([[2, 3, 4, 7, 8, 0]], [1, 6], 'int32'), attentionMask }).hidden.slice([0, 3, 0], [1, mask.length, 8]), 1)).dataSync(), 0));
    expect(a).toBeCloseTo(pooledBy([1, 1]), 5);
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThan(1);
    ranker.dispose();
  });

  it('power loss: p = 3 by hand, p = 2 the squared error to targets 1 and 0', () => {
    const pos = tf.tensor1d([0.8, 0.6]);
    const neg = tf.tensor1d([0.3, 0.5]);
    // ((0.2³ + 0.3³) + (0.4³ + 0.5³)) / 2 = 0.112
    expect(powerRankingLoss(pos, neg).dataSync()[0]).toBeCloseTo(0.112, 6);
    // ((0.2² + 0.3²) + (0.4² + 0.5²)) / 2 = 0.27 = 2 × MSE over the four scores
    expect(powerRankingLoss(pos, neg, { power: 2 }).dataSync()[0]).toBeCloseTo(0.27, 6);
    const mse = pointwiseLoss(tf.concat([pos, neg]), tf.tensor1d([1, 1, 0, 0])).arraySync();
    expect(powerRankingLoss(pos, neg, { power: 2 }).dataSync()[0]).toBeCloseTo(2 * mse, 6);
  });

  it('learns to score a positive above a negative with the power loss', () => {
    const ranker = new AscRanker({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 16,
      maxPositions: 8, hiddenDropout: 0, attentionDropout: 0 }, 2);
    const batch = (rationale: number[]) => ({
      inputIds: tf.tensor2d([[2, 3, ...rationale]], [1, 2 + rationale.length], 'int32'),
      attentionMask: tf.ones([1, 2 + rationale.length], 'int32'),
      rationaleMask: tf.tensor2d([[0, 0, ...rationale.map(() => 1)]], [1, 2 + rationale.length], 'int32'),
    });
    const score = (r: number[]) => tf.tidy(() => at(ranker.forward(batch(r)).dataSync(), 0));
    const loss = () => powerRankingLoss(ranker.forward(batch([10, 11, 12])), ranker.forward(batch([13, 14, 15])));
    const opt = new AdamW(ranker.parameters(), { lr: 1e-2 });
    const first = tf.tidy(() => loss().arraySync());
    for (let i = 0; i < 30; i++) {
      const { grads, value } = tf.variableGrads(loss);
      opt.step(new Map([...ranker.parameters()].map(([n, v]) => [n, grads[v.name]!]))); // one per parameter
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.tidy(() => loss().dataSync()[0])).toBeLessThan(first / 2);
    expect(score([10, 11, 12])).toBeGreaterThan(score([13, 14, 15]));
    ranker.dispose();
  });
});
