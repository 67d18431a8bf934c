// Every kernel registered in src/lib/nn/kernels matches the stock tfjs computation (forward and
// gradient) on random inputs, on each backend it is registered for.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { adamwUpdate, gelu, layerNorm, type AdamWHyper } from '../../src/lib/nn/kernels/ops.js';
import { registerWasmSegmentSum } from '../../src/lib/nn/kernels/wasm-segment-sum.js';
import { registerBlasBackend } from '../../src/lib/nn/kernels/blas-backend.js';
import { at } from '../util/at.js';

const require = createRequire(import.meta.url);

/** Runs f on `backend` and returns plain arrays, so results compare across backends. */
async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  await tf.ready();
  return f();
}
const arr = (t: tf.Tensor) => Array.from(t.dataSync());

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - at(b, i))), 0);
}

function stockLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(variance.add(eps).rsqrt()).mul(g).add(b);
}
const stockGelu = (x: tf.Tensor) => x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);

beforeAll(() => {
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  registerWasmSegmentSum();
});

const blas = registerBlasBackend();
const hostBackends = ['cpu', 'wasm', ...(blas.ok ? ['blas'] : [])];

describe.each(hostBackends)('fused ops on %s', (backend) => {
  it('layerNorm matches the composed form, forward and gradients', async () => {
    const r = await on(backend, () => tf.tidy(() => {
      const x = tf.randomNormal([6, 16], 0.5, 2, 'float32', 1);
      const g = tf.randomNormal([16], 1, 0.3, 'float32', 2);
      const b = tf.randomNormal([16], 0, 0.3, 'float32', 3);
      const dy = tf.randomNormal([6, 16], 0, 1, 'float32', 4);
      const loss = (f: typeof stockLayerNorm) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => f(xx, gg, bb, 1e-5).mul(dy).sum();
      const ours = tf.grads(loss((xx, gg, bb, e) => layerNorm(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, e)))([x, g, b]);
      const stock = tf.grads(loss(stockLayerNorm))([x, g, b]);
      return {
        y: [arr(layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5)), arr(stockLayerNorm(x, g, b, 1e-5))] as const,
        grads: ours.map((t, i) => [arr(t), arr(at(stock, i))] as const),
      };
    }));
    expect(maxAbsDiff(r.y[0], r.y[1])).toBeLessThan(1e-5);
    for (const [o, s] of r.grads) expect(maxAbsDiff(o, s)).toBeLessThan(1e-4);
  });

  it('gelu matches x·Φ(x) from tf.erf, forward and gradient', async () => {
    const r = await on(backend, () => tf.tidy(() => {
      const x = tf.randomNormal([4, 33], 0, 3, 'float32', 5);
      const dy = tf.randomNormal([4, 33], 0, 1, 'float32', 6);
      const gOurs = tf.grad((xx: tf.Tensor) => gelu(xx).mul(dy).sum())(x);
      const gStock = tf.grad((xx: tf.Tensor) => stockGelu(xx).mul(dy).sum())(x);
      return { y: [arr(gelu(x)), arr(stockGelu(x))] as const, g: [arr(gOurs), arr(gStock)] as const };
    }));
    expect(maxAbsDiff(r.y[0], r.y[1])).toBeLessThan(1e-5);
    expect(maxAbsDiff(r.g[0], r.g[1])).toBeLessThan(1e-4);
  });

  it('adamwUpdate matches the composed AdamW step', async () => {
    const r = await on(backend, () => tf.tidy(() => {
      const normal = (seed: number) => tf.randomNormal([5, 7], 0, 1, 'float32', seed);
      const [p, g, m] = [normal(41), normal(42), normal(43)];
      const v = tf.randomUniform([5, 7], 0, 2, 'float32', 44);
      const h: AdamWHyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, decay: 1 - 1e-3 * 0.01,
        stepSize: 1e-3 / (1 - 0.9 ** 3), bc2Sqrt: Math.sqrt(1 - 0.999 ** 3) };
      const ours = adamwUpdate(p, g, m, v, h);
      const m2 = m.mul(h.beta1).add(g.mul(1 - h.beta1));
      const v2 = v.mul(h.beta2).add(g.mul(g).mul(1 - h.beta2));
      const p2 = p.mul(h.decay).sub(m2.div(v2.sqrt().div(h.bc2Sqrt).add(h.eps)).mul(h.stepSize));
      return [[arr(ours.param), arr(p2)], [arr(ours.m), arr(m2)], [arr(ours.v), arr(v2)]] as const;
    }));
    for (const [o, s] of r) expect(maxAbsDiff(o, s)).toBeLessThan(1e-6);
  });

  it('leaves no tensors behind', async () => {
    await on(backend, () => {
      const x = tf.randomNormal([3, 8]);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        tf.grad((xx: tf.Tensor) => gelu(layerNorm(xx, tf.ones([8]) as tf.Tensor1D, tf.zeros([8]) as tf.Tensor1D, 1e-5)).sum())(x);
      });
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  });
});

