// Multi-head self-attention with an additive mask, optional causal masking, rotary positions
// (Llama) and grouped key/value heads.
//
// Layout: after the fused Q/K/V product, heads are moved to the front once ([h, b, t, hd]), so
// q, k and v are contiguous slices and the batch and head axes merge for free into one batched
// matmul. The mask is therefore carried head-major as well: [1|h, b, tq, tk]. Two rank-4
// transposes per layer (in and out) and nothing else.

import * as tf from '@tensorflow/tfjs';
import { Module } from '../module.js';
import { dropout, Mode } from './dropout.js';
import { Init } from './init.js';
import { fusedLinear, Linear, WeightLayout } from './linear.js';
import { dims } from '../shape.js';

/** Added to a masked score; large enough that softmax gives exactly 0, finite so sums stay finite. */
export const MASKED = -1e9;

export interface MaskInputs {
  /** [b, tk], 1 = a real token, 0 = padding (the HF `attention_mask`). */
  paddingMask?: tf.Tensor;
  /** Additive, [b, 1|h, tq, tk]: 0 to attend, a large negative number to block. */
  additiveMask?: tf.Tensor;
  /** Each query sees keys at its own position and before (keys aligned to the end). */
  causal?: boolean;
}

/** The combined additive bias, head-major [1|h, b, tq, tk], or undefined when nothing is masked. */
export function attentionBias(batch: number, tq: number, tk: number, masks: MaskInputs): tf.Tensor | undefined {
  const parts: tf.Tensor[] = [];
  if (masks.paddingMask) {
    const keep = masks.paddingMask.toFloat().reshape([1, batch, 1, tk]);
    parts.push(tf.mul(tf.sub(1, keep), MASKED));
  }
  if (masks.causal) {
    const allowed = tf.linalg.bandPart(tf.ones([tq, tk]), -1, tk - tq); // key j <= query i + (tk - tq)
    parts.push(tf.mul(tf.sub(1, allowed), MASKED).reshape([1, 1, tq, tk]));
  }
  if (masks.additiveMask) {
    const m = masks.additiveMask;
    if (m.rank !== 4 || m.shape[0] !== batch || m.shape[2] !== tq || m.shape[3] !== tk) {
      throw new Error(`additive attention mask must be [${batch}, 1|heads, ${tq}, ${tk}], got [${m.shape}]`);
    }
    parts.push(tf.transpose(m.toFloat(), [1, 0, 2, 3])); // [1|h, b, tq, tk]
  }
  if (parts.length === 0) return undefined;
  return parts.reduce((sum, part) => tf.add(sum, part));
}

/** Rotary tables for explicit positions: cos, sin [1, b, t, hd] (HF's rotate_half convention). */
export function rotaryTables(positionIds: tf.Tensor, headDim: number, theta: number): { cos: tf.Tensor; sin: tf.Tensor } {
  const [b, t] = dims(positionIds, 2, 'rotary position ids');
  const half = headDim / 2;
  const invFreq = tf.tensor1d(Array.from({ length: half }, (_, i) => 1 / theta ** ((2 * i) / headDim)));
  const freqs = tf.mul(positionIds.toFloat().reshape([b, t, 1]), invFreq.reshape([1, 1, half])); // [b, t, hd/2]
  const angles = tf.concat([freqs, freqs], -1).reshape([1, b, t, headDim]);
  return { cos: tf.cos(angles), sin: tf.sin(angles) };
}

