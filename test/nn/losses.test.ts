// The losses of src/lib/nn/losses.ts against values worked out here with plain JS arithmetic, their
// gradients under −∞ masks, and KL plus LLM-R's full InfoNCE against PyTorch.
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lib/nn/backend.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  bagOfTokensLoss, causalLmLoss, fullContrastiveLoss, fullContrastiveScores, groupCrossEntropy, groupScores,
  inBatchScores, infoNce, klDivergenceFromLogits, pairwiseRankingLoss, pointwiseLoss, powerRankingLoss,
  softLabelContrastiveLoss,
} from '../../src/lib/nn/losses.js';
import { TORCH_PYTHON } from './torch.js';
import { at } from '../util/at.js';

// The backend the neural core picks (wasm here and in CI).
beforeAll(async () => { await initBackend(); });

// Every test leaves the tensor count where it found it.
let baseline = 0;
beforeEach(() => { baseline = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors).toBe(baseline); });

// ---- plain JS reference arithmetic ----
const lse = (xs: number[]) => { const m = Math.max(...xs); return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0)); };
const logSoftmax = (xs: number[]) => { const z = lse(xs); return xs.map((x) => x - z); };
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * at(b, i), 0);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Runs a loss inside tidy and returns its value as a number. */
function value(f: () => tf.Scalar): number {
  return tf.tidy(() => f().arraySync());
}

/** Gradient of a loss with respect to one input, as nested arrays. */
function gradient(f: (x: tf.Tensor) => tf.Scalar, x: number[][]): number[][] {
  return tf.tidy(() => {
    const g = tf.grad(f)(tf.tensor2d(x));
    return g.arraySync() as number[][];
  });
}

const allFinite = (rows: number[][]) => rows.flat().every(Number.isFinite);

describe('groupCrossEntropy (§1.4)', () => {
  const logits = [[1, 2, 3], [0.5, -1, 2]];
  it('is the mean of −log softmax at the positive, index 0 by default', () => {
    const expected = mean(logits.map((r) => -at(logSoftmax(r), 0)));
    expect(value(() => groupCrossEntropy(tf.tensor2d(logits)))).toBeCloseTo(expected, 6);
  });

  it('takes one positive index for every row or one per row', () => {
    expect(value(() => groupCrossEntropy(tf.tensor2d(logits), 2))).toBeCloseTo(mean(logits.map((r) => -at(logSoftmax(r), 2))), 6);
    expect(value(() => groupCrossEntropy(tf.tensor2d(logits), [2, 1])))
      .toBeCloseTo(mean([-at(logSoftmax(at(logits, 0)), 2), -at(logSoftmax(at(logits, 1)), 1)]), 6);
  });

  it('ignores −∞ candidates and keeps finite gradients, zero on them', () => {
    const masked = [[1, -Infinity, 3], [0, 0, -Infinity]];
    const expected = mean([-(1 - lse([1, 3])), Math.log(2)]);
    expect(value(() => groupCrossEntropy(tf.tensor2d(masked)))).toBeCloseTo(expected, 6);
    const g = gradient((x) => groupCrossEntropy(x as tf.Tensor2D), masked);
    expect(allFinite(g)).toBe(true);
    expect(g[0]?.[1]).toBe(0);
    expect(g[1]?.[2]).toBe(0);
    // d/dz_pos = (softmax − 1)/B
    expect(g[1]?.[0]).toBeCloseTo((0.5 - 1) / 2, 6);
  });

  it('rejects a positive outside the group', () => {
    expect(() => tf.tidy(() => groupCrossEntropy(tf.tensor2d(logits), 3))).toThrow(/target 3 of row 0 is outside 0\.\.2/);
    expect(() => tf.tidy(() => groupCrossEntropy(tf.tensor2d(logits), [0]))).toThrow(/target undefined of row 1|1 targets for 2 rows/);
  });
});

