import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BiEncoder, inBatchAccuracy, retrieverLoss } from '../../src/lib/llmr/bi-encoder.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { trainWordPiece } from '../../src/lib/nn/tokenizer/core.js';
import { groupForStep, PENALTY_SCORE } from '../../src/lib/llmr/groups.js';
import { buildExamples, type TaskTexts } from '../../plugins/retriever/training.js';
import { agreement } from '../../plugins/retriever/agreement.js';
import { at } from '../util/at.js';

// Two queries, groups of two (positive first), unit vectors, τ = 0.5 so that every score is 0 or 2:
//   q1 = e1, group 1 = [e1, e2];   q2 = e2, group 2 = [e2, e1]
const q = () => tf.tensor2d([[1, 0], [0, 1]]);
const k = () => tf.tensor2d([[1, 0], [0, 1], [0, 1], [1, 0]]);
const teacher = () => tf.tensor2d([[1, 0], [0, 1]]);
const E = Math.E;

// By hand: the retriever's group softmax is softmax([2, 0]) for both queries; the teacher's is
// softmax([1, 0]) for q1 and softmax([0, 1]) for q2.
const ps = [E * E / (E * E + 1), 1 / (E * E + 1)];
const pt1 = [E / (E + 1), 1 / (E + 1)];
const pt2 = [1 / (E + 1), E / (E + 1)];
const kl = (p: number[], r: number[]) => p.reduce((s, pi, i) => s + pi * Math.log(pi / r[i]!), 0);
const KL_TEACHER_STUDENT = (kl(pt1, ps) + kl(pt2, ps)) / 2;
const KL_STUDENT_TEACHER = (kl(ps, pt1) + kl(ps, pt2)) / 2;
// Full contrast, row 1 over [qk: 2 0 0 2 | kq: −∞ 0 | qq: −∞ 0 | kk: −∞ 0], target column 0; row 2
// is the mirror image with target column 2: both give −log(e² / (2e² + 5)). Without qq and kk: 2e² + 3.
const FULL = -Math.log((E * E) / (2 * E * E + 5));
const HALF = -Math.log((E * E) / (2 * E * E + 3));

function value(t: tf.Scalar): number {
  return t.dataSync()[0]!;
}

describe('retriever loss on a hand-computed case', () => {
  it('is KL(p_teacher ‖ p_retriever) + α · full InfoNCE', () => {
    const parts = retrieverLoss(q(), k(), teacher(), { temperature: 0.5, alpha: 0.2 });
    expect(value(parts.kl)).toBeCloseTo(KL_TEACHER_STUDENT, 5);
    expect(value(parts.contrastive)).toBeCloseTo(FULL, 5);
    expect(value(parts.loss)).toBeCloseTo(KL_TEACHER_STUDENT + 0.2 * FULL, 5);
  });

  it('takes the KL with the teacher as the target distribution', () => {
    expect(Math.abs(KL_TEACHER_STUDENT - KL_STUDENT_TEACHER)).toBeGreaterThan(0.05); // the case tells the directions apart
    const parts = retrieverLoss(q(), k(), teacher(), { temperature: 0.5 });
    expect(value(parts.kl)).not.toBeCloseTo(KL_STUDENT_TEACHER, 3);
  });

  it('lets α scale the contrastive term and never the KL', () => {
    for (const alpha of [0, 1, 3]) {
      const parts = retrieverLoss(q(), k(), teacher(), { temperature: 0.5, alpha });
      expect(value(parts.kl)).toBeCloseTo(KL_TEACHER_STUDENT, 5);
      expect(value(parts.loss)).toBeCloseTo(KL_TEACHER_STUDENT + alpha * FULL, 5);
    }
  });

  it('drops the q–q and k–k blocks when fullContrastive is off', () => {
    const parts = retrieverLoss(q(), k(), teacher(), { temperature: 0.5, alpha: 1, fullContrastive: false });
    expect(value(parts.contrastive)).toBeCloseTo(HALF, 5);
  });

  it('defaults to LLM-R: τ = 0.01, α = 0.2, the full variant', () => {
    const parts = retrieverLoss(q(), k(), teacher());
    const full = -Math.log(Math.exp(100) / (2 * Math.exp(100) + 5)); // scores 100 or 0
    expect(value(parts.contrastive)).toBeCloseTo(full, 4);
    expect(value(parts.loss)).toBeCloseTo(value(parts.kl) + 0.2 * full, 4);
  });

  it('counts a query right in the batch when its positive is its best candidate', () => {
    expect(inBatchAccuracy(q(), tf.tensor2d([[1, 0], [0.6, 0.8], [0, 1], [0.8, 0.6]]))).toBe(1);
    expect(inBatchAccuracy(q(), tf.tensor2d([[0, 1], [1, 0], [1, 0], [0, 1]]))).toBe(0);
  });
});

