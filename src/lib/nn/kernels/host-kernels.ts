// Replacements for stock cpu kernels that dominate a transformer step on cpu-derived backends:
// Softmax (stock: max, sub, exp, sum, div as separate passes with generic index arithmetic),
// Transpose (stock: per-element index conversion) and the broadcasting binary ops. Same results,
// one tight loop each.
// Registered on the 'blas' backend only, so the stock cpu backend stays the unmodified reference.
import * as tf from '@tensorflow/tfjs';
import { floatKernel, type FloatKernel } from './float-kernel.js';

/** Softmax over the last axis (the only axis tf.softmax supports). */
export const softmaxKernel = floatKernel({
  name: 'Softmax',
  inputs: ['logits'],
  outputShapes: ([x]) => [x],
  compute([x], [y], [shape]) {
    const d = shape[shape.length - 1]!; // tf.softmax rejects scalars
    for (let o = 0; o < x.length; o += d) {
      let max = -Infinity;
      for (let j = 0; j < d; j++) if (x[o + j]! > max) max = x[o + j]!;
      let sum = 0;
      for (let j = 0; j < d; j++) { const e = Math.exp(x[o + j]! - max); y[o + j] = e; sum += e; }
      const inv = 1 / sum;
      for (let j = 0; j < d; j++) y[o + j]! *= inv;
    }
  },
});

/** Any permutation of a float32 tensor: walks the output in order with an odometer over input strides. */
export const transposeKernel = floatKernel({
  name: 'Transpose',
  inputs: ['x'],
  outputShapes: ([x], attrs) => [(attrs.perm as number[]).map((p) => x[p]!)],
  compute([x], [y], [shape], attrs) {
    const perm = attrs.perm as number[];
    const rank = shape.length;
    const inStride = new Array<number>(rank);
    for (let i = rank - 1, s = 1; i >= 0; i--) { inStride[i] = s; s *= shape[i]!; }
    // perm is a permutation of 0..rank-1 (tf.transpose checks it), so these lookups all hit.
    const outShape = perm.map((p) => shape[p]!);
    const step = perm.map((p) => inStride[p]!); // input offset change per output index step, per axis
    if (y.length === 0) return;
    const last = rank - 1;
    const n = outShape[last]!, innerStep = step[last]!;
    const idx = new Array<number>(rank).fill(0);
    let src = 0;
    for (let o = 0; o < y.length; o += n) {
      for (let j = 0, s = src; j < n; j++, s += innerStep) y[o + j] = x[s]!;
      // Advance the odometer over all axes but the last.
      for (let a = last - 1; a >= 0; a--) {
        idx[a]!++;
        src += step[a]!;
        if (idx[a]! < outShape[a]!) break;
        src -= step[a]! * outShape[a]!;
        idx[a] = 0;
      }
    }
  },
});

/**
 * Elementwise binary ops with numpy broadcasting. The stock cpu kernels convert every output
 * index to coordinates and back whenever shapes differ (a bias add, an attention mask), which
 * made `Add` the most expensive kernel of a training step; here the output is walked in order
 * with an odometer over each input's strides (0 on broadcast axes).
 */
function broadcastKernel(name: string, op: (a: number, b: number) => number): FloatKernel {
  return floatKernel({
    name,
    inputs: ['a', 'b'],
    outputShapes: ([a, b]) => [tf.broadcast_util.assertAndGetBroadcastShape(a, b)],
    compute([a, b], [y], [sa, sb]) {
      const out = tf.broadcast_util.assertAndGetBroadcastShape(sa, sb);
      if (y.length === 0) return;
      if (a.length === y.length && b.length === y.length) {
        for (let i = 0; i < y.length; i++) y[i] = op(a[i]!, b[i]!);
        return;
      }
      if (b.length === 1) { const bv = b[0]!; for (let i = 0; i < y.length; i++) y[i] = op(a[i]!, bv); return; }
      if (a.length === 1) { const av = a[0]!; for (let i = 0; i < y.length; i++) y[i] = op(av, b[i]!); return; }
      const rank = out.length;
      const strides = (s: number[]) => {
        const st = new Array<number>(rank).fill(0);
        for (let i = s.length - 1, acc = 1, o = rank - 1; i >= 0; i--, o--) {
          st[o] = s[i] === 1 ? 0 : acc;
          acc *= s[i]!;
        }
        return st;
      };
      const stA = strides(sa), stB = strides(sb);
      // Neither input is a scalar here, so the broadcast shape has rank ≥ 1.
      const last = rank - 1, n = out[last]!, ia = stA[last]!, ib = stB[last]!;
      const idx = new Array<number>(rank).fill(0);
      let oa = 0, ob = 0;
      for (let o = 0; o < y.length; o += n) {
        for (let j = 0, pa = oa, pb = ob; j < n; j++, pa += ia, pb += ib) y[o + j] = op(a[pa]!, b[pb]!);
        for (let ax = last - 1; ax >= 0; ax--) {
          idx[ax]!++;
          oa += stA[ax]!;
          ob += stB[ax]!;
          if (idx[ax]! < out[ax]!) break;
          oa -= stA[ax]! * out[ax]!;
          ob -= stB[ax]! * out[ax]!;
          idx[ax] = 0;
        }
      }
    },
  });
}

export const binaryKernels: FloatKernel[] = [
  broadcastKernel('Add', (a, b) => a + b),
  broadcastKernel('Sub', (a, b) => a - b),
  broadcastKernel('Multiply', (a, b) => a * b),
  broadcastKernel('RealDiv', (a, b) => a / b),
];

/**
 * Sum over a contiguous run of axes (bias gradients: axis 0; pooling: axis 1 of [b, t, d];
 * row sums: the last axis): the input is [outer, reduced, inner] and no transpose is needed.
 * The stock kernel transposes the reduced axes to the end first. Other axis sets → null.
 */
export function contiguousSum(x: Float32Array, shape: number[], axes: number[]): { out: Float32Array; outer: number; inner: number } | null {
  const sorted = [...axes].map((a) => (a < 0 ? a + shape.length : a)).sort((a, b) => a - b);
  const [first] = sorted, lastAxis = sorted[sorted.length - 1];
  if (first === undefined || lastAxis === undefined) return null; // no axes: nothing to sum over
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return null;
  const outer = shape.slice(0, first).reduce((p, v) => p * v, 1);
  const red = shape.slice(first, lastAxis + 1).reduce((p, v) => p * v, 1);
  const inner = shape.slice(lastAxis + 1).reduce((p, v) => p * v, 1);
  const out = new Float32Array(outer * inner);
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      let s = 0;
      for (let r = 0, base = o * red; r < red; r++) s += x[base + r]!;
      out[o] = s;
    }
    return { out, outer, inner };
  }
  for (let o = 0; o < outer; o++) {
    const dst = o * inner;
    for (let r = 0; r < red; r++) {
      const src = (o * red + r) * inner;
      for (let j = 0; j < inner; j++) out[dst + j]! += x[src + j]!;
    }
  }
  return { out, outer, inner };
}

/** Row gather along axis 0 (embedding lookups): copies whole rows instead of element by element. */
export function gatherRows(x: Float32Array, rowSize: number, rows: number, ids: ArrayLike<number>): Float32Array | null {
  const out = new Float32Array(ids.length * rowSize);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= rows) return null; // the stock kernel reports the bad index
    out.set(x.subarray(id * rowSize, (id + 1) * rowSize), i * rowSize);
  }
  return out;
}