describe('klDivergenceFromLogits (§1.5, batchmean)', () => {
  const teacher = [[1, 2, 0], [0.5, -1, 2]];
  const student = [[0, 1, 1], [2, 0, 0]];
  const klRow = (t: number[], s: number[]) => {
    const lt = logSoftmax(t); const ls = logSoftmax(s);
    return lt.reduce((sum, l, i) => (l === -Infinity ? sum : sum + Math.exp(l) * (l - at(ls, i))), 0);
  };

  it('is Σ p_t (log p_t − log p_s), divided by the batch size', () => {
    const expected = (klRow(at(teacher, 0), at(student, 0)) + klRow(at(teacher, 1), at(student, 1))) / 2;
    expect(value(() => klDivergenceFromLogits(tf.tensor2d(teacher), tf.tensor2d(student)))).toBeCloseTo(expected, 6);
  });

  it('divides teacher and student logits by their temperatures', () => {
    const div = (m: number[][], t: number) => m.map((r) => r.map((x) => x / t));
    const [t, s] = [div(teacher, 0.5), div(student, 2)];
    const expected = (klRow(at(t, 0), at(s, 0)) + klRow(at(t, 1), at(s, 1))) / 2;
    expect(value(() => klDivergenceFromLogits(tf.tensor2d(teacher), tf.tensor2d(student), { teacherTemperature: 0.5, studentTemperature: 2 })))
      .toBeCloseTo(expected, 6);
  });

  it('is zero for equal distributions, even when logits differ by a constant', () => {
    expect(value(() => klDivergenceFromLogits(tf.tensor2d(teacher), tf.tensor2d(teacher.map((r) => r.map((x) => x + 3))))))
      .toBeCloseTo(0, 6);
  });

  it('counts a −∞ teacher logit as probability 0, with finite gradients', () => {
    const maskedTeacher = [[1, -Infinity, 0], [0.5, -1, 2]];
    const expected = (klRow(at(maskedTeacher, 0), at(student, 0)) + klRow(at(maskedTeacher, 1), at(student, 1))) / 2;
    const got = value(() => klDivergenceFromLogits(tf.tensor2d(maskedTeacher), tf.tensor2d(student)));
    expect(got).toBeCloseTo(expected, 6);
    const g = gradient((s) => klDivergenceFromLogits(tf.tensor2d(maskedTeacher), s as tf.Tensor2D), student);
    expect(allFinite(g)).toBe(true);
    // d/ds = (p_s − p_t)/B
    const ps = logSoftmax(at(student, 0)).map(Math.exp);
    expect(g[0]?.[1]).toBeCloseTo(at(ps, 1) / 2, 6);
  });

  it('rejects logits of different shapes', () => {
    expect(() => tf.tidy(() => klDivergenceFromLogits(tf.tensor2d(teacher), tf.tensor2d([[1, 2]])))).toThrow(/differs from student shape/);
  });
});

// Two queries, groups of two candidates (positive first), width 2.
const q = [[1, 0], [0.6, 0.8]];
const k = [[0.8, 0.6], [0, 1], [0.6, 0.8], [1, 0]];
const G = 2;

