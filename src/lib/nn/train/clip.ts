// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: all gradients are scaled
// by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the L2 norm of all of them together.

import * as tf from '@tensorflow/tfjs';

/** The global L2 norm of the gradients (a scalar tensor the caller disposes). */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const squares = [...grads].map((g) => tf.sum(tf.square(g)));
    return (squares.length === 0 ? tf.scalar(0) : tf.sqrt(tf.addN(squares))) as tf.Scalar;
  });
}

/**
 * Clipped copies of `grads` and the norm before clipping (new tensors the caller disposes; the
 * inputs are left as they are). No data is read back, so it adds no synchronisation.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  if (!(maxNorm > 0)) throw new Error(`maxNorm must be > 0, got ${maxNorm}`);
  const norm = globalNorm(grads.values());
  const clipped = new Map<string, tf.Tensor>();
  tf.tidy(() => {
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    for (const [name, g] of grads) clipped.set(name, tf.keep(tf.mul(g, coef)));
  });
  return { grads: clipped, norm };
}
