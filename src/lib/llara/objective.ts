// The adaptation objective over one joint pass (methods.md §5.2):
//
//   h, z     = decoder(joint batch)                          [b, T, d], [b, T, V]
//   z_EBAE   = z at the EBAE embedding tokens                [b, k, V]   columns [T−R−k, T−R)
//   z_EBAR   = z at the EBAR embedding tokens                [b, k, V]   columns [T−k, T)
//   released code (form 'llara', k = 8):
//     L_BoT  = (1/10) · mean over rows with U ≠ ∅ of −mean_{t∈U} log softmax(max_k z)_t
//              (U = unique target ids, special tokens left out)
//     L      = L_AR(text tokens) + ½ (L_EBAE + L_EBAR)
//   paper v1 (form 'v1', k = 1):
//     L_BoT  = mean over rows with targets of −Σ_{t∈targets} log softmax(z)_t   (repeats count)
//     L      = L_EBAE + L_EBAR
//
// A switched-off task contributes nothing; with only one task on, the released code's ½ stays.

import * as tf from '@tensorflow/tfjs';
import { bagOfTokensLoss, causalLmLoss } from '../nn/losses.js';
import type { Mode } from '../nn/layers/dropout.js';
import { linearTransposed } from '../nn/layers/matmul.js';
import type { JointBatch } from './batch.js';
import type { PromptIds } from './prompts.js';
import type { CausalDecoder } from './vocab.js';

export interface ObjectiveOptions {
  ebae: boolean;
  ebar: boolean;
  /** The AR loss on the text tokens (the released code; off in v1). */
  ar: boolean;
}

export interface Targets {
  /** Per row: the EBAE target ids (the passage). */
  ebae: number[][];
  /** Per row: the EBAR target ids (the next passage; [] when there is none). */
  ebar: number[][];
}

/** Logits at the k positions ending at column `end` (exclusive): hidden [b, T, d] → [b, k, V]. */
export function logitsAt(model: CausalDecoder, hidden: tf.Tensor, end: number, k: number): tf.Tensor3D {
  const [b, , d] = hidden.shape;
  const h = tf.slice(hidden, [0, end - k, 0], [b, k, d as number]).reshape([b * k, d as number]) as tf.Tensor2D; // [b·k, d]
  return linearTransposed(h, model.vocabTable()).reshape([b, k, -1]) as tf.Tensor3D; // [b, k, V]
}

/** The v1 paper's summed loss: −Σ_t log softmax(z)_t over the target list, mean over rows with targets. */
export function summedTokenLoss(logits: tf.Tensor3D, targets: readonly number[][], ignoreIds: Iterable<number>): tf.Scalar {
  const [b, , v] = logits.shape;
  const ignored = new Set(ignoreIds);
  const counts = new Float32Array(b * v);
  let rows = 0;
  targets.forEach((ids, r) => {
    const kept = ids.filter((id) => !ignored.has(id));
    if (kept.length === 0) return;
    rows++;
    for (const id of kept) counts[r * v + id]! += 1;
  });
  if (rows === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const logp = tf.logSoftmax(tf.max(logits, 1), -1); // [b, V]
    return tf.div(tf.neg(tf.sum(tf.mul(tf.tensor2d(counts, [b, v]), logp))), rows) as tf.Scalar;
  });
}

export interface ObjectiveParts {
  total: tf.Scalar;
  ar?: tf.Scalar;
  ebae?: tf.Scalar;
  ebar?: tf.Scalar;
}

export function jointObjective(model: CausalDecoder, batch: JointBatch, targets: Targets, p: PromptIds, o: ObjectiveOptions, mode?: Mode): ObjectiveParts {
  const out = model.forward(
    { inputIds: batch.inputIds, attentionMask: batch.attentionMask, positionIds: batch.positionIds, additiveMask: batch.additiveMask, logits: o.ar },
    mode,
  );
  const parts: ObjectiveParts = { total: tf.scalar(0) };
  const bot = (logits: tf.Tensor3D, ids: number[][]) =>
    p.form === 'v1' ? summedTokenLoss(logits, ids, p.ignoreIds) : bagOfTokensLoss(logits, ids, { scale: 0.1, ignoreIds: p.ignoreIds });
  const weight = p.form === 'v1' ? 1 : 0.5;
  if (o.ebae) {
    parts.ebae = bot(logitsAt(model, out.hidden, batch.t - batch.r, p.k), targets.ebae);
    parts.total = tf.add(parts.total, tf.mul(parts.ebae, weight));
  }
  if (o.ebar) {
    parts.ebar = bot(logitsAt(model, out.hidden, batch.t, p.k), targets.ebar);
    parts.total = tf.add(parts.total, tf.mul(parts.ebar, weight));
  }
  if (o.ar && out.logits) {
    parts.ar = causalLmLoss(out.logits as tf.Tensor3D, batch.labels);
    parts.total = tf.add(parts.total, parts.ar);
  }
  return parts;
}
