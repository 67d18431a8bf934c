// Activations by their Hugging Face `hidden_act` names.

import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../../plugin/api.js';
import { gelu as fusedGelu } from '../kernels/ops.js';

/** Exact GELU, x·Φ(x) (BERT's "gelu"): one fused kernel forward and one backward on cpu and wasm. */
export const gelu = (x: tf.Tensor): tf.Tensor => fusedGelu(x);

/** GPT-2's "gelu_new": the tanh approximation. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** SiLU (swish), Llama's "silu". */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

export type ActivationName = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'silu' | 'relu';

export function activation(name: string): (x: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'gelu':
      return gelu;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return geluTanh;
    case 'silu':
    case 'swish':
      return silu;
    case 'relu':
      return tf.relu;
    default:
      throw new NodeFailure(`unknown activation "${name}" (known: gelu, gelu_new, gelu_pytorch_tanh, silu, relu)`);
  }
}
