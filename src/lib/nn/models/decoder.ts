// What the causal decoders (GPT-2, Llama) take and give.

import * as tf from '@tensorflow/tfjs';

export interface DecoderInputs {
  /** [b, t] int32. */
  inputIds: tf.Tensor;
  /** [b, t], 1 = token, 0 = padding (left or right). */
  attentionMask?: tf.Tensor;
  /** Any additive mask [b, 1|h, t, t], added to the causal one (LLaRA blocks prompt spans). */
  additiveMask?: tf.Tensor;
  /** [b, t] int32; 0..t-1 when absent. LLaRA gives two suffixes the same positions. */
  positionIds?: tf.Tensor;
  /** Apply the causal mask (default true); false leaves masking entirely to additiveMask. */
  causal?: boolean;
  /** Compute logits (default true); a pooling-only caller can skip the vocabulary product. */
  logits?: boolean;
}

export interface DecoderOutput {
  /** Last hidden states after the final norm [b, t, d]. */
  hidden: tf.Tensor;
  /** LM logits [b, t, V] unless `logits: false`. */
  logits?: tf.Tensor;
}

/** 0..t-1 for every row: [b, t] int32. */
export function defaultPositions(b: number, t: number): tf.Tensor {
  return tf.range(0, t, 1, 'int32').reshape([1, t]).tile([b, 1]);
}
