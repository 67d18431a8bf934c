// From per-token hidden states [b, t, d] to one vector per sequence [b, d].

import * as tf from '@tensorflow/tfjs';
import { lookup } from './layers/embedding.js';
import { dims } from './shape.js';

/** Mean over real tokens (mask 1), E5/LLM-R's `avg` pooling. */
export function meanPool(hidden: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const m = mask.toFloat().expandDims(-1); // [b, t, 1]
  const sum = tf.sum(tf.mul(hidden, m), 1); // [b, d]
  const count = tf.maximum(tf.sum(m, 1), 1e-9); // [b, 1]
  return tf.div(sum, count);
}

/** The first token ([CLS]). */
export function clsPool(hidden: tf.Tensor): tf.Tensor {
  const [b, , d] = dims(hidden, 3, 'clsPool hidden states');
  return hidden.slice([0, 0, 0], [b, 1, d]).reshape([b, d]);
}

/**
 * The last real token of each row. With left padding that is always position t-1; with right
 * padding it is position (Σ mask) - 1.
 */
export function lastTokenPool(hidden: tf.Tensor, mask: tf.Tensor, padding: 'left' | 'right'): tf.Tensor {
  const [b, t, d] = dims(hidden, 3, 'lastTokenPool hidden states');
  if (padding === 'left') return hidden.slice([0, t - 1, 0], [b, 1, d]).reshape([b, d]);
  const last = tf.maximum(tf.sub(tf.sum(mask.toInt(), 1), tf.scalar(1, 'int32')), tf.scalar(0, 'int32')); // [b]
  return gatherRows(hidden, last);
}

/** hidden[i, positions[i]] for each row: positions [b] → [b, d]. */
export function gatherRows(hidden: tf.Tensor, positions: tf.Tensor): tf.Tensor {
  const [b, t, d] = dims(hidden, 3, 'gatherRows hidden states');
  const flat = tf.add(tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(t, 'int32')), positions.toInt()); // [b]
  return lookup(hidden.reshape([b * t, d]), flat); // a gather whose gradient works on wasm
}

/**
 * The mean of the hidden states at given positions of each row: positions [b, k] → [b, d]
 * (LLaRA averages its eight special tokens).
 */
export function positionsPool(hidden: tf.Tensor, positions: tf.Tensor): tf.Tensor {
  const [b, t, d] = dims(hidden, 3, 'positionsPool hidden states');
  const [, k] = dims(positions, 2, 'positionsPool positions');
  const offsets = tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(t, 'int32')).reshape([b, 1]);
  const flat = tf.add(offsets, positions.toInt()).reshape([b * k]); // [b·k]
  return tf.mean(lookup(hidden.reshape([b * t, d]), flat).reshape([b, k, d]), 1);
}

export type PoolingName = 'mean' | 'cls' | 'last';

export function pool(name: PoolingName, hidden: tf.Tensor, mask: tf.Tensor, padding: 'left' | 'right' = 'right'): tf.Tensor {
  if (name === 'mean') return meanPool(hidden, mask);
  if (name === 'cls') return clsPool(hidden);
  return lastTokenPool(hidden, mask, padding);
}

/** Rows scaled to unit L2 norm. */
export function l2Normalize(x: tf.Tensor, eps = 1e-12): tf.Tensor {
  return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', -1, true), eps));
}
