// ASC's voting on hand-computed cases: f ≡ 1 is majority voting, 1 + s and s weigh by the
// ranking model's score, ties are credited 1/|tied set|, answerless samples do not vote, and
// unscorable candidates get the mean score of the others.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/lib/nn/train/rng.js';
import { isMathEquiv } from '../../src/lib/reasoning/answers.js';
import { fillMissingScores, vote, voteCredit, type Candidate } from '../../src/lib/reasoning/votes.js';

const c = (answer: string | null, score: number): Candidate => ({ answer, score });

describe('weighted voting', () => {
  // Three say 7 with low scores, two say 9 with high ones.
  const cands = [c('7', 0.1), c('7', 0.2), c('7', 0.1), c('9', 0.9), c('9', 0.8)];

  it('sc counts votes, ws adds 1 + s, asc adds s', () => {
    const sc = vote(cands, 'sc');
    expect(sc.winners).toEqual(['7']);
    expect(Object.fromEntries(sc.totals)).toEqual({ '7': 3, '9': 2 });
    const ws = vote(cands, 'ws'); // 7: 3 + 0.4 = 3.4; 9: 2 + 1.7 = 3.7
    expect(ws.winners).toEqual(['9']);
    expect(ws.totals.get('7')).toBeCloseTo(3.4, 12);
    expect(ws.totals.get('9')).toBeCloseTo(3.7, 12);
    const asc = vote(cands, 'asc'); // 7: 0.4; 9: 1.7
    expect(asc.winners).toEqual(['9']);
    expect(asc.totals.get('9')).toBeCloseTo(1.7, 12);
    expect(voteCredit(sc, '7')).toBe(1);
    expect(voteCredit(asc, '7')).toBe(0);
  });

  it('f ≡ 1 is plain majority voting, whatever the scores', () => {
    const rng = new Rng(9);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(16);
      const cs = Array.from({ length: n }, () => c(String(rng.int(4)), rng.next()));
      const counts = new Map<string, number>();
      for (const x of cs) counts.set(x.answer!, (counts.get(x.answer!) ?? 0) + 1);
      const top = Math.max(...counts.values());
      const majority = [...counts].filter(([, k]) => k === top).map(([a]) => a);
      expect(vote(cs, 'sc').winners).toEqual(majority);
    }
  });

  it('credits a tie 1/|tied set| when the gold answer is among the tied', () => {
    const tie = vote([c('3', 0.5), c('4', 0.5), c('5', 0.5), c('4', 0.1), c('3', 0.1)], 'sc'); // 3 and 4 both have 2
    expect(tie.winners).toEqual(['3', '4']);
    expect(voteCredit(tie, '4')).toBe(0.5);
    expect(voteCredit(tie, '5')).toBe(0);
    const asc = vote([c('3', 0.25), c('4', 0.5), c('3', 0.25)], 'asc'); // 0.5 each: an exact tie
    expect(asc.winners).toEqual(['3', '4']);
    expect(voteCredit(asc, '3')).toBe(0.5);
  });

  it('lets answerless samples cast no vote, and gives no credit when none has an answer', () => {
    expect(vote([c(null, 0.9), c(null, 0.9), c('2', 0.1)], 'asc').winners).toEqual(['2']);
    const empty = vote([c(null, 0.9)], 'sc');
    expect(empty.winners).toEqual([]);
    expect(voteCredit(empty, '2')).toBe(0);
  });

  it('credits with the given answer equivalence (MATH)', () => {
    expect(voteCredit(vote([c('0.5', 1)], 'sc'), '\\dfrac{1}{2}', isMathEquiv)).toBe(1);
    expect(voteCredit(vote([c('0.5', 1)], 'sc'), '\\dfrac{1}{2}')).toBe(0);
  });

  it('fills unscorable candidates with the mean of the others, or 1', () => {
    expect(fillMissingScores([0.2, null, 0.6])).toEqual([0.2, 0.4, 0.6]);
    expect(fillMissingScores([null, null])).toEqual([1, 1]);
  });
});