describe('in-batch InfoNCE (§3.3)', () => {
  it('scores each query against every candidate and against its own group', () => {
    const all = tf.tidy(() => inBatchScores(tf.tensor2d(q), tf.tensor2d(k)).arraySync());
    expect(all).toEqual(q.map((qi) => k.map((kj) => expect.closeTo(dot(qi, kj), 6))));
    const own = tf.tidy(() => groupScores(tf.tensor2d(q), tf.tensor2d(k)).arraySync());
    expect(own).toEqual(q.map((qi, j) => [0, 1].map((i) => expect.closeTo(dot(qi, at(k, j * G + i)), 6))));
  });

  it('is the cross-entropy at column j·G over all B·G candidates divided by τ', () => {
    const tau = 0.5;
    const expected = mean(q.map((qi, j) => -at(logSoftmax(k.map((kj) => dot(qi, kj) / tau)), j * G)));
    expect(value(() => infoNce(tf.tensor2d(q), tf.tensor2d(k), { temperature: tau }))).toBeCloseTo(expected, 5);
  });

  it('with inBatch = false covers the own group only', () => {
    const tau = 0.5;
    const expected = mean(q.map((qi, j) => -at(logSoftmax([0, 1].map((i) => dot(qi, at(k, j * G + i)) / tau)), 0)));
    expect(value(() => infoNce(tf.tensor2d(q), tf.tensor2d(k), { temperature: tau, inBatch: false }))).toBeCloseTo(expected, 5);
  });

  it('rejects candidates that do not split into groups', () => {
    expect(() => tf.tidy(() => infoNce(tf.tensor2d(q), tf.tensor2d(k.slice(0, 3)), { temperature: 1 }))).toThrow(/3 candidates do not split into groups for 2 queries/);
    expect(() => tf.tidy(() => infoNce(tf.tensor2d(q), tf.tensor2d([[1, 2, 3], [4, 5, 6]]), { temperature: 1 }))).toThrow(/query width 2 differs from candidate width 3/);
  });
});

describe("LLM-R's full contrastive loss (§1.5)", () => {
  const tau = 0.1;
  const positives = [at(k, 0), at(k, 2)];
  /** The denominator terms of row j, straight from the equation. */
  const terms = (j: number, full: boolean) => {
    const [qj, pj] = [at(q, j), at(positives, j)];
    const t = k.map((kj) => dot(qj, kj) / tau);                                                   // Σ_k Σ_{d∈G_k}
    for (let o = 0; o < 2; o++) if (o !== j) t.push(dot(pj, at(q, o)) / tau);                    // d_j⁺ vs q_k
    if (full) {
      for (let o = 0; o < 2; o++) if (o !== j) t.push(dot(qj, at(q, o)) / tau);                  // q_j vs q_k
      for (let o = 0; o < 2; o++) if (o !== j) t.push(dot(pj, at(positives, o)) / tau);         // d_j⁺ vs d_k⁺
    }
    return t;
  };
  const expected = (full: boolean) => mean([0, 1].map((j) => -(dot(at(q, j), at(positives, j)) / tau - lse(terms(j, full)))));

  it('lays out [qk | kq | qq | kk] with −∞ diagonals and labels j·G', () => {
    const { rows, labels } = tf.tidy(() => {
      const full = fullContrastiveScores(tf.tensor2d(q), tf.tensor2d(k));
      return { rows: full.scores.arraySync(), labels: full.labels };
    });
    expect(Array.from(labels)).toEqual([0, 2]);
    expect(rows[0]?.length).toBe(4 + 3 * 2);
    expect(rows[0]?.[4]).toBe(-Infinity); expect(rows[1]?.[5]).toBe(-Infinity);   // kq
    expect(rows[0]?.[6]).toBe(-Infinity); expect(rows[1]?.[7]).toBe(-Infinity);   // qq
    expect(rows[0]?.[8]).toBe(-Infinity); expect(rows[1]?.[9]).toBe(-Infinity);   // kk
    expect(rows[0]?.[5]).toBeCloseTo(dot(at(positives, 0), at(q, 1)), 6);
    expect(rows[1]?.[6]).toBeCloseTo(dot(at(q, 1), at(q, 0)), 6);
    expect(rows[0]?.[9]).toBeCloseTo(dot(at(positives, 0), at(positives, 1)), 6);
    expect(tf.tidy(() => fullContrastiveScores(tf.tensor2d(q), tf.tensor2d(k), false).scores.shape)).toEqual([2, 6]);
  });

  it('matches the equation with all four sums and with the first two', () => {
    expect(value(() => fullContrastiveLoss(tf.tensor2d(q), tf.tensor2d(k), { temperature: tau }))).toBeCloseTo(expected(true), 4);
    expect(value(() => fullContrastiveLoss(tf.tensor2d(q), tf.tensor2d(k), { temperature: tau, full: false }))).toBeCloseTo(expected(false), 4);
  });

  it('has finite gradients despite the −∞ diagonals', () => {
    const gq = gradient((x) => fullContrastiveLoss(x as tf.Tensor2D, tf.tensor2d(k), { temperature: tau }), q);
    const gk = gradient((x) => fullContrastiveLoss(tf.tensor2d(q), x as tf.Tensor2D, { temperature: tau }), k);
    expect(allFinite(gq) && allFinite(gk)).toBe(true);
    expect(gq.flat().some((x) => x !== 0)).toBe(true);
  });
});

