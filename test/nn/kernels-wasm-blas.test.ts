// The wasm backend's matmuls through OpenBLAS (src/lib/nn/kernels/wasm-blas-matmul.ts) give what
// the wasm backend's own kernels give, forward and gradients, on random shapes with transposed
// operands and broadcast batch axes; the cases the addon cannot express still work (stock
// kernels); a product whose output grows the wasm heap is right; nothing leaks.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmBlasMatMul, unregisterWasmBlasMatMul } from '../../src/lib/nn/kernels/wasm-blas-matmul.js';
import { at } from '../util/at.js';

const arr = (t: tf.Tensor) => Array.from(t.dataSync());

/** Largest |a − b| relative to the largest |b| (products of random matrices grow with k). */
function relDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1, ...b.map(Math.abs));
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - at(b, i))), 0) / scale;
}

/** Runs f with OpenBLAS matmuls and with the stock wasm ones. */
function bothPaths<T>(f: () => T): { blas: T; stock: T } {
  expect(registerWasmBlasMatMul()).toEqual({ ok: true });
  const blas = f();
  unregisterWasmBlasMatMul();
  const stock = f();
  expect(registerWasmBlasMatMul()).toEqual({ ok: true });
  return { blas, stock };
}

beforeAll(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});
afterAll(() => unregisterWasmBlasMatMul());

/** A seeded case: batch axes for a and b (one side may broadcast), m, k, n, transposes. */
interface Case { batchA: number[]; batchB: number[]; m: number; k: number; n: number; ta: boolean; tb: boolean }

function randomCases(count: number, seed: number): Case[] {
  let s = seed >>> 0;
  const rand = (lo: number, hi: number) => lo + ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % (hi - lo + 1));
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const rank = rand(0, 2);
    const batch = Array.from({ length: rank }, () => rand(1, 4));
    const broadcast = rand(0, 2); // 0: same batch, 1: b is one matrix, 2: a is one matrix
    out.push({
      batchA: broadcast === 2 ? [] : batch,
      batchB: broadcast === 1 ? [] : batch,
      m: rand(1, 40), k: rand(1, 70), n: rand(1, 40),
      ta: rand(0, 1) === 1, tb: rand(0, 1) === 1,
    });
  }
  return out;
}

const shapeOf = (batch: number[], rows: number, cols: number, t: boolean) => [...batch, ...(t ? [cols, rows] : [rows, cols])];