/** x·cos + rotate_half(x)·sin, x [h, b, t, hd]. */
function applyRotary(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const half = (x.shape[3] as number) / 2;
  const [x1, x2] = tf.split(x, [half, half], 3) as [tf.Tensor, tf.Tensor];
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/**
 * softmax(q kᵀ / √hd + bias) v, head-major: q, k, v [h, b, t, hd], bias [1|h, b, tq, tk] →
 * [h, b, tq, hd]. The two batched matmuls here are most of an encoder's attention time.
 */
export function scaledDotProduct(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  bias: tf.Tensor | undefined,
  dropProbs: (p: tf.Tensor) => tf.Tensor = (p) => p,
): tf.Tensor {
  const [h, b, tq, hd] = dims(q, 4, 'attention queries');
  const tk = k.shape[2] as number;
  const qs = tf.mul(q, 1 / Math.sqrt(hd)).reshape([h * b, tq, hd]); // the scale on q, not on the scores
  let scores = tf.matMul(qs, k.reshape([h * b, tk, hd]), false, true); // [h·b, tq, tk]
  if (bias) scores = tf.add(scores.reshape([h, b, tq, tk]), bias).reshape([h * b, tq, tk]);
  const probs = dropProbs(tf.softmax(scores));
  return tf.matMul(probs, v.reshape([h * b, tk, hd])).reshape([h, b, tq, hd]);
}

export type AttentionNames = { q: string; k: string; v: string; out: string } | { qkv: string; out: string };

export interface AttentionOptions {
  dim: number;
  heads: number;
  /** Key/value heads (GQA); defaults to `heads`. */
  kvHeads?: number;
  headDim?: number;
  bias: boolean;
  /** Bias of the output projection when it differs from the others. */
  outBias?: boolean;
  layout: WeightLayout;
  /** HF child names of the projections. */
  names: AttentionNames;
  /** Dropout on the attention probabilities. */
  dropout: number;
}

export interface AttentionInputs {
  /** Head-major additive bias from attentionBias(), [1|h, b, t, tPast + t] with a past. */
  bias?: tf.Tensor;
  /** Rotary tables at the new tokens' absolute positions. */
  rotary?: { cos: tf.Tensor; sin: tf.Tensor };
  /** Keys and values of earlier tokens, [kvh, b, tPast, hd] each (keys already rotated). */
  past?: { keys: tf.Tensor; values: tf.Tensor };
}

export interface AttentionResult {
  /** [b, t, d]. */
  output: tf.Tensor;
  /** Past and new keys and values, [kvh, b, tPast + t, hd]: the next step's past. */
  keys: tf.Tensor;
  values: tf.Tensor;
}

export class SelfAttention extends Module {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** The Q, K, V projections in that order (one fused layer for GPT-2's c_attn). */
  readonly projections: Linear[];
  readonly out: Linear;
  private readonly dropoutRate: number;

  constructor(o: AttentionOptions, init: Init) {
    super();
    this.heads = o.heads;
    this.kvHeads = o.kvHeads ?? o.heads;
    this.headDim = o.headDim ?? o.dim / o.heads;
    this.dropoutRate = o.dropout;
    const qOut = this.heads * this.headDim;
    const kvOut = this.kvHeads * this.headDim;
    const options = { bias: o.bias, layout: o.layout };
    if ('qkv' in o.names) {
      this.projections = [this.child(o.names.qkv, new Linear(o.dim, qOut + 2 * kvOut, init, options))];
    } else {
      this.projections = [
        this.child(o.names.q, new Linear(o.dim, qOut, init, options)),
        this.child(o.names.k, new Linear(o.dim, kvOut, init, options)),
        this.child(o.names.v, new Linear(o.dim, kvOut, init, options)),
      ];
    }
    this.out = this.child(o.names.out, new Linear(qOut, o.dim, init, { bias: o.outBias ?? o.bias, layout: o.layout }));
  }

  /** x [b, t, d] → [b, t, d]. */
  forward(x: tf.Tensor, inputs: AttentionInputs = {}, mode?: Mode): tf.Tensor {
    return this.attend(x, inputs, mode).output;
  }

  /** x [b, t, d] → the output and the keys and values it attended to (past ones first). */
  attend(x: tf.Tensor, inputs: AttentionInputs = {}, mode?: Mode): AttentionResult {
    const [b, t] = dims(x, 3, 'attention input');
    const { heads: h, kvHeads: kvh, headDim: hd } = this;
    const qkv = fusedLinear(this.projections, x, mode).reshape([b, t, h + 2 * kvh, hd]);
    const headMajor = tf.transpose(qkv, [2, 0, 1, 3]); // [h + 2kvh, b, t, hd]
    let [q, k, v] = tf.split(headMajor, [h, kvh, kvh], 0) as [tf.Tensor, tf.Tensor, tf.Tensor]; // [h|kvh, b, t, hd]
    if (inputs.rotary) {
      q = applyRotary(q, inputs.rotary.cos, inputs.rotary.sin);
      k = applyRotary(k, inputs.rotary.cos, inputs.rotary.sin);
    }
    if (inputs.past) {
      k = tf.concat([inputs.past.keys, k], 2); // [kvh, b, tPast + t, hd]
      v = tf.concat([inputs.past.values, v], 2);
    }
    const keys = k;
    const values = v;
    const tk = k.shape[2] as number;
    if (kvh !== h) {
      // Each group of h/kvh query heads shares one key/value head.
      const group = h / kvh;
      k = tf.tile(k.reshape([kvh, 1, b * tk * hd]), [1, group, 1]).reshape([h, b, tk, hd]);
      v = tf.tile(v.reshape([kvh, 1, b * tk * hd]), [1, group, 1]).reshape([h, b, tk, hd]);
    }
    const context = scaledDotProduct(q, k, v, inputs.bias, (p) => dropout(p, this.dropoutRate, mode)); // [h, b, t, hd]
    const merged = tf.transpose(context, [1, 2, 0, 3]).reshape([b, t, h * hd]); // [b, t, h·hd]
    return { output: this.out.forward(merged, mode), keys, values };
  }
}