describe('soft-label weighted contrastive loss (§3.5 b)', () => {
  const tau = 0.5;
  const teacher = [[2, 0.5], [1, -1]];

  it('weights each candidate by softmax(teacher) and hides the higher-ranked ones of its own group', () => {
    const s = q.map((qi) => k.map((kj) => dot(qi, kj) / tau));
    let expected = 0;
    for (let i = 0; i < G; i++) {
      for (let j = 0; j < 2; j++) {
        const w = Math.exp(at(logSoftmax(at(teacher, j)), i));
        const hidden = new Set(Array.from({ length: i }, (_, m) => j * G + m));
        const sj = at(s, j);
        const denominator = sj.filter((_, c) => !hidden.has(c));
        expected += (w * -(at(sj, j * G + i) - lse(denominator))) / 2;
      }
    }
    expect(value(() => softLabelContrastiveLoss(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(teacher), { temperature: tau })))
      .toBeCloseTo(expected, 5);
  });

  it('equals InfoNCE when the teacher puts all its weight on the positive (§3.6 iii)', () => {
    const oneHot = [[0, -Infinity], [0, -Infinity]];
    const soft = value(() => softLabelContrastiveLoss(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(oneHot), { temperature: tau }));
    const hard = value(() => infoNce(tf.tensor2d(q), tf.tensor2d(k), { temperature: tau }));
    expect(soft).toBeCloseTo(hard, 6);
  });

  it('has finite gradients under its −∞ masks', () => {
    const g = gradient((x) => softLabelContrastiveLoss(x as tf.Tensor2D, tf.tensor2d(k), tf.tensor2d(teacher), { temperature: tau }), q);
    expect(allFinite(g)).toBe(true);
  });

  it('rejects teacher scores of the wrong shape', () => {
    expect(() => tf.tidy(() => softLabelContrastiveLoss(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d([[1, 2, 3], [1, 2, 3]]), { temperature: 1 })))
      .toThrow(/teacher scores have shape \[2,3\], expected \[2, 2\]/);
  });
});

