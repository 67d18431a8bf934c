// The dense-layer products of src/lib/nn/layers/matmul.ts. On the OpenBLAS path (the addon's
// matmuls registered on wasm) transposes are sgemm flags, so a step makes no transposed copy
// and a bias's gradient is one column-sum kernel; on tfjs-wasm's own kernels transposes stay
// explicit. Both give what the stock ops give (matMul, transpose, add, tf.grads on the stock
// wasm kernels), values and gradients, and leave no tensors behind.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearTransposed, matmul, matmulBias, matmulLast } from '../../src/lib/nn/layers/matmul.js';
import { registerWasmBlasMatMul, transposesAreFlags, unregisterWasmBlasMatMul } from '../../src/lib/nn/kernels/wasm-blas-matmul.js';
import { registerBlasBackend } from '../../src/lib/nn/kernels/blas-backend.js';
import { at } from '../util/at.js';

const arr = (t: tf.Tensor) => Array.from(t.dataSync());

/** Largest |a − b| relative to the largest |b|. */
function relDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1, ...b.map(Math.abs));
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - at(b, i))), 0) / scale;
}

beforeAll(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});
afterAll(() => unregisterWasmBlasMatMul());

type Inputs = tf.Tensor[];
interface Layer {
  name: string;
  /** Input shapes: x-like first, then the weight, then the bias if any. */
  shapes: number[][];
  ours: (...t: tf.Tensor[]) => tf.Tensor;
  /** The same function from stock ops, differentiated by tfjs. */
  stock: (...t: tf.Tensor[]) => tf.Tensor;
}

const [n, k, m] = [13, 9, 7];
const layers: Layer[] = [
  { name: 'matmul', shapes: [[n, k], [k, m]], ours: (a, b) => matmul(a as tf.Tensor2D, b as tf.Tensor2D), stock: (a, b) => tf.matMul(a, b) },
  {
    name: 'matmulBias', shapes: [[n, k], [k, m], [m]],
    ours: (a, b, c) => matmulBias(a as tf.Tensor2D, b as tf.Tensor2D, c), stock: (a, b, c) => tf.add(tf.matMul(a, b), c),
  },
  {
    name: 'linearTransposed', shapes: [[n, k], [m, k]],
    ours: (x, w) => linearTransposed(x as tf.Tensor2D, w as tf.Tensor2D), stock: (x, w) => tf.matMul(x, tf.transpose(w)),
  },
  {
    name: 'linearTransposed with bias', shapes: [[n, k], [m, k], [m]],
    ours: (x, w, c) => linearTransposed(x as tf.Tensor2D, w as tf.Tensor2D, c), stock: (x, w, c) => tf.add(tf.matMul(x, tf.transpose(w)), c),
  },
  {
    name: 'matmulLast on a batch', shapes: [[2, 3, k], [k, m]],
    ours: (x, w) => matmulLast(x, w as tf.Tensor2D), stock: (x, w) => tf.matMul(x.reshape([6, k]), w).reshape([2, 3, m]),
  },
];

/** y and the gradients of Σ y·dy with respect to every input, for fixed seeded inputs. */
function valueAndGrads(f: (...t: tf.Tensor[]) => tf.Tensor, shapes: number[][]): { y: number[]; grads: number[][] } {
  return tf.tidy(() => {
    const inputs: Inputs = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 40 + i));
    const y = f(...inputs);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 90);
    const grads = tf.grads((...t: tf.Tensor[]) => f(...t).mul(dy).sum())(inputs);
    return { y: arr(y), grads: grads.map(arr) };
  });
}

/** The kernels one forward and backward pass runs, by name. */
async function kernelsOf(f: (...t: tf.Tensor[]) => tf.Tensor, shapes: number[][]): Promise<string[]> {
  const info = await tf.profile(() => { valueAndGrads(f, shapes); });
  return info.kernels.map((e) => e.name);
}

