// LayerNorm (BERT, GPT-2) and RMSNorm (Llama), over the last axis.

import * as tf from '@tensorflow/tfjs';
import { layerNorm } from '../kernels/ops.js';
import { Module } from '../module.js';

export class LayerNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly eps: number;

  constructor(dim: number, eps = 1e-5) {
    super();
    this.eps = eps;
    this.weight = this.param('weight', tf.ones([dim]));
    this.bias = this.param('bias', tf.zeros([dim]));
  }

  /** x [..., d] → [..., d]; biased variance, as torch. One fused kernel on cpu and wasm. */
  forward(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight as tf.Tensor1D, this.bias as tf.Tensor1D, this.eps);
  }
}

export class RMSNorm extends Module {
  readonly weight: tf.Variable;
  readonly eps: number;

  constructor(dim: number, eps = 1e-6) {
    super();
    this.eps = eps;
    this.weight = this.param('weight', tf.ones([dim]));
  }

  /** x [..., d] → x / sqrt(mean(x²) + eps) · w. */
  forward(x: tf.Tensor): tf.Tensor {
    const ms = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, this.eps))), this.weight);
  }
}