describe('wasm matmuls through OpenBLAS', () => {
  it('are registered on this machine (the addon is built at npm install, CI included)', () => {
    expect(registerWasmBlasMatMul()).toEqual({ ok: true });
  });

  const cases = randomCases(24, 7);
  it('cover transposed operands and both broadcasting sides', () => {
    expect(cases.some((c) => c.ta) && cases.some((c) => c.tb)).toBe(true);
    expect(cases.some((c) => c.batchA.length > 0 && c.batchB.length === 0)).toBe(true);
    expect(cases.some((c) => c.batchA.length === 0 && c.batchB.length > 0)).toBe(true);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i equals the wasm kernel, gradients included', (i, c) => {
    const run = () => tf.tidy(() => {
      const a = tf.randomNormal(shapeOf(c.batchA, c.m, c.k, c.ta), 0, 1, 'float32', 100 + i);
      const b = tf.randomNormal(shapeOf(c.batchB, c.k, c.n, c.tb), 0, 1, 'float32', 200 + i);
      const y = tf.matMul(a, b, c.ta, c.tb);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 300 + i);
      // tfjs 4.22's matMul gradient does not reduce broadcast batch axes: forward only there.
      const sameBatch = c.batchA.length === c.batchB.length;
      const grads = sameBatch ? tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.matMul(x, z, c.ta, c.tb).mul(dy).sum())([a, b]).map(arr) : [];
      return { shape: y.shape, y: arr(y), grads };
    });
    const { blas, stock } = bothPaths(run);
    expect(blas.shape).toEqual(stock.shape);
    expect(relDiff(blas.y, stock.y)).toBeLessThan(1e-5);
    blas.grads.forEach((g, j) => expect(relDiff(g, at(stock.grads, j))).toBeLessThan(1e-5));
  });

  // Compared with the composed form (matMul, add, activation) rather than the stock fused kernel:
  // tfjs-wasm 4.22's own _FusedMatMul adds the bias wrongly when an operand is transposed or the
  // batch has more than one matrix (this test shows 1.6 off for those on the stock path).
  const layouts: [number[], boolean, boolean][] = [[[], false, false], [[], false, true], [[], true, false], [[2], false, false], [[3], true, true]];
  it.each(layouts)('fused matMul with bias and relu, batch %j, transposeA %s, transposeB %s, equals matMul + bias (+ relu)', (lead, ta, tb) => {
    const [m, k, n] = [9, 6, 4];
    const run = () => tf.tidy(() => {
      const a = tf.randomNormal([...lead, ...(ta ? [k, m] : [m, k])], 0, 1, 'float32', 21) as unknown as tf.Tensor3D;
      const b = tf.randomNormal([...lead, ...(tb ? [n, k] : [k, n])], 0, 1, 'float32', 22) as unknown as tf.Tensor3D;
      const bias = tf.randomNormal([n], 0, 1, 'float32', 23);
      const composed = tf.add(tf.matMul(a, b, ta, tb), bias);
      return {
        fused: ['linear', 'relu'].map((activation) => arr(tf.fused.matMul({ a, b, bias, transposeA: ta, transposeB: tb, activation: activation as 'relu' }))),
        composed: [arr(composed), arr(tf.relu(composed))],
        noBias: arr(tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, activation: 'relu' })),
        composedNoBias: arr(tf.relu(tf.matMul(a, b, ta, tb))),
      };
    });
    const { blas, stock } = bothPaths(run);
    blas.fused.forEach((o, j) => expect(relDiff(o, at(stock.composed, j))).toBeLessThan(1e-5));
    expect(relDiff(blas.noBias, stock.composedNoBias)).toBeLessThan(1e-5);
  });

  it('fused matMul with other activations and matMul with partial batch broadcasting go to the stock kernels', () => {
    const run = () => tf.tidy(() => {
      const a = tf.randomNormal([9, 6], 0, 1, 'float32', 31) as tf.Tensor2D;
      const b = tf.randomNormal([6, 4], 0, 1, 'float32', 32) as tf.Tensor2D;
      const bias = tf.randomNormal([4], 0, 1, 'float32', 33);
      return {
        elu: arr(tf.fused.matMul({ a, b, bias, activation: 'elu' })),
        composedElu: arr(tf.elu(tf.add(tf.matMul(a, b), bias))),
        partial: arr(tf.matMul(tf.randomNormal([2, 1, 4, 6], 0, 1, 'float32', 34), tf.randomNormal([1, 3, 6, 2], 0, 1, 'float32', 35))),
        dBias: arr(tf.grad((bb: tf.Tensor) => tf.fused.matMul({ a, b, bias: bb }).square().sum())(bias)),
      };
    });
    const { blas, stock } = bothPaths(run);
    expect(relDiff(blas.elu, stock.composedElu)).toBeLessThan(1e-5);
    expect(blas.elu.some((v) => v < 0)).toBe(true); // elu, not relu or linear
    expect(relDiff(blas.partial, stock.partial)).toBeLessThan(1e-5);
    expect(relDiff(blas.dBias, stock.dBias)).toBeLessThan(1e-5);
  });

  it('is right when allocating the output grows the wasm heap (views are taken after it)', () => {
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    expect(registerWasmBlasMatMul()).toEqual({ ok: true });
    const before = backend.wasm.HEAPU8.buffer.byteLength;
    // An outer product [rows, 1]·[1, cols] whose output alone is larger than the whole heap.
    const rows = 1024, cols = Math.ceil(before / 4 / rows) + 1024;
    const colValues = Float32Array.from({ length: cols }, (_, j) => (j % 7) - 3);
    const a = tf.tensor2d(Float32Array.from({ length: rows }, (_, i) => i % 5), [rows, 1]);
    const b = tf.tensor2d(colValues, [1, cols]);
    const y = tf.matMul(a, b);
    expect(backend.wasm.HEAPU8.buffer.byteLength).toBeGreaterThan(before);
    const values = y.dataSync();
    tf.dispose([a, b, y]);
    let wrong = 0;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (values[i * cols + j] !== (i % 5) * colValues[j]!) wrong++; // j < cols
    expect(wrong).toBe(0);
  });

  it('leaves no tensors or heap bytes behind', () => {
    expect(registerWasmBlasMatMul()).toEqual({ ok: true });
    const x = tf.randomNormal([3, 8, 5]);
    const w = tf.randomNormal([5, 4]);
    const bias = tf.zeros([4]);
    const before = tf.memory();
    tf.tidy(() => {
      tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.fused.matMul({ a: xx as tf.Tensor3D, b: tf.tile(ww.expandDims(0), [3, 1, 1]) as tf.Tensor3D, bias, activation: 'relu' }).sum())([x, w]);
      tf.matMul(x, w).dataSync();
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([x, w, bias]);
  });
});
