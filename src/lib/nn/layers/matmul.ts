// 2-D matrix products with hand-written backward passes; every dense layer goes through here.
//
// The gradients of a product need transposed operands (dy·bᵀ, aᵀ·dy). How to get them depends
// on the backend: tfjs-wasm's own kernel runs a product with a transposed operand about 8x
// slower than a plain one, so there each transpose is made explicitly and the product is plain;
// when matmuls are OpenBLAS sgemm calls (the optional addon, on wasm or 'blas'), a transpose is
// a flag of the call and an explicit one would only add a copy, so none is made. On that path
// the bias's gradient (a sum over rows) is one pass in C too; elsewhere it is tf.sum, so the
// numerics of backends without the addon are what they were.

import * as tf from '@tensorflow/tfjs';
import { columnSums } from '../kernels/ops.js';
import { transposesAreFlags } from '../kernels/wasm-blas-matmul.js';
import { lastDim } from '../shape.js';

/** op(a) · op(b), op = transpose where asked: as flags or as explicit copies (see above). */
function mm(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean, flags: boolean): tf.Tensor2D {
  if (flags) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb);
  return tf.matMul((ta ? tf.transpose(a) : a) as tf.Tensor2D, (tb ? tf.transpose(b) : b) as tf.Tensor2D);
}

/** op(a) · op(b) + bias in one kernel (the bias goes in with sgemm on the OpenBLAS path). */
function mmBias(a: tf.Tensor, b: tf.Tensor, tb: boolean, bias: tf.Tensor, flags: boolean): tf.Tensor2D {
  // Explicit transposes off that path also keep tfjs-wasm's own _FusedMatMul away from its bias
  // bug with transposed operands (bench/nn/README.md).
  // The kernel itself: tf.fused.matMul would wrap it in a second custom gradient (rank-3 reshapes
  // and three saved clones per call), which this function's own gradient makes redundant.
  if (flags) return tf.engine().runKernel('_FusedMatMul', { a, b, bias }, { transposeA: false, transposeB: tb, activation: 'linear' }) as tf.Tensor2D;
  return tf.fused.matMul({ a: a as tf.Tensor2D, b: (tb ? tf.transpose(b) : b) as tf.Tensor2D, bias }) as tf.Tensor2D;
}

/** Σ over the rows of dy: a bias's gradient. */
function biasGrad(dy: tf.Tensor, flags: boolean): tf.Tensor {
  return flags ? columnSums(dy as tf.Tensor2D) : tf.sum(dy, 0);
}

type Grad2 = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
type Grad3 = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.Tensor;
// Every product here saves its two operands, so `saved` is that pair.
type WithGrad = { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: [tf.Tensor, tf.Tensor]) => tf.Tensor[] };
const customGrad2 = (f: (a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => WithGrad) =>
  tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Grad2;
const customGrad3 = (f: (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => WithGrad) =>
  tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Grad3;

// y = a b, a [n, k], b [k, m]:  da = dy bᵀ [n, k], db = aᵀ dy [k, m].
const product = customGrad2((a, b, save) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, [sa, sb]) => {
      const flags = transposesAreFlags();
      return [mm(dy, sb, false, true, flags), mm(sa, dy, true, false, flags)];
    },
  };
});

const productWithBias = customGrad3((a, b, bias, save) => {
  save([a, b]);
  const flags = transposesAreFlags();
  return {
    value: mmBias(a, b, false, bias, flags),
    gradFunc: (dy, [sa, sb]) => [mm(dy, sb, false, true, flags), mm(sa, dy, true, false, flags), biasGrad(dy, flags)],
  };
});

// y = x wᵀ for w stored [out, in], the nn.Linear layout:  dx = dy w [n, in] needs no transpose
// at all, dw = dyᵀ x comes out directly as [out, in].
const linearOutIn = customGrad2((x, w, save) => {
  save([x, w]);
  const flags = transposesAreFlags();
  return {
    value: mm(x, w, false, true, flags),
    gradFunc: (dy, [sx, sw]) => [tf.matMul(dy as tf.Tensor2D, sw as tf.Tensor2D), mm(dy, sx, true, false, flags)],
  };
});

const linearOutInBias = customGrad3((x, w, bias, save) => {
  save([x, w]);
  const flags = transposesAreFlags();
  return {
    value: mmBias(x, w, true, bias, flags),
    gradFunc: (dy, [sx, sw]) => [tf.matMul(dy as tf.Tensor2D, sw as tf.Tensor2D), mm(dy, sx, true, false, flags), biasGrad(dy, flags)],
  };
});

/** a [n, k] @ b [k, m] + bias [m] → [n, m]. */
export function matmulBias(a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor): tf.Tensor2D {
  return productWithBias(a, b, bias) as tf.Tensor2D;
}

/** x [n, in] @ wᵀ (w [out, in]) (+ bias [out]) → [n, out]. */
export function linearTransposed(x: tf.Tensor2D, w: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  return (bias ? linearOutInBias(x, w, bias) : linearOutIn(x, w)) as tf.Tensor2D;
}

/** a [n, k] @ b [k, m] → [n, m]. */
export function matmul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return product(a, b) as tf.Tensor2D;
}

/** x [..., k] @ w [k, m] → [..., m], flattening the leading axes (rank-3 tfjs-wasm matmuls are slow). */
export function matmulLast(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  const k = lastDim(x, 'matmulLast input');
  const lead = x.shape.slice(0, -1);
  const y = matmul(x.reshape([-1, k]) as tf.Tensor2D, w);
  return x.rank === 2 ? y : y.reshape([...lead, w.shape[1]]);
}
