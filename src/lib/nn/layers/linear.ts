// Dense layer y = x Wᵀ + b, stored in the Hugging Face layout of the architecture:
// nn.Linear keeps W as [out, in]; GPT-2's Conv1D keeps it as [in, out].

import * as tf from '@tensorflow/tfjs';
import { Module } from '../module.js';
import { Mode } from './dropout.js';
import { Init, normal } from './init.js';
import { linearTransposed, matmul, matmulBias } from './matmul.js';

export type WeightLayout = 'out_in' | 'in_out';

export interface LinearOptions {
  bias?: boolean;
  layout?: WeightLayout;
}

/** Something that adds a low-rank update to a Linear's output (LoRA; see lora.ts). */
export interface LinearDelta {
  /** True when at least one adapter contributes. */
  active(): boolean;
  /** x [n, in] → [n, out]; `base` is the layer's own output x Wᵀ + b (NAT's unit builds on it). */
  apply(x: tf.Tensor2D, mode: Mode | undefined, base: tf.Tensor2D): tf.Tensor2D;
}

export class Linear extends Module {
  readonly inFeatures: number;
  outFeatures: number;
  readonly layout: WeightLayout;
  weight: tf.Variable;
  bias: tf.Variable | undefined;
  /** Set by lora.ts; undefined for a plain layer. */
  delta: LinearDelta | undefined;

  constructor(inFeatures: number, outFeatures: number, init: Init, options: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.layout = options.layout ?? 'out_in';
    const shape = this.layout === 'out_in' ? [outFeatures, inFeatures] : [inFeatures, outFeatures];
    this.weight = this.param('weight', normal(shape, init));
    this.bias = options.bias === false ? undefined : this.param('bias', tf.zeros([outFeatures]));
  }

  /** Attaches an adapter set (lora.ts); its weights become children of this layer. */
  attachDelta(delta: LinearDelta & Module): void {
    if (this.delta) throw new Error('this layer already has an adapter set');
    this.child('', delta);
    this.delta = delta;
  }

  /** Grows (or shrinks) the output side to `outFeatures` (an LM head over a resized vocabulary). */
  resizeOutputs(outFeatures: number, init: Init): void {
    if (this.delta) throw new Error('resize a layer before adding adapters to it');
    const kept = Math.min(outFeatures, this.outFeatures);
    const extra = outFeatures - kept;
    const outAxis = this.layout === 'out_in' ? 0 : 1;
    const value = tf.tidy(() => {
      const old = outAxis === 0 ? this.weight.slice([0, 0], [kept, this.inFeatures]) : this.weight.slice([0, 0], [this.inFeatures, kept]);
      if (extra === 0) return old;
      const fresh = normal(outAxis === 0 ? [extra, this.inFeatures] : [this.inFeatures, extra], init);
      return tf.concat([old, fresh], outAxis);
    });
    this.weight = this.replaceParam('weight', value);
    if (this.bias) {
      const bias = this.bias;
      this.bias = this.replaceParam('bias', tf.tidy(() => (extra > 0 ? tf.concat([bias.slice([0], [kept]), tf.zeros([extra])]) : bias.slice([0], [kept]))));
    }
    this.outFeatures = outFeatures;
  }

  /** x [n, in] → [n, out] through whichever product suits the stored layout. */
  private product(x: tf.Tensor2D): tf.Tensor2D {
    if (this.layout === 'out_in') return linearTransposed(x, this.weight as tf.Tensor2D, this.bias);
    return this.bias ? matmulBias(x, this.weight as tf.Tensor2D, this.bias) : matmul(x, this.weight as tf.Tensor2D);
  }

  /** W as [in, out]. */
  weightInOut(): tf.Tensor2D {
    return (this.layout === 'out_in' ? tf.transpose(this.weight) : this.weight) as tf.Tensor2D;
  }

  /** True when an adapter changes this layer's output, so it cannot be fused with its siblings. */
  adapted(): boolean {
    return this.delta?.active() ?? false;
  }

  /** x [..., in] → [..., out]. */
  forward(x: tf.Tensor, mode?: Mode): tf.Tensor {
    const lead = x.shape.slice(0, -1);
    const flat = x.reshape([-1, this.inFeatures]) as tf.Tensor2D; // [n, in]
    let y = this.product(flat); // [n, out]
    if (this.delta?.active()) y = tf.add(y, this.delta.apply(flat, mode, y));
    return y.reshape([...lead, this.outFeatures]);
  }
}

/**
 * Several Linears on the same input as one product (fused Q, K, V): x [..., in] → [..., Σ out].
 * Falls back to separate products when an adapter is active on any of them.
 */
export function fusedLinear(layers: Linear[], x: tf.Tensor, mode?: Mode): tf.Tensor {
  const [first] = layers;
  if (first === undefined) throw new Error('fusedLinear: no layers to apply');
  if (layers.length === 1) return first.forward(x, mode);
  if (layers.some((l) => l.adapted())) return tf.concat(layers.map((l) => l.forward(x, mode)), -1);
  const inFeatures = first.inFeatures;
  const lead = x.shape.slice(0, -1);
  const flat = x.reshape([-1, inFeatures]) as tf.Tensor2D;
  const bias = layers.some((l) => l.bias) ? tf.concat(layers.map((l) => l.bias ?? tf.zeros([l.outFeatures])), 0) : undefined;
  const outFeatures = layers.reduce((n, l) => n + l.outFeatures, 0);
  let y: tf.Tensor2D;
  if (layers.every((l) => l.layout === 'out_in')) {
    y = linearTransposed(flat, tf.concat(layers.map((l) => l.weight), 0) as tf.Tensor2D, bias); // W [Σ out, in]
  } else {
    const w = tf.concat(layers.map((l) => l.weightInOut()), 1) as tf.Tensor2D; // [in, Σ out]
    y = bias ? matmulBias(flat, w, bias) : matmul(flat, w);
  }
  return y.reshape([...lead, outFeatures]);
}
