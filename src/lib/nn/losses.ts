// Training losses of the neural core: pure functions from tensors to a scalar loss.
//
// Notation (as in /work/shared/research/methods.md): B queries per batch, G candidates per query
// (index 0 of each group is the positive, then G−1 hard negatives), D embedding width, V vocabulary,
// T sequence length, τ temperature. Every function returns a tf.Scalar (a mean unless noted) and
// disposes its intermediates.
//
// Masked logits are −∞. Cross-entropies pick the target's log-probability with `where` rather than a
// one-hot product, because 0·(−∞) is NaN in the forward pass and in the gradient; for the same reason
// KL terms with a zero teacher probability are replaced before they are multiplied. No gather is used
// on differentiable paths (the wasm backend has no kernel for its gradient).

import * as tf from '@tensorflow/tfjs';

/** Target class per row: one index for every row, or one per row. */
export type Targets = number | ArrayLike<number>;

// ---------------------------------------------------------------------------------------------
// Helpers

function fail(fn: string, message: string): never {
  throw new Error(`${fn}: ${message}`);
}

function expectRank(fn: string, name: string, t: tf.Tensor, rank: number): void {
  if (t.rank !== rank) fail(fn, `${name} must have rank ${rank}, got shape [${t.shape.join(', ')}]`);
}

/** A [rows, cols] boolean tensor, true at (r, targets[r]). */
function oneHotMask(fn: string, rows: number, cols: number, targets: Targets): tf.Tensor2D {
  const mask = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const t = typeof targets === 'number' ? targets : targets[r];
    if (t === undefined || !Number.isInteger(t) || t < 0 || t >= cols) {
      fail(fn, `target ${String(t)} of row ${r} is outside 0..${cols - 1}`);
    }
    mask[r * cols + t] = 1;
  }
  if (typeof targets !== 'number' && targets.length !== rows) {
    fail(fn, `${targets.length} targets for ${rows} rows`);
  }
  return tf.tensor2d(mask, [rows, cols], 'bool');
}

/** Σ over the last axis of `values` where `mask` is true, 0 elsewhere; safe when `values` has −∞. */
function pick(values: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.sum(tf.where(mask, values, tf.zerosLike(values)), -1);
}

/** −log softmax(logits)[target] per row: [rows]. */
function rowCrossEntropy(logits: tf.Tensor2D, targetMask: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(pick(tf.logSoftmax(logits, -1), targetMask)) as tf.Tensor1D;
}

/** A [n, n] boolean tensor, true on the diagonal. */
function diagonalMask(n: number): tf.Tensor2D {
  const mask = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) mask[i * n + i] = 1;
  return tf.tensor2d(mask, [n, n], 'bool');
}

function maskDiagonal(scores: tf.Tensor2D): tf.Tensor2D {
  const n = scores.shape[0];
  return tf.where(diagonalMask(n), tf.fill([n, n], -Infinity), scores) as tf.Tensor2D;
}

function groupSizeOf(fn: string, q: tf.Tensor2D, k: tf.Tensor2D): number {
  expectRank(fn, 'queries', q, 2);
  expectRank(fn, 'candidates', k, 2);
  const [b, d] = q.shape;
  const [n, dk] = k.shape;
  if (d !== dk) fail(fn, `query width ${d} differs from candidate width ${dk}`);
  if (b === 0 || n % b !== 0) fail(fn, `${n} candidates do not split into groups for ${b} queries`);
  return n / b;
}

/** Labels j·G of each query's positive among all B·G candidates. */
function positiveColumns(b: number, g: number): Int32Array {
  return Int32Array.from({ length: b }, (_, j) => j * g);
}

// ---------------------------------------------------------------------------------------------
// Scores

/** q · kᵀ over all candidates of the batch: q [B,D], k [B·G,D] → [B, B·G]. */
export function inBatchScores(q: tf.Tensor2D, k: tf.Tensor2D): tf.Tensor2D {
  groupSizeOf('inBatchScores', q, k);
  return tf.matMul(q, k, false, true);
}

