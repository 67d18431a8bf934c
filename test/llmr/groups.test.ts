// Positive/negative selection and the per-step groups, against values worked out by hand.
import { describe, expect, it } from 'vitest';
import {
  PENALTY_SCORE,
  fillNegatives,
  filterInvalidExamples,
  groupForStep,
  isValidExample,
  sliceWithMod,
  toPositiveNegative,
  type PositiveNegativeExample,
  type ScoredQuery,
} from '../../src/lib/llmr/groups.js';

const ids = (cs: { id: string }[]) => cs.map((c) => c.id);
const sortedIds = (cs: { id: string }[]) => ids(cs).sort();

// Twenty candidates d00..d19 with scores 0, −1, …, −19 given in a scrambled order.
function twentyCandidates(): ScoredQuery {
  const order = [7, 0, 19, 3, 12, 1, 5, 18, 2, 9, 4, 15, 6, 11, 8, 17, 10, 14, 13, 16];
  return { id: 'q', candidates: order.map((i) => ({ id: `d${String(i).padStart(2, '0')}`, score: -i })) };
}

describe('validity filter (filter_invalid_examples)', () => {
  it('drops a query with 3 or fewer candidates and keeps one with 4', () => {
    const three: ScoredQuery = { id: 'a', candidates: [{ id: 'x', score: 1 }, { id: 'y', score: 0 }, { id: 'z', score: -1 }] };
    const four: ScoredQuery = { id: 'b', candidates: [...three.candidates, { id: 'w', score: -2 }] };
    expect(isValidExample(three)).toBe(false);
    expect(isValidExample(four)).toBe(true);
  });

  it('drops a query whose 3rd-best score is −100 or below, whatever the order of the list', () => {
    const penalised: ScoredQuery = {
      id: 'a',
      candidates: [{ id: 'p', score: -100 }, { id: 'x', score: -1 }, { id: 'q', score: -150 }, { id: 'y', score: -2.5 }],
    };
    // Sorted: −1, −2.5, −100, −150 → third best is −100 → dropped.
    expect(isValidExample(penalised)).toBe(false);
    const justAbove: ScoredQuery = {
      id: 'b',
      candidates: [{ id: 'p', score: -99.9 }, { id: 'x', score: -1 }, { id: 'q', score: -150 }, { id: 'y', score: -2.5 }],
    };
    expect(isValidExample(justAbove)).toBe(true);
  });

  it('reports how many queries it dropped and keeps the rest in order', () => {
    const good = twentyCandidates();
    const bad: ScoredQuery = { id: 'short', candidates: [{ id: 'x', score: 0 }] };
    const { kept, dropped } = filterInvalidExamples([bad, good, bad]);
    expect(dropped).toBe(2);
    expect(kept).toEqual([good]);
  });
});

describe('positives and negatives (to_positive_negative_format)', () => {
  it('takes the top 3 as positives and the bottom 16 as negatives, disjoint', () => {
    const ex = toPositiveNegative(twentyCandidates(), { seed: 1 });
    expect(sortedIds(ex.positives)).toEqual(['d00', 'd01', 'd02']);
    // Bottom 16 of 20 = ranks 4..19 = d04..d19; d03 is neither.
    expect(sortedIds(ex.negatives)).toEqual(Array.from({ length: 16 }, (_, i) => `d${String(i + 4).padStart(2, '0')}`));
    expect(ex.positives.find((c) => c.id === 'd01')?.score).toBe(-1);
  });

  it('with bottomkAsNegative −1 every non-positive is a negative', () => {
    const ex = toPositiveNegative(twentyCandidates(), { seed: 1, bottomkAsNegative: -1 });
    expect(ex.negatives).toHaveLength(17);
    expect(sortedIds(ex.negatives)[0]).toBe('d03');
  });

  it('never lets the bottom k overlap the positives when the list is short', () => {
    const q: ScoredQuery = { id: 'q', candidates: [5, 4, 3, 2, 1].map((s) => ({ id: `c${s}`, score: s })) };
    const ex = toPositiveNegative(q, { seed: 0 });
    expect(sortedIds(ex.positives)).toEqual(['c3', 'c4', 'c5']);
    expect(sortedIds(ex.negatives)).toEqual(['c1', 'c2']);
  });

  it('shuffles with the seed: same seed same order, another seed another order', () => {
    const a = toPositiveNegative(twentyCandidates(), { seed: 7 });
    const b = toPositiveNegative(twentyCandidates(), { seed: 7 });
    const c = toPositiveNegative(twentyCandidates(), { seed: 8 });
    expect(ids(a.negatives)).toEqual(ids(b.negatives));
    expect(ids(a.negatives)).not.toEqual(ids(c.negatives));
    // The shuffle really permutes: the negatives are not left in score order.
    expect(ids(a.negatives)).not.toEqual(sortedIds(a.negatives));
  });

  it('rejects a bottomkAsNegative of 0', () => {
    expect(() => toPositiveNegative(twentyCandidates(), { seed: 0, bottomkAsNegative: 0 })).toThrow(/bottomkAsNegative/);
  });
});

