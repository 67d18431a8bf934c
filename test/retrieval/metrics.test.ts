import { describe, expect, it } from 'vitest';
import {
  evaluateRun, mrrAt, ndcgAt, parseMeasure, rankDocuments, recallAt, runFromRankings, type Qrels,
} from '../../src/lib/retrieval/metrics.js';

const judged = (o: Record<string, number>) => new Map(Object.entries(o));

// q1: graded judgments; d3 is judged non-relevant, d5 and d6 are unjudged.
const q1 = judged({ d1: 2, d2: 1, d3: 0, d4: 1 });
const ranked1 = ['d5', 'd1', 'd3', 'd2', 'd6'];

describe('per-query measures (hand-computed)', () => {
  it('nDCG@k uses linear graded gains, a log2(rank+1) discount and the ideal order of all judgments', () => {
    // DCG@3 = 0/log2 2 + 2/log2 3 + 0/log2 4 = 1.261860; IDCG@3 = 2/1 + 1/log2 3 + 1/log2 4 = 3.130930.
    expect(ndcgAt(ranked1, q1, 3)).toBeCloseTo(0.403030, 6);
    // DCG@5 adds 1/log2 5 for d2 at rank 4: (1.261860 + 0.430677) / (3.130930) = 0.540586.
    expect(ndcgAt(ranked1, q1, 5)).toBeCloseTo(0.540586, 6);
    // A perfect ranking scores 1.
    expect(ndcgAt(['d1', 'd2', 'd4'], q1, 10)).toBeCloseTo(1, 12);
  });

  it('MRR@k is the reciprocal rank of the first relevant document inside the cutoff', () => {
    expect(mrrAt(ranked1, q1, 10)).toBe(0.5);
    expect(mrrAt(ranked1, q1, 1)).toBe(0);
    // A judged non-relevant document (grade 0) is not a hit.
    expect(mrrAt(['d3', 'd4'], q1, 10)).toBe(0.5);
  });

  it('Recall@k counts relevant documents found over all relevant documents', () => {
    expect(recallAt(ranked1, q1, 4)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranked1, q1, 1)).toBe(0);
    expect(recallAt(['d1', 'd2', 'd4'], q1, 3)).toBe(1);
  });

  it('documents absent from the qrels and negative grades are non-relevant', () => {
    expect(ndcgAt(['x', 'y'], q1, 10)).toBe(0);
    const negative = judged({ a: -1, b: 1 });
    expect(ndcgAt(['a', 'b'], negative, 2)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(recallAt(['a'], negative, 1)).toBe(0);
  });

  it('rejects a cutoff below 1', () => {
    expect(() => ndcgAt(ranked1, q1, 0)).toThrow(/k must be an integer ≥ 1/);
  });
});

describe('ranking as trec_eval does', () => {
  it('breaks score ties by document id, descending', () => {
    expect(rankDocuments(judged({ a: 1, b: 1, c: 2, aa: 1 }))).toEqual(['c', 'b', 'aa', 'a']);
  });

  it('refuses NaN scores', () => {
    expect(() => rankDocuments(judged({ a: Number.NaN }))).toThrow(/NaN/);
  });
});

describe('evaluateRun', () => {
  const qrels: Qrels = new Map([
    ['q1', q1],
    ['q2', judged({ a: 1 })],
    ['q3', judged({ x: 0 })],      // judged, but nothing relevant
    ['q4', judged({ z: 1 })],      // missing from the run
  ]);
  const run = runFromRankings([
    { query: 'q1', candidates: ranked1.map((id, i) => ({ id, score: 1 - i / 10 })) },
    { query: 'q2', candidates: [{ id: 'a', score: 1 }, { id: 'b', score: 1 }] }, // tie: b ranks first
    { query: 'q3', candidates: [{ id: 'x', score: 3 }] },
    { query: 'q5', candidates: [{ id: 'x', score: 3 }] },  // not in the qrels: not evaluated
  ]);
  const measures = ['ndcg@3', 'mrr@1', 'mrr@10', 'recall@4'].map(parseMeasure);

  it('averages over the judged queries of the run; a query without relevant documents counts as 0', () => {
    const e = evaluateRun(qrels, run, measures);
    expect(e.queries).toBe(3);
    expect([...e.perQuery.keys()]).toEqual(['q1', 'q2', 'q3']);
    expect(e.perQuery.get('q2')).toEqual({ 'ndcg@3': 1 / Math.log2(3), 'mrr@1': 0, 'mrr@10': 0.5, 'recall@4': 1 });
    expect(e.perQuery.get('q3')).toEqual({ 'ndcg@3': 0, 'mrr@1': 0, 'mrr@10': 0, 'recall@4': 0 });
    expect(e.mean['mrr@10']).toBeCloseTo((0.5 + 0.5 + 0) / 3, 12);
    expect(e.mean['recall@4']).toBeCloseTo((2 / 3 + 1 + 0) / 3, 12);
  });

  it('with complete, counts queries the run lacks as 0 (trec_eval -c)', () => {
    const e = evaluateRun(qrels, run, measures, { complete: true });
    expect(e.queries).toBe(4);
    expect(e.perQuery.get('q4')!['mrr@10']).toBe(0);
    expect(e.mean['mrr@10']).toBeCloseTo(1 / 4, 12);
  });

  it('names the accepted measures when one is unknown, and refuses duplicates in a run', () => {
    expect(() => parseMeasure('map@10')).toThrow(/expected ndcg@k, mrr@k or recall@k/);
    expect(() => parseMeasure('ndcg@0')).toThrow(/unknown measure/);
    expect(() => runFromRankings([{ query: 'q', candidates: [{ id: 'a', score: 1 }, { id: 'a', score: 0 }] }])).toThrow(/ranks document a twice/);
  });
});