describe('ranking losses (§4.3)', () => {
  const pred = [0.9, 0.2, 0.6];
  const target = [1, 0, 1];

  it('pointwise: power 2 is the mean squared error, other powers use |y − ŷ|^p', () => {
    const mse = mean(pred.map((p, i) => (at(target, i) - p) ** 2));
    expect(value(() => pointwiseLoss(tf.tensor1d(pred), tf.tensor1d(target)))).toBeCloseTo(mse, 6);
    expect(value(() => pointwiseLoss(tf.tensor1d(pred), tf.tensor1d(target), { power: 3 })))
      .toBeCloseTo(mean(pred.map((p, i) => Math.abs(at(target, i) - p) ** 3)), 6);
  });

  it('power ranking: (1 − M⁺)^p + (M⁻)^p per pair, p = 3 by default; p = 2 is twice the pair MSE', () => {
    const pos = [0.9, 0.4]; const neg = [0.3, 0.7];
    expect(value(() => powerRankingLoss(tf.tensor1d(pos), tf.tensor1d(neg))))
      .toBeCloseTo(mean([0.1 ** 3 + 0.3 ** 3, 0.6 ** 3 + 0.7 ** 3]), 6);
    const mseOverScores = mean([(1 - 0.9) ** 2, 0.3 ** 2, (1 - 0.4) ** 2, 0.7 ** 2]);
    expect(value(() => powerRankingLoss(tf.tensor1d(pos), tf.tensor1d(neg), { power: 2 }))).toBeCloseTo(2 * mseOverScores, 6);
    expect(value(() => powerRankingLoss(tf.tensor1d(pos), tf.tensor1d(neg), { power: 2 })))
      .toBeCloseTo(2 * value(() => pointwiseLoss(tf.tensor1d([0.9, 0.3, 0.4, 0.7]), tf.tensor1d([1, 0, 1, 0]))), 6);
  });

  it('pairwise: logistic log(1 + e^{−Δ}) and hinge max(0, margin − Δ)', () => {
    const pos = [2, 0.5, -1]; const neg = [1, 1, -1];
    const deltas = pos.map((p, i) => p - at(neg, i));
    expect(value(() => pairwiseRankingLoss(tf.tensor1d(pos), tf.tensor1d(neg))))
      .toBeCloseTo(mean(deltas.map((d) => Math.log(1 + Math.exp(-d)))), 6);
    expect(value(() => pairwiseRankingLoss(tf.tensor1d(pos), tf.tensor1d(neg), { kind: 'hinge', margin: 0.8 })))
      .toBeCloseTo(mean(deltas.map((d) => Math.max(0, 0.8 - d))), 6);
  });

  it('rejects shapes that differ', () => {
    expect(() => tf.tidy(() => pointwiseLoss(tf.tensor1d([1, 2]), tf.tensor1d([1])))).toThrow(/differ in shape/);
    expect(() => tf.tidy(() => powerRankingLoss(tf.tensor1d([1, 2]), tf.tensor1d([1])))).toThrow(/differ in shape/);
    expect(() => tf.tidy(() => pairwiseRankingLoss(tf.tensor1d([1, 2]), tf.tensor1d([1])))).toThrow(/differ in shape/);
  });
});

describe('causalLmLoss (§5.2 L_AR)', () => {
  // B = 2, T = 3, V = 3; position t predicts label t + 1.
  const logits = [
    [[1, 0, 2], [0.5, 1.5, -1], [9, 9, 9]],
    [[0, 0, 0], [2, 1, 0], [9, 9, 9]],
  ];
  const labels = [[7, 2, 1], [7, 0, 2]];
  const nll = (b: number, t: number) => -at(logSoftmax(at(at(logits, b), t)), at(at(labels, b), t + 1));

  it('averages −log p(y_{t+1}) over the shifted positions; the first label and the last logits are unused', () => {
    const expected = mean([nll(0, 0), nll(0, 1), nll(1, 0), nll(1, 1)]);
    expect(value(() => causalLmLoss(tf.tensor3d(logits), tf.tensor2d(labels, undefined, 'int32')))).toBeCloseTo(expected, 6);
  });

  it('skips labels equal to the ignore index and positions the loss mask turns off', () => {
    const ignoring = [[7, 2, -100], [7, 0, 2]];
    expect(value(() => causalLmLoss(tf.tensor3d(logits), tf.tensor2d(ignoring, undefined, 'int32'))))
      .toBeCloseTo(mean([nll(0, 0), nll(1, 0), nll(1, 1)]), 6);
    const mask = [[1, 1, 1], [1, 0, 1]];
    expect(value(() => causalLmLoss(tf.tensor3d(logits), tf.tensor2d(labels, undefined, 'int32'), { lossMask: tf.tensor2d(mask) })))
      .toBeCloseTo(mean([nll(0, 0), nll(0, 1), nll(1, 1)]), 6);
    expect(value(() => causalLmLoss(tf.tensor3d(logits), tf.tensor2d(labels, undefined, 'int32'), { ignoreIndex: 2 })))
      .toBeCloseTo(mean([nll(0, 1), nll(1, 0)]), 6);
  });

  it('is 0, not NaN, when nothing is counted, and its gradient is finite', () => {
    const none = [[7, -100, -100], [7, -100, -100]];
    expect(value(() => causalLmLoss(tf.tensor3d(logits), tf.tensor2d(none, undefined, 'int32')))).toBe(0);
    const g = tf.tidy(() => (tf.grad((x) => causalLmLoss(x as tf.Tensor3D, tf.tensor2d(labels, undefined, 'int32')))(tf.tensor3d(logits))).arraySync() as number[][][]);
    expect(g.flat(2).every(Number.isFinite)).toBe(true);
    expect(g[0]?.[2]?.map(Math.abs)).toEqual([0, 0, 0]); // the last position predicts nothing
  });

  it('rejects labels that do not match the logits', () => {
    expect(() => tf.tidy(() => causalLmLoss(tf.tensor3d(logits), tf.tensor2d([[1, 2]], undefined, 'int32')))).toThrow(/expected labels \[2, 3\]/);
  });
});

