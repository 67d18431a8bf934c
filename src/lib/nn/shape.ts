// Tensor dimensions as tuples of a known rank: a layer reads its input's sizes once, and a tensor
// of another rank is a clear error there instead of undefined sizes further down.
import type * as tf from '@tensorflow/tfjs';

interface Dims {
  1: [number];
  2: [number, number];
  3: [number, number, number];
  4: [number, number, number, number];
}

/** t's shape as a tuple of `rank` sizes; an error naming `what` when t has another rank. */
export function dims<R extends keyof Dims>(t: tf.Tensor, rank: R, what: string): Dims[R] {
  if (t.rank !== rank) throw new Error(`${what} must have rank ${rank}, got shape [${t.shape.join(', ')}]`);
  return t.shape as Dims[R];
}

/** The size of t's last axis; an error naming `what` for a scalar. */
export function lastDim(t: tf.Tensor, what: string): number {
  const d = t.shape[t.shape.length - 1];
  if (d === undefined) throw new Error(`${what} must have at least one axis, got a scalar`);
  return d;
}