describe('dense-layer products', () => {
  describe.each(layers)('$name', (layer) => {
    it('equals the stock ops on tfjs-wasm, values and gradients, through OpenBLAS and through wasm', () => {
      unregisterWasmBlasMatMul();
      const reference = valueAndGrads(layer.stock, layer.shapes);
      const wasmOwn = valueAndGrads(layer.ours, layer.shapes);
      expect(registerWasmBlasMatMul()).toEqual({ ok: true });
      const blas = valueAndGrads(layer.ours, layer.shapes);
      for (const got of [wasmOwn, blas]) {
        expect(relDiff(got.y, reference.y)).toBeLessThan(1e-5);
        expect(got.grads.length).toBe(layer.shapes.length);
        got.grads.forEach((g, i) => expect(relDiff(g, at(reference.grads, i))).toBeLessThan(1e-5));
      }
    });

    it('makes no transposed copy on the OpenBLAS path, and makes them on tfjs-wasm\'s own kernels', async () => {
      expect(registerWasmBlasMatMul()).toEqual({ ok: true });
      expect(transposesAreFlags()).toBe(true);
      const blas = await kernelsOf(layer.ours, layer.shapes);
      expect(blas.filter((name) => name === 'Transpose')).toEqual([]);
      unregisterWasmBlasMatMul();
      expect(transposesAreFlags()).toBe(false);
      const wasmOwn = await kernelsOf(layer.ours, layer.shapes);
      expect(wasmOwn).toContain('Transpose');
      expect(registerWasmBlasMatMul()).toEqual({ ok: true });
    });
  });

  it('sums a bias\'s gradient in one kernel on the OpenBLAS path, with tf.sum elsewhere', async () => {
    const [x, w, c] = [[n, k], [m, k], [m]];
    const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => linearTransposed(a as tf.Tensor2D, b as tf.Tensor2D, bias);
    expect(registerWasmBlasMatMul()).toEqual({ ok: true });
    const blas = await kernelsOf(f as never, [x, w, c]);
    const sums = (names: string[]) => names.filter((name) => name === 'Sum').length;
    expect(blas).toContain('RetortColumnSums');
    expect(sums(blas)).toBe(1); // the loss's own Σ y·dy
    unregisterWasmBlasMatMul();
    const wasmOwn = await kernelsOf(f as never, [x, w, c]);
    expect(sums(wasmOwn)).toBe(2);
    expect(wasmOwn).not.toContain('RetortColumnSums');
    expect(registerWasmBlasMatMul()).toEqual({ ok: true });
  });

  it.each(layers)('$name on the blas backend (cpu with OpenBLAS) equals the stock ops on cpu, with no transposed copy', async (layer) => {
    expect(registerBlasBackend()).toEqual({ ok: true });
    expect(await tf.setBackend('cpu')).toBe(true);
    const reference = valueAndGrads(layer.stock, layer.shapes);
    expect(await tf.setBackend('blas')).toBe(true);
    try {
      expect(transposesAreFlags()).toBe(true);
      const got = valueAndGrads(layer.ours, layer.shapes);
      expect(relDiff(got.y, reference.y)).toBeLessThan(1e-5);
      got.grads.forEach((g, i) => expect(relDiff(g, at(reference.grads, i))).toBeLessThan(1e-5));
      expect((await kernelsOf(layer.ours, layer.shapes)).filter((name) => name === 'Transpose')).toEqual([]);
    } finally {
      expect(await tf.setBackend('wasm')).toBe(true);
    }
  });

  it('leaves no tensors behind on either path', () => {
    for (const register of [true, false]) {
      if (register) expect(registerWasmBlasMatMul()).toEqual({ ok: true });
      else unregisterWasmBlasMatMul();
      const before = tf.memory().numTensors;
      for (const layer of layers) valueAndGrads(layer.ours, layer.shapes);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(registerWasmBlasMatMul()).toEqual({ ok: true });
  });
});
