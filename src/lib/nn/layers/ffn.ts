// Position-wise feed-forward blocks: GELU (BERT, GPT-2) and SwiGLU (Llama).

import * as tf from '@tensorflow/tfjs';
import { Module } from '../module.js';
import { activation } from './activations.js';
import { Mode } from './dropout.js';
import { Init } from './init.js';
import { fusedLinear, Linear, WeightLayout } from './linear.js';

export interface FfnOptions {
  dim: number;
  hidden: number;
  bias: boolean;
  layout: WeightLayout;
  act: string;
}

/** down(act(up(x))); `names` are the HF child names of the two layers. */
export class MlpFfn extends Module {
  readonly up: Linear;
  readonly down: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(o: FfnOptions, names: { up: string; down: string }, init: Init) {
    super();
    this.act = activation(o.act);
    this.up = this.child(names.up, new Linear(o.dim, o.hidden, init, { bias: o.bias, layout: o.layout }));
    this.down = this.child(names.down, new Linear(o.hidden, o.dim, init, { bias: o.bias, layout: o.layout }));
  }

  /** x [b, t, d] → [b, t, d]. */
  forward(x: tf.Tensor, mode?: Mode): tf.Tensor {
    return this.down.forward(this.act(this.up.forward(x, mode)), mode);
  }
}

/** down(silu(gate(x)) · up(x)), gate and up computed as one product. */
export class SwiGluFfn extends Module {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly hidden: number;

  constructor(o: FfnOptions, names: { gate: string; up: string; down: string }, init: Init) {
    super();
    this.hidden = o.hidden;
    this.act = activation(o.act);
    this.gate = this.child(names.gate, new Linear(o.dim, o.hidden, init, { bias: o.bias, layout: o.layout }));
    this.up = this.child(names.up, new Linear(o.dim, o.hidden, init, { bias: o.bias, layout: o.layout }));
    this.down = this.child(names.down, new Linear(o.hidden, o.dim, init, { bias: o.bias, layout: o.layout }));
  }

  /** x [b, t, d] → [b, t, d]. */
  forward(x: tf.Tensor, mode?: Mode): tf.Tensor {
    const [g, u] = tf.split(fusedLinear([this.gate, this.up], x, mode), [this.hidden, this.hidden], -1) as [tf.Tensor, tf.Tensor]; // [b, t, f] each
    return this.down.forward(tf.mul(this.act(g), u), mode);
  }
}
