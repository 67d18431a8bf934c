// Losses of the baselines that learn from negative samples (Li et al. 2024, Table 1: NT, UL, CL).
// All work on next-token log-probabilities: logits [b, t, V] predict token t + 1, and a mask
// [b, t] says which target tokens count (1) and which do not (0: padding, or the question, which a
// positive and a negative of the same question share).
//
//   NT (He & Glass 2020, negative training):   L⁻ = (1/N) Σ_t m_t · max(log p(w_t), log floor)
//        minimising it pushes the negative's likelihood down; below `floor` a token is left alone,
//        so the term stays bounded.
//   UL (Welleck et al. 2020, unlikelihood):    L⁻ = −(1/N) Σ_t m_t · log(1 − p(w_t))
//        with the negative sequence's own tokens as the negative candidates.
//   CL (sequence-level contrastive margin; the rank loss of SLiC, Zhao et al. 2023):
//        L = (1/B) Σ_b max(0, margin − (ℓ̄(r⁺_b) − ℓ̄(r⁻_b))),  ℓ̄ = mean token log-likelihood
//        of the rationale, so a positive must beat a negative of the same question by `margin`.
//
// The stages add each to the ordinary LM loss on the positives (see plugins/nat-student/README.md).

import * as tf from '@tensorflow/tfjs';

/** log p(w_{t+1} | w_≤t) of each target token: logits [b, t, V], ids [b, t] → [b, t − 1]. */
export function targetLogProbs(logits: tf.Tensor3D, ids: tf.Tensor2D): tf.Tensor2D {
  const [b, t, v] = logits.shape;
  return tf.tidy(() => {
    const logp = tf.logSoftmax(tf.slice(logits, [0, 0, 0], [b, t - 1, v])); // [b, t−1, V]
    const next = tf.slice(ids.toInt(), [0, 1], [b, t - 1]); // [b, t−1]
    const onehot = tf.oneHot(next, v).toFloat(); // [b, t−1, V]
    return tf.sum(tf.mul(logp, onehot), -1) as tf.Tensor2D;
  });
}

/** The mask of the target tokens, aligned with targetLogProbs: [b, t] → [b, t − 1]. */
export function targetMask(mask: tf.Tensor2D): tf.Tensor2D {
  const [b, t] = mask.shape;
  return tf.tidy(() => tf.slice(mask.toFloat(), [0, 1], [b, t - 1]) as tf.Tensor2D);
}

function maskedMean(values: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar);
}

/** NT: the mean log-likelihood of the negatives' masked tokens, each floored at log(floor). */
export function negativeTrainingLoss(logits: tf.Tensor3D, ids: tf.Tensor2D, mask: tf.Tensor2D, floor = 1e-3): tf.Scalar {
  return tf.tidy(() => maskedMean(tf.maximum(targetLogProbs(logits, ids), Math.log(floor)) as tf.Tensor2D, targetMask(mask)));
}

/** UL: −mean log(1 − p) over the negatives' masked tokens (1 − p kept above 1e-6). */
export function unlikelihoodLoss(logits: tf.Tensor3D, ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.exp(targetLogProbs(logits, ids)); // [b, t−1]
    const oneMinus = tf.maximum(tf.sub(1, p), 1e-6);
    return maskedMean(tf.neg(tf.log(oneMinus)) as tf.Tensor2D, targetMask(mask));
  });
}

/** Mean log-likelihood of each row's masked tokens: [b]. */
export function meanSequenceLogProb(logits: tf.Tensor3D, ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const m = targetMask(mask);
    return tf.div(tf.sum(tf.mul(targetLogProbs(logits, ids), m), 1), tf.maximum(tf.sum(m, 1), 1)) as tf.Tensor1D;
  });
}

/** CL: mean over pairs of max(0, margin − (ℓ̄⁺ − ℓ̄⁻)); row b of each batch is one question's pair. */
export function contrastiveMarginLoss(posLogits: tf.Tensor3D, posIds: tf.Tensor2D, posMask: tf.Tensor2D,
  negLogits: tf.Tensor3D, negIds: tf.Tensor2D, negMask: tf.Tensor2D, margin = 1): tf.Scalar {
  return tf.tidy(() => {
    const gap = tf.sub(meanSequenceLogProb(posLogits, posIds, posMask), meanSequenceLogProb(negLogits, negIds, negMask)); // [b]
    return tf.mean(tf.relu(tf.sub(margin, gap))) as tf.Scalar;
  });
}