/** Each query against its own group only: q [B,D], k [B·G,D] → [B,G] (row j: q_j · k_{jG+i}). */
export function groupScores(q: tf.Tensor2D, k: tf.Tensor2D): tf.Tensor2D {
  const g = groupSizeOf('groupScores', q, k);
  return tf.tidy(() => {
    const [b, d] = q.shape;
    const grouped = tf.reshape(k, [b, g, d]);                       // [B,G,D]
    const s = tf.matMul(tf.reshape(q, [b, 1, d]), grouped, false, true); // [B,1,G]
    return tf.reshape(s, [b, g]) as tf.Tensor2D;
  });
}

// ---------------------------------------------------------------------------------------------
// Cross-entropy and distillation

/**
 * Softmax cross-entropy over a group, mean over rows (methods.md §1.4, the reward model):
 *   L = −(1/B) Σ_j log( e^{z_{j,t_j}} / Σ_i e^{z_{j,i}} )
 * logits [B,G]; the positive is at `positive` (default 0) for every row, or per row. Entries may be −∞.
 */
export function groupCrossEntropy(logits: tf.Tensor2D, positive: Targets = 0): tf.Scalar {
  expectRank('groupCrossEntropy', 'logits', logits, 2);
  const [b, g] = logits.shape;
  return tf.tidy(() => tf.mean(rowCrossEntropy(logits, oneHotMask('groupCrossEntropy', b, g, positive))));
}

export interface KlOptions {
  /** Divides the teacher logits (LLM-Embedder's teacher_temperature); default 1. */
  teacherTemperature?: number;
  /** Divides the student logits; default 1. */
  studentTemperature?: number;
}

/**
 * KL(p_teacher ‖ p_student) from logits, "batchmean" (methods.md §1.5, L_distill; §3.5 (a)):
 *   p_t = softmax(t / T_t), log p_s = log_softmax(s / T_s)
 *   L = (1/B) Σ_j Σ_i p_t(j,i) (log p_t(j,i) − log p_s(j,i))
 * This equals PyTorch's KLDivLoss(reduction='batchmean', log_target=True)(log p_s, log p_t). Terms
 * with p_t = 0 (a −∞ teacher logit) count as 0 where PyTorch would give NaN.
 * teacherLogits, studentLogits [B,G].
 */