describe('retriever groups', () => {
  // One classification query scored on 20 candidates c0 (best) … c19 (worst); labels alternate.
  const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
  const texts: TaskTexts = {
    poolIds: ['q', ...ids],
    query: new Map([['q', 'query'], ...ids.map((id) => [id, `x ${id}`] as [string, string])]),
    demonstration: new Map(ids.map((id) => [id, `x ${id}\ny`])),
    label: new Map([['q', 'yes'], ...ids.map((id, i) => [id, i % 2 === 0 ? 'yes' : 'no'] as [string, string])]),
  };
  const query = { task: 't', source: 0, id: 'q', candidates: ids.map((id, i) => ({ id, score: -i })) };

  it('takes 1 positive from the top 3 and 3 negatives from the bottom 16, other labels only', () => {
    const { examples, sameLabelRemoved } = buildExamples([query], new Map([['t', texts]]), { topkAsPositive: 3, bottomkAsNegative: 16, seed: 1 });
    expect(examples).toHaveLength(1);
    const ex = examples[0]!.example;
    expect(new Set(ex.positives.map((c) => c.id))).toEqual(new Set(['c0', 'c1', 'c2']));
    // Bottom 16 = c4 … c19; the same-label (even) ones are removed: c5, c7, …, c19 remain.
    expect(new Set(ex.negatives.map((c) => c.id))).toEqual(new Set(['c5', 'c7', 'c9', 'c11', 'c13', 'c15', 'c17', 'c19']));
    expect(sameLabelRemoved).toBe(8);
    for (let epoch = 0; epoch < 4; epoch++) {
      const g = groupForStep(ex, { groupSize: 4, epoch, seed: 1, pool: texts.poolIds });
      expect(g.ids).toHaveLength(4);
      expect(['c0', 'c1', 'c2']).toContain(g.ids[0]);
      for (const id of g.ids.slice(1)) expect(Number(id.slice(1)) % 2).toBe(1);
      g.ids.forEach((id, i) => expect(g.scores[i]).toBe(-Number(id.slice(1)))); // teacher scores travel with the ids
    }
  });

  it('mines negatives with a strategy of the negatives library when asked: a rank window, same-label ones skipped', () => {
    const negatives = { strategy: 'window' as const, count: 4, window: { start: 4, end: 12, topUp: 'none' as const } };
    const { examples } = buildExamples([query], new Map([['t', texts]]), { topkAsPositive: 3, bottomkAsNegative: 16, seed: 1, negatives });
    const ids = examples[0]!.example.negatives.map((c) => c.id);
    // Ranks 4–11 are c4 … c11; the even ones share the query's label and are false negatives.
    expect(ids).toHaveLength(4);
    for (const id of ids) expect(['c5', 'c7', 'c9', 'c11']).toContain(id);
    expect(examples[0]!.example.negatives.map((c) => c.score)).toEqual(ids.map((id) => -Number(id.slice(1))));
    // bottom-k is the teacher's own rule, unchanged.
    const plain = buildExamples([query], new Map([['t', texts]]), { topkAsPositive: 3, bottomkAsNegative: 16, seed: 1, negatives: { strategy: 'bottom-k' } });
    expect(plain.examples[0]!.example.negatives.map((c) => c.id).sort()).toEqual(['c11', 'c13', 'c15', 'c17', 'c19', 'c5', 'c7', 'c9']);
  });

  it('keeps same-label negatives for tasks that are not classification', () => {
    const { examples } = buildExamples([query], new Map([['t', { ...texts, label: undefined }]]), { topkAsPositive: 3, bottomkAsNegative: 16, seed: 1 });
    expect(examples[0]!.example.negatives).toHaveLength(16);
  });

  it('fills missing negatives from the pool with the −100 teacher score', () => {
    const few = { ...query, candidates: query.candidates.slice(0, 5) }; // 3 positives, 2 negatives
    const { examples } = buildExamples([few], new Map([['t', { ...texts, label: undefined }]]), { topkAsPositive: 3, bottomkAsNegative: 16, seed: 1 });
    const g = groupForStep(examples[0]!.example, { groupSize: 4, epoch: 0, seed: 1, pool: texts.poolIds });
    expect(g.scores.filter((s) => s === PENALTY_SCORE)).toHaveLength(1);
  });
});

describe('bi-encoder inputs', () => {
  it('cuts a long text at its start, so a candidate keeps its answer: texts that end alike embed alike', async () => {
    await initBackend();
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split(' ');
    const tok = trainWordPiece(Array.from({ length: 20 }, () => `${words.join(' ')} north south yes no`), { vocabSize: 120 });
    const encoder = new BertEncoder({ vocabSize: tok.vocabSize, hiddenSize: 16, embeddingSize: 16, numLayers: 1, numHeads: 2,
      intermediateSize: 32, maxPositions: 8, pooler: false }, 3);
    const model = new BiEncoder(encoder, tok, { maxLength: 8 });
    // Same last words and answer, different starts; both longer than 8 tokens.
    const rows = tf.tidy(() => model.embed([`north ${words.join(' ')}\nyes`, `south south ${words.join(' ')}\nyes`, `north ${words.join(' ')}\nno`]).arraySync());
    const [a, b, other] = [at(rows, 0), at(rows, 1), at(rows, 2)];
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    expect(Math.max(...a.map((v, i) => Math.abs(v - other[i]!)))).toBeGreaterThan(1e-3);
    encoder.dispose();
  });
});

describe('agreement with the teacher', () => {
  const scored = [{ rows: [0, 1, 2, 3, 4], teacher: [5, 4, 3, 2, 1] }];
  it('scores an order that matches the teacher 1 and a reversed one 0', () => {
    expect(agreement(scored, (_, i) => -i, 1, 4)).toMatchObject({ top1: 1, pairwise: 1, randomTop1: 0.2 });
    expect(agreement(scored, (_, i) => i, 1, 4)).toMatchObject({ top1: 0, pairwise: 0 });
  });
  it('breaks ties by pool row, not by the teacher\'s list order', () => {
    const reversedRows = [{ rows: [4, 3, 2, 1, 0], teacher: [5, 4, 3, 2, 1] }];
    expect(agreement(reversedRows, () => 0, 1, 4)).toMatchObject({ top1: 0, pairwise: 0.5 });
  });
});