describe('per-step groups (group_doc_ids)', () => {
  const example: PositiveNegativeExample = {
    queryId: 'q',
    positives: [{ id: 'p0', score: -1 }, { id: 'p1', score: -2 }, { id: 'p2', score: -3 }],
    negatives: ['n0', 'n1', 'n2', 'n3', 'n4'].map((id, i) => ({ id, score: -10 - i })),
  };

  it('slices cyclically', () => {
    expect(sliceWithMod(['a', 'b', 'c'], 4, 2)).toEqual(['b', 'c']);
    expect(sliceWithMod(['a', 'b', 'c'], 2, 4)).toEqual(['c', 'a', 'b', 'c']);
  });

  it('uses offset epoch + seed: positive o mod P, negatives from o·(G−1) mod N', () => {
    // G = 4, seed 1, epoch 0 → o = 1: positive p1; negatives start at 3: n3, n4, n0.
    const g0 = groupForStep(example, { groupSize: 4, epoch: 0, seed: 1, pool: [] });
    expect(g0.ids).toEqual(['p1', 'n3', 'n4', 'n0']);
    expect(g0.scores).toEqual([-2, -13, -14, -10]);
    // epoch 1 → o = 2: positive p2; negatives start at 6 mod 5 = 1: n1, n2, n3.
    const g1 = groupForStep(example, { groupSize: 4, epoch: 1, seed: 1, pool: [] });
    expect(g1.ids).toEqual(['p2', 'n1', 'n2', 'n3']);
    // epoch 2 → o = 3: positive p0; negatives start at 9 mod 5 = 4: n4, n0, n1.
    const g2 = groupForStep(example, { groupSize: 4, epoch: 2, seed: 1, pool: [] });
    expect(g2.ids).toEqual(['p0', 'n4', 'n0', 'n1']);
  });

  it('fills missing negatives with pool documents at −100, avoiding the query and its candidates', () => {
    const pool = ['q', 'p0', 'p1', 'p2', 'n0', 'n1', 'n2', 'n3', 'n4', 'r0', 'r1'];
    // G = 8 needs 7 negatives; the example has 5, so 2 fillers from {r0, r1}.
    const filled = fillNegatives(example, 7, pool, 3, 0);
    expect(ids(filled.slice(0, 5))).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(filled.slice(5).every((c) => (c.id === 'r0' || c.id === 'r1') && c.score === PENALTY_SCORE)).toBe(true);
    expect(filled).toHaveLength(7);
    const g = groupForStep(example, { groupSize: 8, epoch: 0, seed: 3, pool });
    // o = 3 → p0 (3 mod 3); negatives start at 21 mod 7 = 0 → the whole filled list in order.
    expect(g.ids).toEqual(['p0', ...ids(filled)]);
    expect(g.scores.slice(6)).toEqual([PENALTY_SCORE, PENALTY_SCORE]);
  });

  it('fills from the whole pool when nothing new is left, and fails clearly on an empty pool', () => {
    const filled = fillNegatives(example, 6, ['n0'], 0, 0);
    expect(filled[5]).toEqual({ id: 'n0', score: PENALTY_SCORE });
    expect(() => fillNegatives(example, 6, [], 0, 0)).toThrow(/pool is empty/);
  });

  it('draws the same fillers for the same seed and epoch', () => {
    const pool = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const a = fillNegatives(example, 12, pool, 5, 2);
    const b = fillNegatives(example, 12, pool, 5, 2);
    const c = fillNegatives(example, 12, pool, 5, 3);
    expect(a).toEqual(b);
    expect(ids(a)).not.toEqual(ids(c));
  });

  it('refuses an example without positives', () => {
    expect(() => groupForStep({ ...example, positives: [] }, { groupSize: 4, epoch: 0, seed: 0, pool: [] })).toThrow(/no positive/);
  });
});