describe('UnsortedSegmentSum on wasm and blas (embedding gradient)', () => {
  it('sums rows like the cpu kernel, duplicates included, and gives gather a gradient', async () => {
    const ids = [3, 0, 3, 7, 1, 3];
    const run = () => tf.tidy(() => {
      const x = tf.randomNormal([6, 5], 0, 1, 'float32', 7);
      const seg = arr(tf.unsortedSegmentSum(x, tf.tensor1d(ids, 'int32'), 9));
      const table = tf.randomNormal([9, 5], 0, 1, 'float32', 8);
      const g = arr(tf.grad((t: tf.Tensor) => tf.gather(t, tf.tensor1d(ids, 'int32')).mul(x).sum())(table));
      return { seg, g };
    });
    const cpu = await on('cpu', run);
    for (const backend of ['wasm', 'blas']) {
      const ours = await on(backend, run);
      expect(maxAbsDiff(ours.seg, cpu.seg)).toBeLessThan(1e-6);
      expect(maxAbsDiff(ours.g, cpu.g)).toBeLessThan(1e-6);
      expect(ours.g.slice(2 * 5, 3 * 5)).toEqual([0, 0, 0, 0, 0]); // id 2 never gathered
    }
  });
});

describe('blas backend', () => {
  it('is available on this machine (libopenblas-dev and a C compiler at npm install)', () => {
    // CI installs libopenblas-dev; a missing addon there is a build problem, not a skip.
    expect(blas).toEqual({ ok: true });
  });

  // [name, a shape, b shape, transposeA, transposeB, compare gradients]. tfjs 4.22's BatchMatMul
  // gradient does not reduce broadcast batch axes (it fails on every backend), so broadcasting
  // cases compare the forward pass only.
  const cases: [string, number[], number[], boolean, boolean, boolean][] = [
    ['2-D', [7, 5], [5, 3], false, false, true],
    ['2-D, both transposed', [5, 7], [3, 5], true, true, true],
    ['batched rank 4', [2, 3, 4, 6], [2, 3, 6, 5], false, false, true],
    ['batched, b transposed (attention scores)', [6, 4, 8], [6, 4, 8], false, true, true],
    ['batched, a transposed', [6, 8, 4], [6, 8, 3], true, false, true],
    ['a batched, b broadcast', [3, 4, 6], [6, 2], false, false, false],
    ['a broadcast, b batched', [4, 6], [3, 6, 2], false, false, false],
    ['partial broadcast (stock path)', [2, 1, 4, 6], [1, 3, 6, 2], false, false, false],
  ];
  it.each(cases)('matMul %s equals cpu', async (_name, sa, sb, ta, tb, withGrads) => {
    const run = () => tf.tidy(() => {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 11);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 12);
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb);
      const y = f(a, b);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 13);
      if (!withGrads) return { shape: y.shape, y: arr(y), ga: [], gb: [] };
      const [ga, gb] = tf.grads((x: tf.Tensor, yy: tf.Tensor) => f(x, yy).mul(dy).sum())([a, b]) as [tf.Tensor, tf.Tensor]; // one per input
      return { shape: y.shape, y: arr(y), ga: arr(ga), gb: arr(gb) };
    });
    const ours = await on('blas', run);
    const cpu = await on('cpu', run);
    expect(ours.shape).toEqual(cpu.shape);
    for (const k of ['y', 'ga', 'gb'] as const) expect(maxAbsDiff(ours[k], cpu[k])).toBeLessThan(1e-4);
  });

  it('fused matMul with bias and relu equals cpu; other activations use the stock kernel', async () => {
    const run = () => tf.tidy(() => {
      const a = tf.randomNormal([9, 6], 0, 1, 'float32', 21);
      const b = tf.randomNormal([6, 4], 0, 1, 'float32', 22);
      const bias = tf.randomNormal([4], 0, 1, 'float32', 23);
      return ['linear', 'relu', 'elu'].map((activation) =>
        arr(tf.fused.matMul({ a, b, bias, activation: activation as 'relu' })));
    });
    const ours = await on('blas', run);
    const cpu = await on('cpu', run);
    ours.forEach((o, i) => expect(maxAbsDiff(o, at(cpu, i))).toBeLessThan(1e-5));
  });

  it('broadcasting add, sub, mul and div equal cpu, gradients included', async () => {
    const pairs: [number[], number[]][] = [[[4, 6], [4, 6]], [[4, 6], [6]], [[2, 3, 4, 5], [2, 1, 1, 5]],
      [[2, 1, 4, 1], [3, 1, 5]], [[3], [2, 1]], [[2, 3], [1]], [[1], [2, 3]]];
    const run = () => tf.tidy(() => pairs.map(([sa, sb], c) => {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 50 + c);
      const b = tf.randomUniform(sb, 0.5, 2, 'float32', 60 + c);
      return [tf.add, tf.sub, tf.mul, tf.div].flatMap((op) => {
        const f = (x: tf.Tensor, y: tf.Tensor) => op(x, y).sum();
        const [ga, gb] = tf.grads(f)([a, b]) as [tf.Tensor, tf.Tensor]; // one per input
        return [arr(op(a, b)), arr(ga), arr(gb)];
      });
    }));
    const ours = await on('blas', run);
    const cpu = await on('cpu', run);
    ours.forEach((rows, c) => rows.forEach((o, k) => expect(maxAbsDiff(o, at(at(cpu, c), k))).toBeLessThan(1e-5)));
    // int32 inputs go to the stock kernels
    const ints = await on('blas', () => tf.tidy(() => arr(tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor2d([[10], [20]], [2, 1], 'int32')))));
    expect(ints).toEqual([11, 12, 21, 22]);
  });

  it('sum over any axes and row gathers equal cpu, gradients included', async () => {
    const run = () => tf.tidy(() => {
      const x = tf.randomNormal([3, 4, 5], 0, 1, 'float32', 70);
      const sums = [0, 1, 2, -1, [0, 1], [1, 2], [0, 2], [0, 1, 2]].flatMap((axis) => [arr(tf.sum(x, axis)), arr(tf.sum(x, axis, true))]);
      const ids = tf.tensor2d([[2, 0], [2, 1]], [2, 2], 'int32');
      const table = tf.randomNormal([3, 5], 0, 1, 'float32', 71);
      const g = tf.grad((t: tf.Tensor) => tf.gather(t, ids).square().sum())(table);
      return { sums, gathered: arr(tf.gather(table, ids)), shape: tf.gather(table, ids).shape, g: arr(g), cols: arr(tf.gather(table, [4, 0], 1)) };
    });
    const ours = await on('blas', run);
    const cpu = await on('cpu', run);
    ours.sums.forEach((o, k) => expect(maxAbsDiff(o, at(cpu.sums, k))).toBeLessThan(1e-5));
    expect(ours.gathered).toEqual(cpu.gathered);
    expect(ours.shape).toEqual([2, 2, 5]);
    expect(maxAbsDiff(ours.g, cpu.g)).toBeLessThan(1e-6);
    expect(ours.cols).toEqual(cpu.cols);
  });

  it('softmax and transpose equal cpu (float and int inputs)', async () => {
    const run = () => tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4, 5], 0, 3, 'float32', 31);
      const i = tf.range(0, 120, 1, 'int32').reshape([2, 3, 4, 5]);
      const dy = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 32);
      return {
        sm: arr(tf.softmax(x)),
        smGrad: arr(tf.grad((xx: tf.Tensor) => tf.softmax(xx).mul(dy).sum())(x)),
        t: [[0, 2, 1, 3], [3, 1, 0, 2], [1, 0, 2, 3], [0, 1, 3, 2]].map((p) => arr(x.transpose(p))),
        ti: arr(i.transpose([2, 0, 3, 1])),
      };
    });
    const ours = await on('blas', run);
    const cpu = await on('cpu', run);
    expect(maxAbsDiff(ours.sm, cpu.sm)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ours.smGrad, cpu.smGrad)).toBeLessThan(1e-5);
    ours.t.forEach((t, k) => expect(t).toEqual(cpu.t[k]));
    expect(ours.ti).toEqual(cpu.ti);
  });
});