describe('bagOfTokensLoss (§5.2 L_EBAE / L_EBAR)', () => {
  // B = 2, K = 2 special positions, V = 4.
  const logits = [
    [[0, 1, 2, -1], [1, 0, 0, 3]],
    [[0.5, 0.5, 0.5, 0.5], [2, -2, 0, 1]],
  ];
  const pooled = logits.map((row) => {
    const [first, second] = [at(row, 0), at(row, 1)];
    return first.map((x, v) => Math.max(x, at(second, v)));
  });

  it('max-pools the positions, averages −log p over unique targets, means over rows, scales by 1/10', () => {
    const row0 = -mean([1, 3].map((t) => at(logSoftmax(at(pooled, 0)), t)));   // targets 1,1,3 → {1,3}
    const row1 = -mean([0, 2].map((t) => at(logSoftmax(at(pooled, 1)), t)));
    expect(value(() => bagOfTokensLoss(tf.tensor3d(logits), [[1, 1, 3], [2, 0]]))).toBeCloseTo(0.1 * mean([row0, row1]), 6);
  });

  it('drops ignored ids and rows left without targets; 0 when no row has one', () => {
    const row0 = -mean([1, 3].map((t) => at(logSoftmax(at(pooled, 0)), t)));
    expect(value(() => bagOfTokensLoss(tf.tensor3d(logits), [[0, 1, 3], [0]], { ignoreIds: [0], scale: 1 }))).toBeCloseTo(row0, 6);
    expect(value(() => bagOfTokensLoss(tf.tensor3d(logits), [[0], []], { ignoreIds: [0] }))).toBe(0);
  });

  it('sends gradient only to the position holding each maximum', () => {
    const g = tf.tidy(() => (tf.grad((x) => bagOfTokensLoss(x as tf.Tensor3D, [[3], [2]]))(tf.tensor3d(logits))).arraySync() as number[][][]);
    expect(g.flat(2).every(Number.isFinite)).toBe(true);
    expect(Math.abs(at(at(at(g, 0), 0), 3))).toBe(0);         // the max of entry 3 in row 0 sits at position 1
    expect(g[0]?.[1]?.[3]).toBeLessThan(0);
  });

  it('rejects target ids outside the vocabulary', () => {
    expect(() => tf.tidy(() => bagOfTokensLoss(tf.tensor3d(logits), [[4], [0]]))).toThrow(/target id 4 of row 0 is outside 0\.\.3/);
  });
});

// ---- PyTorch cross-check ----


