// 2-D matrix product with a hand-written backward pass.
//
// tfjs-wasm runs a matmul with a transposed operand about 8x slower than a plain one, and the
// built-in gradient of tf.matMul uses exactly those (dy @ b^T, a^T @ dy). Transposing explicitly
// first and multiplying plainly is much faster, so every dense layer goes through here.

import * as tf from '@tensorflow/tfjs';

const product = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const productWithBias = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias }), // the bias added in the same kernel
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D), tf.sum(dy, 0)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.Tensor;

/** a [n, k] @ b [k, m] + bias [m] → [n, m]. */
export function matmulBias(a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor): tf.Tensor2D {
  return productWithBias(a, b, bias) as tf.Tensor2D;
}

// x Wᵀ (+ b) for W stored [out, in], the nn.Linear layout. The backward pass needs no transpose of
// W at all (dx = dy W) and one of dy (dW = dyᵀ x comes out directly as [out, in]).
const linearOutIn = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, tf.transpose(w) as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, [sx, sw]: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, sw as tf.Tensor2D), tf.matMul(tf.transpose(dy), sx as tf.Tensor2D)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

const linearOutInBias = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: tf.transpose(w) as tf.Tensor2D, bias }),
    gradFunc: (dy: tf.Tensor, [sx, sw]: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, sw as tf.Tensor2D),
      tf.matMul(tf.transpose(dy), sx as tf.Tensor2D),
      tf.sum(dy, 0),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) => tf.Tensor;

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
  const k = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  const y = matmul(x.reshape([-1, k]) as tf.Tensor2D, w);
  return x.rank === 2 ? y : y.reshape([...lead, w.shape[1]]);
}
