import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { infoNce } from '../../src/lib/nn/losses.js';
import { CrossBatchMemory, checkRankOrder, contrastiveLoss, weightedContrastiveLoss } from '../../src/lib/negatives/losses.js';

beforeAll(async () => {
  await initBackend();
});

const value = (t: tf.Scalar) => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

describe('weighted contrastive loss (LLM-Embedder soft labels, rank masking)', () => {
  it('matches a hand-computed value', () => {
    // One query, group [p, n1, n2] with scores s = [1, 0, −1] (τ = 1) and weights [0.5, 0.3, 0.2]:
    //   member 1: −log e¹/(e¹+e⁰+e⁻¹)  = log(1 + e⁻¹ + e⁻²) = 0.407606
    //   member 2: −log e⁰/(e⁰+e⁻¹)     (member 1 masked)    = log(1 + e⁻¹)       = 0.313262
    //   member 3: −log e⁻¹/e⁻¹          (members 1, 2 masked) = 0
    //   L = 0.5·0.407606 + 0.3·0.313262 = 0.297782
    const q = tf.tensor2d([[1, 0]]);
    const k = tf.tensor2d([[1, 0], [0, 1], [-1, 0]]);
    const w = tf.tensor2d([[0.5, 0.3, 0.2]]);
    expect(value(weightedContrastiveLoss(q, k, w, { temperature: 1 }))).toBeCloseTo(0.297782, 5);
  });

  it('with one-hot weights equals in-batch InfoNCE', () => {
    const q = tf.tensor2d([[0.3, -0.2, 0.9], [0.5, 0.1, -0.4]]);
    const k = tf.tensor2d([[0.2, 0.1, 0.7], [-0.6, 0.3, 0.1], [0.4, 0.4, -0.2], [0.1, -0.9, 0.3]]);
    const oneHot = tf.tensor2d([[1, 0], [1, 0]]);
    expect(value(weightedContrastiveLoss(q, k, oneHot, { temperature: 0.1 }))).toBeCloseTo(value(infoNce(q, k, { temperature: 0.1 })), 5);
  });

  it('checks that the negatives of each group are sorted by teacher score', () => {
    expect(() => checkRankOrder([[0, -1, -2], [5, -3, -1]])).toThrow(/group 1: member 2 scores -1 above member 1 \(-3\)/);
    expect(() => checkRankOrder([[-5, -1, -2]])).not.toThrow(); // the positive stays first whatever its score
  });
});

describe('in-batch negatives as a loss option', () => {
  // Two queries with one key each (G = 1): q1 = k1 = [1, 0], q2 = k2 = [0, 1], τ = 1.
  const q = tf.tensor2d([[1, 0], [0, 1]]);
  const k = tf.tensor2d([[1, 0], [0, 1]]);

  it('counts the other queries\' keys as negatives (hand-computed), the group scope does not', () => {
    // Each query: −log e¹/(e¹ + e⁰) = log(1 + e⁻¹) = 0.313262.
    expect(value(contrastiveLoss(q, k, { temperature: 1, negatives: 'in-batch' }))).toBeCloseTo(0.313262, 5);
    // A group of one key: the softmax over it is 1.
    expect(value(contrastiveLoss(q, k, { temperature: 1, negatives: 'group' }))).toBeCloseTo(0, 6);
  });

  it('adds a cross-batch memory to the denominator, keeping the newest keys', () => {
    const memory = new CrossBatchMemory(1);
    memory.push(tf.tensor2d([[5, 5]]));
    memory.push(tf.tensor2d([[0, 0]])); // capacity 1: only [0, 0] stays
    expect(memory.size).toBe(1);
    expect(Array.from(memory.keys()!.dataSync())).toEqual([0, 0]);
    // Each query: −log e¹/(e¹ + e⁰ + e⁰) = log(1 + 2e⁻¹) = 0.551444.
    expect(value(contrastiveLoss(q, k, { temperature: 1, memory }))).toBeCloseTo(0.551444, 5);
    expect(() => contrastiveLoss(q, k, { temperature: 1, negatives: 'group', memory })).toThrow(/use negatives: in-batch/);
    memory.dispose();
  });
});
