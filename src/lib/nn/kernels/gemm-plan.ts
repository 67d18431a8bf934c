// How a tfjs matMul (a [..., m, k] · b [..., k, n], transposes as attributes, batch axes
// broadcast) maps onto the addon's gemmBatch, whichever memory the tensors live in (a cpu
// Float32Array or a view of the wasm heap). Shared by the 'blas' backend and the wasm matmuls.
import * as tf from '@tensorflow/tfjs';
import { type BlasAddon } from './native-addon.js';

export interface GemmPlan {
  /** [...broadcast batch, m, n] */
  outShape: number[];
  batch: number;
  /** Elements between consecutive matrices of a and of b; 0 broadcasts one matrix. */
  strideA: number;
  strideB: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

const product = (s: number[]) => s.reduce((p, v) => p * v, 1);

/**
 * The plan for a · b, or null when the batch axes broadcast partially ([2, 1] against [1, 3]),
 * which gemmBatch's single stride per operand cannot express (the caller's stock kernel does it).
 * Inner dimensions that differ are the caller's error and throw, as tf.matMul does. Operands of
 * rank < 2 are not matrices: null too, and the stock kernel reports them.
 */
export function planGemm(aShape: number[], bShape: number[], transA: boolean, transB: boolean): GemmPlan | null {
  const [a0, a1] = aShape.slice(-2), [b0, b1] = bShape.slice(-2);
  if (a0 === undefined || a1 === undefined || b0 === undefined || b1 === undefined) return null;
  const m = transA ? a1 : a0;
  const k = transA ? a0 : a1;
  const kb = transB ? b1 : b0;
  const n = transB ? b0 : b1;
  if (k !== kb) {
    throw new Error(`matMul: inner dimensions differ: a [${aShape}] b [${bShape}] (transposeA=${transA}, transposeB=${transB})`);
  }
  const batchA = aShape.slice(0, -2), batchB = bShape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  const sizeA = product(batchA), sizeB = product(batchB), size = product(outBatch);
  if (!(sizeA === size && sizeB === size) && sizeA !== 1 && sizeB !== 1) return null;
  const outShape = [...outBatch, m, n];
  if (sizeB === 1 && !transA) {
    // [size·m, k] · [k, n] as one product: far better for BLAS than `size` small ones.
    return { outShape, batch: 1, strideA: 0, strideB: 0, m: size * m, n, k, transA, transB };
  }
  return { outShape, batch: size, strideA: sizeA === 1 ? 0 : m * k, strideB: sizeB === 1 ? 0 : k * n, m, n, k, transA, transB };
}

/** Fills c (batch·m·n elements) with the planned products. */
export function runGemm(addon: BlasAddon, p: GemmPlan, a: Float32Array, b: Float32Array, c: Float32Array): void {
  addon.gemmBatch(a, b, c, p.batch, p.strideA, p.strideB, p.m, p.n, p.k, p.transA, p.transB);
}

/**
 * The planned products plus bias [n] on every row, then max(·, 0) when `relu`. The bias goes in
 * through sgemm (C starts as the bias, beta = 1) when the addon can, else by a loop after.
 */
export function runGemmEpilogue(addon: BlasAddon, p: GemmPlan, a: Float32Array, b: Float32Array, c: Float32Array,
  bias: Float32Array | undefined, relu: boolean): void {
  if (bias !== undefined && addon.gemmBatchBias !== undefined) {
    addon.gemmBatchBias(a, b, c, bias, p.batch, p.strideA, p.strideB, p.m, p.n, p.k, p.transA, p.transB);
    addBiasRelu(c, p.n, undefined, relu);
    return;
  }
  runGemm(addon, p, a, b, c);
  addBiasRelu(c, p.n, bias, relu);
}

/** y [rows, n] += bias [n] on every row; then max(y, 0) when `relu`. In place. */
export function addBiasRelu(y: Float32Array, n: number, bias: Float32Array | undefined, relu: boolean): void {
  if (bias !== undefined) for (let o = 0; o < y.length; o += n) for (let j = 0; j < n; j++) y[o + j]! += bias[j]!;
  if (relu) for (let i = 0; i < y.length; i++) if (y[i]! < 0) y[i] = 0;
}

/** True when _FusedMatMul's epilogue is one addBiasRelu can do: a bias over the last axis only, linear or relu. */
export function simpleEpilogue(bias: tf.TensorInfo | undefined, n: number, activation: string): boolean {
  const simpleBias = bias === undefined || (bias.dtype === 'float32' && product(bias.shape) === n && bias.shape[bias.shape.length - 1] === n);
  return simpleBias && (activation === 'linear' || activation === 'relu');
}
