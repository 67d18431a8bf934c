// The hand-written gradients (embedding scatter-add, matmul, GELU) on the wasm backend, against
// finite differences and against tfjs's own gradients on the cpu backend; norms and activations
// against their definitions.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { activation, gelu, geluTanh } from '../../src/lib/nn/layers/activations.js';
import { lookup } from '../../src/lib/nn/layers/embedding.js';
import { linearTransposed, matmul, matmulBias, matmulLast } from '../../src/lib/nn/layers/matmul.js';
import { LayerNorm, RMSNorm } from '../../src/lib/nn/layers/norm.js';
import { at } from '../util/at.js';

/** Central differences of a scalar function of one tensor, at every element. */
function numericGrad(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2): Float32Array {
  const base = x.dataSync().slice();
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const valueAt = (d: number) =>
      tf.tidy(() => {
        const v = base.slice();
        v[i] = at(v, i) + d;
        return f(tf.tensor(v, x.shape)).arraySync();
      });
    out[i] = (valueAt(eps) - valueAt(-eps)) / (2 * eps);
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(at(a, i) - at(b, i)));
  return m;
}

describe('custom layers (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
  });

  it('embedding gradient: a scatter-add over repeated ids (ScatterNd, not UnsortedSegmentSum)', () => {
    const table = tf.randomNormal([6, 3], 0, 1, 'float32', 1);
    const ids = tf.tensor1d([4, 1, 4, 0, 4], 'int32');
    const probe = tf.randomNormal([5, 3], 0, 1, 'float32', 2);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.sin(lookup(t, ids)), probe)) as tf.Scalar;
    const analytic = tf.grad(f)(table);
    expect(maxDiff(analytic.dataSync(), numericGrad(f, table))).toBeLessThan(2e-3);
    // Rows never looked up get exactly zero; row 4 sums three contributions.
    const g = analytic.arraySync() as number[][];
    expect(g[2]).toEqual([0, 0, 0]);
    expect(g[5]).toEqual([0, 0, 0]);
    expect(lookup(table, ids).arraySync()).toEqual(tf.gather(table, ids).arraySync());
  });

  it('embedding gradient equals tfjs gather gradient on the cpu backend', async () => {
    const tableValues = Array.from({ length: 8 * 4 }, (_, i) => Math.sin(i));
    const idValues = [7, 2, 2, 5, 0, 7, 7];
    const dyValues = Array.from({ length: idValues.length * 4 }, (_, i) => Math.cos(i));
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(lookup(t, tf.tensor1d(idValues, 'int32')), tf.tensor2d(dyValues, [7, 4]))))(
      tf.tensor2d(tableValues, [8, 4]),
    ).dataSync().slice();
    await tf.setBackend('cpu');
    try {
      const reference = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(idValues, 'int32')), tf.tensor2d(dyValues, [7, 4]))))(
        tf.tensor2d(tableValues, [8, 4]),
      ).dataSync();
      expect(maxDiff(ours, reference)).toBeLessThan(1e-6);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('matmul gradient (explicit transposes) matches finite differences and tf.matMul', () => {
    const a = tf.randomNormal([4, 3], 0, 1, 'float32', 3);
    const b = tf.randomNormal([3, 5], 0, 1, 'float32', 4);
    const probe = tf.randomNormal([4, 5], 0, 1, 'float32', 5);
    const ours = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.tanh(matmul(x as tf.Tensor2D, y as tf.Tensor2D)), probe)) as tf.Scalar;
    const theirs = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.tanh(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)), probe)) as tf.Scalar;
    const [ga, gb] = tf.grads(ours)([a, b]) as [tf.Tensor, tf.Tensor]; // one per input
    const [ta, tb] = tf.grads(theirs)([a, b]) as [tf.Tensor, tf.Tensor];
    expect(maxDiff(ga.dataSync(), ta.dataSync())).toBeLessThan(1e-5);
    expect(maxDiff(gb.dataSync(), tb.dataSync())).toBeLessThan(1e-5);
    expect(maxDiff(ga.dataSync(), numericGrad((x) => ours(x, b), a))).toBeLessThan(2e-3);
    expect(maxDiff(gb.dataSync(), numericGrad((y) => ours(a, y), b))).toBeLessThan(2e-3);
    // Rank 3 × rank 2 flattens the leading axes.
    const x3 = tf.randomNormal([2, 2, 3], 0, 1, 'float32', 6);
    expect(maxDiff(matmulLast(x3, b as tf.Tensor2D).dataSync(), tf.matMul(x3.reshape([4, 3]), b).dataSync())).toBeLessThan(1e-6);
    expect(matmulLast(x3, b as tf.Tensor2D).shape).toEqual([2, 2, 5]);
  });

  it('x·Wᵀ + b for [out, in] weights and x·W + b: gradients match tfjs autodiff and finite differences', () => {
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 7);
    const w = tf.randomNormal([5, 3], 0, 1, 'float32', 8); // [out, in]
    const bias = tf.randomNormal([5], 0, 1, 'float32', 9);
    const probe = tf.randomNormal([4, 5], 0, 1, 'float32', 10);
    const read = (y: tf.Tensor) => tf.sum(tf.mul(tf.tanh(y), probe)) as tf.Scalar;
    const ours = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => read(linearTransposed(a as tf.Tensor2D, b as tf.Tensor2D, c));
    const theirs = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => read(tf.add(tf.matMul(a, b, false, true), c));
    const g = tf.grads(ours)([x, w, bias]);
    const t = tf.grads(theirs)([x, w, bias]);
    for (let i = 0; i < 3; i++) expect(maxDiff(at(g, i).dataSync(), at(t, i).dataSync())).toBeLessThan(1e-5);
    expect(maxDiff(at(g, 1).dataSync(), numericGrad((b) => ours(x, b, bias), w))).toBeLessThan(2e-3);
    expect(maxDiff(linearTransposed(x as tf.Tensor2D, w as tf.Tensor2D).dataSync(), tf.matMul(x, w, false, true).dataSync())).toBeLessThan(1e-6);
    const wInOut = tf.transpose(w);
    const gb = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => read(matmulBias(a as tf.Tensor2D, b as tf.Tensor2D, c)))([x, wInOut, bias]);
    const tb = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => read(tf.add(tf.matMul(a, b), c)))([x, wInOut, bias]);
    for (let i = 0; i < 3; i++) expect(maxDiff(at(gb, i).dataSync(), at(tb, i).dataSync())).toBeLessThan(1e-5);
  });

  it('GELU: exact values, and its custom gradient matches finite differences', () => {
    const x = tf.tensor1d([-3, -1, -0.5, 0, 0.3, 1, 2.5]);
    const want = [-3, -1, -0.5, 0, 0.3, 1, 2.5].map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    expect(maxDiff(gelu(x).dataSync(), want)).toBeLessThan(1e-5);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(gelu(t), tf.range(1, 8))) as tf.Scalar;
    expect(maxDiff(tf.grad(f)(x).dataSync(), numericGrad(f, x, 1e-2))).toBeLessThan(3e-3);
    const tanhWant = [-3, -1, -0.5, 0, 0.3, 1, 2.5].map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    expect(maxDiff(geluTanh(x).dataSync(), tanhWant)).toBeLessThan(1e-5);
    expect(() => activation('mish')).toThrow(/unknown activation "mish"/);
  });

  it('LayerNorm and RMSNorm follow their definitions', () => {
    const x = tf.tensor2d([[1, 2, 3, 6], [-1, 0, 0, 5]]);
    const ln = new LayerNorm(4, 1e-5);
    const rows = x.arraySync() as number[][];
    const lnWant = rows.flatMap((r) => {
      const m = r.reduce((s, v) => s + v, 0) / 4;
      const v = r.reduce((s, u) => s + (u - m) ** 2, 0) / 4;
      return r.map((u) => (u - m) / Math.sqrt(v + 1e-5));
    });
    expect(maxDiff(ln.forward(x).dataSync(), lnWant)).toBeLessThan(1e-5);
    const rms = new RMSNorm(4, 1e-6);
    const rmsWant = rows.flatMap((r) => {
      const ms = r.reduce((s, v) => s + v * v, 0) / 4;
      return r.map((u) => u / Math.sqrt(ms + 1e-6));
    });
    expect(maxDiff(rms.forward(x).dataSync(), rmsWant)).toBeLessThan(1e-5);
    ln.dispose();
    rms.dispose();
  });
});

/** Abramowitz–Stegun 7.1.26 is too coarse here; a series/continued-fraction erf good to 1e-9. */
function erf(x: number): number {
  const sign = Math.sign(x);
  const a = Math.abs(x);
  if (a < 3) {
    let sum = 0;
    let term = a;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= (-a * a) / (n + 1);
    }
    return (sign * 2 * sum) / Math.sqrt(Math.PI);
  }
  return sign * (1 - Math.exp(-a * a) / (a * Math.sqrt(Math.PI)) * (1 - 1 / (2 * a * a)));
}