const TORCH_SCRIPT = String.raw`
import json, sys, torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
d = json.load(sys.stdin)
out = {}

t = torch.tensor(d['teacher']); s = torch.tensor(d['student'], requires_grad=True)
kl = torch.nn.KLDivLoss(reduction='batchmean', log_target=True)(F.log_softmax(s, -1), F.log_softmax(t, -1))
kl.backward()
out['kl'] = kl.item(); out['kl_grad'] = s.grad.tolist()

for full in (True, False):
    q = torch.tensor(d['q'], requires_grad=True); k = torch.tensor(d['k'], requires_grad=True)
    labels = torch.arange(q.shape[0]) * (k.shape[0] // q.shape[0])
    qk = q @ k.t()
    pos = k.index_select(0, labels)
    kq = pos @ q.t(); kq.fill_diagonal_(float('-inf'))
    blocks = [qk, kq]
    if full:
        qq = q @ q.t(); qq.fill_diagonal_(float('-inf'))
        kk = pos @ pos.t(); kk.fill_diagonal_(float('-inf'))
        blocks += [qq, kk]
    loss = F.cross_entropy(torch.cat(blocks, -1) / d['tau'], labels)
    loss.backward()
    key = 'full' if full else 'half'
    out[key] = loss.item(); out[key + '_grad_q'] = q.grad.tolist(); out[key + '_grad_k'] = k.grad.tolist()
json.dump(out, sys.stdout)
`;

describe('against PyTorch', () => {
  it('KL(batchmean, log_target) and the full InfoNCE agree in value and gradient', () => {
    const python = TORCH_PYTHON;
    // Required everywhere (CI installs Debian's python3-torch); a missing torch is a failure, not a skip.
    expect(python, 'python3 with torch is required (Debian python3-torch; or set RETORT_TORCH_PYTHON)').toBeDefined();

    let seed = 7;
    const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 * 2 - 1; };
    const matrix = (r: number, c: number) => Array.from({ length: r }, () => Array.from({ length: c }, rand));
    const unit = (m: number[][]) => m.map((row) => { const n = Math.hypot(...row); return row.map((x) => x / n); });
    const input = { teacher: matrix(4, 5).map((r) => r.map((x) => 3 * x)), student: matrix(4, 5), q: unit(matrix(3, 4)), k: unit(matrix(9, 4)), tau: 0.05 };

    const run = spawnSync(python!, ['-c', TORCH_SCRIPT], { input: JSON.stringify(input), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const ref = JSON.parse(run.stdout) as {
      kl: number; kl_grad: number[][];
      full: number; full_grad_q: number[][]; full_grad_k: number[][]; half: number; half_grad_q: number[][]; half_grad_k: number[][];
    };

    expect(value(() => klDivergenceFromLogits(tf.tensor2d(input.teacher), tf.tensor2d(input.student)))).toBeCloseTo(ref.kl, 5);
    const klGrad = gradient((s) => klDivergenceFromLogits(tf.tensor2d(input.teacher), s as tf.Tensor2D), input.student);
    expect(maxAbsDiff(klGrad, ref.kl_grad)).toBeLessThan(1e-5);

    for (const [key, full] of [['full', true], ['half', false]] as const) {
      const loss = (qq: tf.Tensor, kk: tf.Tensor) => fullContrastiveLoss(qq as tf.Tensor2D, kk as tf.Tensor2D, { temperature: input.tau, full });
      expect(value(() => loss(tf.tensor2d(input.q), tf.tensor2d(input.k)))).toBeCloseTo(ref[key], 4);
      const gq = gradient((x) => loss(x, tf.tensor2d(input.k)), input.q);
      const gk = gradient((x) => loss(tf.tensor2d(input.q), x), input.k);
      // Scores are /τ = ×20 in float32, hence the looser bound.
      expect(maxAbsDiff(gq, ref[`${key}_grad_q`])).toBeLessThan(1e-4);
      expect(maxAbsDiff(gk, ref[`${key}_grad_k`])).toBeLessThan(1e-4);
    }
  });
});

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - at(at(b, i), j)))));
}