export function klDivergenceFromLogits(teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D, options: KlOptions = {}): tf.Scalar {
  expectRank('klDivergenceFromLogits', 'teacher logits', teacherLogits, 2);
  expectRank('klDivergenceFromLogits', 'student logits', studentLogits, 2);
  if (teacherLogits.shape.join() !== studentLogits.shape.join()) {
    fail('klDivergenceFromLogits', `teacher shape [${teacherLogits.shape}] differs from student shape [${studentLogits.shape}]`);
  }
  const { teacherTemperature = 1, studentTemperature = 1 } = options;
  return tf.tidy(() => {
    const logPt = tf.logSoftmax(tf.div(teacherLogits, teacherTemperature), -1); // [B,G]
    const logPs = tf.logSoftmax(tf.div(studentLogits, studentTemperature), -1); // [B,G]
    const present = tf.isFinite(logPt);                                          // p_t > 0
    const zeros = tf.zerosLike(logPt);
    const safeLogPt = tf.where(present, logPt, zeros);
    const safeLogPs = tf.where(present, logPs, zeros);
    const terms = tf.mul(tf.exp(safeLogPt), tf.sub(safeLogPt, safeLogPs));
    return tf.div(tf.sum(tf.where(present, terms, zeros)), teacherLogits.shape[0]) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------
// Contrastive losses

export interface ContrastiveOptions {
  /** Scores are q·k / τ (LLM-R τ = 0.01, BGE 0.02, DPR 1). */
  temperature: number;
}

export interface InfoNceOptions extends ContrastiveOptions {
  /** Softmax over every candidate of the batch (true, the default) or over the own group only. */
  inBatch?: boolean;
}

/**
 * InfoNCE with in-batch negatives (methods.md §3.3):
 *   L = −(1/B) Σ_j log( exp(q_j·p_j⁺/τ) / Σ_{k=1..B} Σ_{p∈G_k} exp(q_j·p/τ) ),   target column j·G
 * q [B,D], k [B·G,D] (group j = rows jG..jG+G−1, positive first). Normalise the embeddings first for
 * cosine similarity. With inBatch = false the softmax covers the own group only.
 */
export function infoNce(q: tf.Tensor2D, k: tf.Tensor2D, options: InfoNceOptions): tf.Scalar {
  const g = groupSizeOf('infoNce', q, k);
  const b = q.shape[0];
  return tf.tidy(() => {
    if (options.inBatch === false) return groupCrossEntropy(tf.div(groupScores(q, k), options.temperature) as tf.Tensor2D, 0);
    const scores = tf.div(tf.matMul(q, k, false, true), options.temperature) as tf.Tensor2D; // [B, B·G]
    return tf.mean(rowCrossEntropy(scores, oneHotMask('infoNce', b, b * g, positiveColumns(b, g)))) as tf.Scalar;
  });
}

export interface FullContrastiveScores {
  /** [B, B·G + B] (full = false) or [B, B·G + 3B]: [qk | kq | qq | kk], diagonals of kq, qq, kk at −∞; not divided by τ. */
  scores: tf.Tensor2D;
  /** Target column of each row: j·G. */
  labels: Int32Array;
}

/**
 * LLM-R's score matrix for the "full" contrastive loss (methods.md §1.5, L_cont; LMOps
 * `full_contrastive_scores_and_labels`). With d_j⁺ = k[jG]:
 *   qk [B,B·G] = q·kᵀ                 every candidate of the batch
 *   kq [B,B]   = d⁺·qᵀ, diagonal −∞   the positive against the other queries
 *   qq [B,B]   = q·qᵀ,  diagonal −∞   (full only) the query against the other queries
 *   kk [B,B]   = d⁺·d⁺ᵀ, diagonal −∞  (full only) the positive against the other positives
 */
export function fullContrastiveScores(q: tf.Tensor2D, k: tf.Tensor2D, full = true): FullContrastiveScores {
  const g = groupSizeOf('fullContrastiveScores', q, k);
  const [b, d] = q.shape;
  const scores = tf.tidy(() => {
    const qk = tf.matMul(q, k, false, true);                                   // [B, B·G]
    // The positives, without a gather: the first row of each group.
    const positives = tf.reshape(tf.slice(tf.reshape(k, [b, g, d]), [0, 0, 0], [b, 1, d]), [b, d]); // [B,D]
    const kq = maskDiagonal(tf.matMul(positives, q, false, true));            // [B,B]
    if (!full) return tf.concat([qk, kq], 1) as tf.Tensor2D;
    const qq = maskDiagonal(tf.matMul(q, q, false, true));                    // [B,B]
    const kk = maskDiagonal(tf.matMul(positives, positives, false, true));    // [B,B]
    return tf.concat([qk, kq, qq, kk], 1) as tf.Tensor2D;
  });
  return { scores, labels: positiveColumns(b, g) };
}

export interface FullContrastiveOptions extends ContrastiveOptions {
  /** All four blocks (LLM-R's default `full_contrastive_loss=True`) or only qk and kq. */
  full?: boolean;
}

/**
 * LLM-R's full InfoNCE (methods.md §1.5):
 *   L = −(1/B) Σ_j log( e^{s(q_j,d_j⁺)} / [ Σ_k Σ_{d∈G_k} e^{s(q_j,d)} + Σ_{k≠j} e^{s(d_j⁺,q_k)}
 *                                          + Σ_{k≠j} e^{s(q_j,q_k)} + Σ_{k≠j} e^{s(d_j⁺,d_k⁺)} ] )
 * with s = ·/τ; full = false keeps the first two sums. q [B,D], k [B·G,D].
 */
export function fullContrastiveLoss(q: tf.Tensor2D, k: tf.Tensor2D, options: FullContrastiveOptions): tf.Scalar {
  return tf.tidy(() => {
    const { scores, labels } = fullContrastiveScores(q, k, options.full ?? true);
    const [b, c] = scores.shape;
    const logits = tf.div(scores, options.temperature) as tf.Tensor2D;
    return tf.mean(rowCrossEntropy(logits, oneHotMask('fullContrastiveLoss', b, c, labels))) as tf.Scalar;
  });
}

/**
 * LLM-Embedder's rank-aware soft-label contrastive loss (methods.md §3.5 (b), `stable_distill`):
 *   w_{j,i} = softmax(r_j)_i
 *   L = Σ_{i=1..G} (1/B) Σ_j w_{j,i} · ( −log  e^{s(q_j,c_{j,i})} / Σ_{c ∈ batch \ {c_{j,1..i−1}}} e^{s(q_j,c)} )
 * Each candidate is a positive with weight w; the candidates before it in its own group are masked
 * out of the denominator, so each group must be sorted by teacher score, descending (the chosen
 * positive first). q [B,D], k [B·G,D], teacherScores [B,G] (raw, temperature 1); s = q·k/τ.
 */
export function softLabelContrastiveLoss(q: tf.Tensor2D, k: tf.Tensor2D, teacherScores: tf.Tensor2D, options: ContrastiveOptions): tf.Scalar {
  const g = groupSizeOf('softLabelContrastiveLoss', q, k);
  const b = q.shape[0];
  expectRank('softLabelContrastiveLoss', 'teacher scores', teacherScores, 2);
  if (teacherScores.shape[0] !== b || teacherScores.shape[1] !== g) {
    fail('softLabelContrastiveLoss', `teacher scores have shape [${teacherScores.shape}], expected [${b}, ${g}]`);
  }
  const c = b * g;
  // For the i-th candidate as positive: mask[i][j] hides columns jG..jG+i−1; target[i][j] = jG+i.
  const hidden = new Uint8Array(g * b * c);
  const target = new Uint8Array(g * b * c);
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < b; j++) {
      const row = (i * b + j) * c;
      for (let m = 0; m < i; m++) hidden[row + j * g + m] = 1;
      target[row + j * g + i] = 1;
    }
  }
  return tf.tidy(() => {
    const scores = tf.div(tf.matMul(q, k, false, true), options.temperature);           // [B,C]
    const stacked = tf.broadcastTo(tf.reshape(scores, [1, b, c]), [g, b, c]);          // [G,B,C]
    const masked = tf.where(tf.tensor3d(hidden, [g, b, c], 'bool'), tf.fill([g, b, c], -Infinity), stacked);
    const ce = tf.neg(pick(tf.logSoftmax(masked, -1), tf.tensor3d(target, [g, b, c], 'bool'))); // [G,B]
    const weights = tf.transpose(tf.softmax(teacherScores, -1));                          // [G,B]
    return tf.div(tf.sum(tf.mul(weights, ce)), b) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------
// Ranking losses (methods.md §4.3, ASC)

export interface PowerOptions {
  /** Exponent p of |target − prediction|; 2 is the mean squared error. */
  power?: number;
}

/**
 * Pointwise regression to targets: L = (1/N) Σ |y_n − ŷ_n|^p (p = 2: MSE, ASC's `is_ft` branch).
 * predictions, targets [N] (or any equal shapes).
 */
export function pointwiseLoss(predictions: tf.Tensor, targets: tf.Tensor, options: PowerOptions = {}): tf.Scalar {
  if (predictions.shape.join() !== targets.shape.join()) {
    fail('pointwiseLoss', `predictions [${predictions.shape}] and targets [${targets.shape}] differ in shape`);
  }
  const power = options.power ?? 2;
  return tf.tidy(() => tf.mean(power === 2 ? tf.square(tf.sub(targets, predictions)) : tf.pow(tf.abs(tf.sub(targets, predictions)), power)));
}

/**
 * ASC's power ranking loss over (positive, negative) pairs of probabilities in (0,1):
 *   L = (1/N) Σ_n [ (1 − M(x,r_n⁺))^p + M(x,r_n⁻)^p ]
 * p = 3 in the released code (`pownum1`); with p = 2 each pair term is the squared error to the
 * targets 1 and 0, i.e. twice the MSE over the pair's two scores. positive, negative [N].
 */
export function powerRankingLoss(positive: tf.Tensor1D, negative: tf.Tensor1D, options: PowerOptions = {}): tf.Scalar {
  if (positive.shape.join() !== negative.shape.join()) {
    fail('powerRankingLoss', `positive [${positive.shape}] and negative [${negative.shape}] differ in shape`);
  }
  const power = options.power ?? 3;
  return tf.tidy(() => tf.mean(tf.add(tf.pow(tf.sub(1, positive), power), tf.pow(negative, power))));
}

export interface PairwiseOptions {
  /** 'logistic' (RankNet, log(1 + e^{−Δ})) or 'hinge' (max(0, margin − Δ)); default logistic. */
  kind?: 'logistic' | 'hinge';
  /** Margin of the hinge form; default 1. */
  margin?: number;
}

/**
 * Pairwise ranking over score differences Δ_n = s_n⁺ − s_n⁻, mean over pairs:
 *   logistic: L = (1/N) Σ log(1 + e^{−Δ_n})      hinge: L = (1/N) Σ max(0, margin − Δ_n)
 * positive, negative [N] (raw scores).
 */
export function pairwiseRankingLoss(positive: tf.Tensor1D, negative: tf.Tensor1D, options: PairwiseOptions = {}): tf.Scalar {
  if (positive.shape.join() !== negative.shape.join()) {
    fail('pairwiseRankingLoss', `positive [${positive.shape}] and negative [${negative.shape}] differ in shape`);
  }
  const { kind = 'logistic', margin = 1 } = options;
  return tf.tidy(() => {
    const delta = tf.sub(positive, negative);
    return tf.mean(kind === 'hinge' ? tf.relu(tf.sub(margin, delta)) : tf.softplus(tf.neg(delta)));
  });
}

// ---------------------------------------------------------------------------------------------
// Language-model losses

export interface CausalLmOptions {
  /** [B,T], aligned with `labels`: 1 where the label counts, 0 where it does not. */
  lossMask?: tf.Tensor2D;
  /** Labels equal to this value are not counted (Hugging Face's −100). */
  ignoreIndex?: number;
}

/**
 * Next-token cross-entropy with shifted labels (LLaRA's L_AR, methods.md §5.2; HF `CrossEntropyLoss`):
 *   L = −(1/|S|) Σ_{(b,t)∈S} log softmax(z_{b,t})[y_{b,t+1}],   t = 0..T−2
 * where S holds the positions whose label y_{b,t+1} is not `ignoreIndex` and whose lossMask is 1.
 * logits [B,T,V]; labels [B,T] int32 (usually the input ids). With no counted position the loss is
 * 0 (PyTorch gives NaN).
 */
export function causalLmLoss(logits: tf.Tensor3D, labels: tf.Tensor2D, options: CausalLmOptions = {}): tf.Scalar {
  expectRank('causalLmLoss', 'logits', logits, 3);
  expectRank('causalLmLoss', 'labels', labels, 2);
  const [b, t, v] = logits.shape;
  if (labels.shape[0] !== b || labels.shape[1] !== t) {
    fail('causalLmLoss', `labels have shape [${labels.shape}], logits [${logits.shape}]: expected labels [${b}, ${t}]`);
  }
  const { lossMask, ignoreIndex = -100 } = options;
  if (lossMask && (lossMask.shape[0] !== b || lossMask.shape[1] !== t)) {
    fail('causalLmLoss', `loss mask has shape [${lossMask.shape}], expected [${b}, ${t}]`);
  }
  if (t < 2) return tf.scalar(0);
  return tf.tidy(() => {
    const shiftedLogits = tf.slice(logits, [0, 0, 0], [b, t - 1, v]);                 // [B,T−1,V]
    const shiftedLabels = tf.slice(labels.toInt(), [0, 1], [b, t - 1]);                // [B,T−1]
    let counted = tf.notEqual(shiftedLabels, ignoreIndex);                             // [B,T−1]
    if (lossMask) counted = tf.logicalAnd(counted, tf.notEqual(tf.slice(lossMask, [0, 1], [b, t - 1]), 0));
    const safeLabels = tf.where(counted, shiftedLabels, tf.zerosLike(shiftedLabels));
    const target = tf.cast(tf.oneHot(tf.reshape(safeLabels, [-1]), v), 'bool');       // [B(T−1),V]
    const logp = pick(tf.logSoftmax(tf.reshape(shiftedLogits, [-1, v]), -1), target); // [B(T−1)]
    const weight = tf.cast(tf.reshape(counted, [-1]), 'float32');
    const total = tf.sum(weight);
    return tf.div(tf.sum(tf.mul(tf.neg(logp), weight)), tf.maximum(total, 1)) as tf.Scalar;
  });
}

export interface BagOfTokensOptions {
  /** Multiplies the loss (LLaRA: 1/10). */
  scale?: number;
  /** Token ids never used as targets (LLaRA drops ids ≤ 2: unk, bos, eos of Llama). */
  ignoreIds?: Iterable<number>;
}

/**
 * LLaRA's bag-of-tokens loss (methods.md §5.2, L_EBAE / L_EBAR):
 *   z̄_b = max_k z_{b,k} (per vocabulary entry, over the K special positions)
 *   L = scale · (1/B') Σ_b ( −(1/|U_b|) Σ_{t∈U_b} log softmax(z̄_b)_t )
 * U_b = the unique target ids of row b (minus ignoreIds); B' = rows with a non-empty U_b; L = 0 when
 * every U_b is empty. logits [B,K,V] (the K = 8 special positions); targets: B lists of token ids.
 */
export function bagOfTokensLoss(logits: tf.Tensor3D, targets: readonly ArrayLike<number>[], options: BagOfTokensOptions = {}): tf.Scalar {
  expectRank('bagOfTokensLoss', 'logits', logits, 3);
  const [b, , v] = logits.shape;
  if (targets.length !== b) fail('bagOfTokensLoss', `${targets.length} target lists for ${b} rows`);
  const { scale = 0.1 } = options;
  const ignored = new Set(options.ignoreIds ?? []);
  // weights[b, t] = 1/|U_b| for t ∈ U_b.
  const weights = new Float32Array(b * v);
  let rows = 0;
  for (const [r, row] of targets.entries()) {
    const unique = new Set<number>();
    for (const id of Array.from(row)) {
      if (!Number.isInteger(id) || id < 0 || id >= v) fail('bagOfTokensLoss', `target id ${id} of row ${r} is outside 0..${v - 1}`);
      if (!ignored.has(id)) unique.add(id);
    }
    if (unique.size === 0) continue;
    rows++;
    for (const id of unique) weights[r * v + id] = 1 / unique.size;
  }
  if (rows === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const pooled = tf.max(logits, 1);                       // [B,V]
    const logp = tf.logSoftmax(pooled, -1);                 // [B,V]
    const w = tf.tensor2d(weights, [b, v]);
    return tf.mul(tf.neg(tf.sum(tf.mul(w, logp))), scale / rows) as tf.Scalar;
  });
}
