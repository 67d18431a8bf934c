import { describe, expect, it } from 'vitest';
import { Bm25Index, bm25Tokens } from '../../src/lib/ml/bm25.js';

// N = 3 documents of 3, 6 and 3 tokens: avgdl = 4.
const docs = ['The cat sat.', 'the dog sat on the mat', 'Cats and dogs!'];

describe('BM25', () => {
  it('scores a tiny corpus exactly as computed by hand (k1 = 1.2, b = 0.75)', () => {
    const index = Bm25Index.build(docs);
    expect(index.avgDocLength).toBe(4);
    // IDF(the) = ln(1 + (3 − 2 + 0.5)/(2 + 0.5)) = ln 1.6; IDF(cat) = ln(1 + 2.5/1.5) = ln(8/3).
    expect(index.idf('the')).toBeCloseTo(Math.log(1.6), 15);
    expect(index.idf('cat')).toBeCloseTo(Math.log(8 / 3), 15);
    // Doc 0: |d| = 3, norm = 0.25 + 0.75·3/4 = 0.8125; tf = 1 → 2.2 / (1 + 1.2·0.8125) = 2.2/1.975.
    const d0 = Math.log(1.6) * (2.2 / 1.975) + Math.log(8 / 3) * (2.2 / 1.975);
    // Doc 1: |d| = 6, norm = 0.25 + 0.75·6/4 = 1.375; tf(the) = 2 → 4.4 / (2 + 1.65) = 4.4/3.65.
    const d1 = Math.log(1.6) * (4.4 / 3.65);
    const hits = index.search('the cat', 10);
    expect(hits.map((h) => h.doc)).toEqual([0, 1]);
    expect(hits[0]!.score).toBeCloseTo(d0, 12);
    expect(hits[1]!.score).toBeCloseTo(d1, 12);
    expect(index.score('the cat', 2)).toBe(0);
  });

  it('counts repeated query terms, ignores unknown ones and punctuation', () => {
    const index = Bm25Index.build(docs);
    const once = index.search('cat', 1)[0]!.score;
    expect(index.search('cat cat', 1)[0]!.score).toBeCloseTo(2 * once, 12);
    expect(index.search('cat unicorn ! ?', 1)[0]!.score).toBeCloseTo(once, 12);
    expect(index.search('unicorn', 5)).toEqual([]);
    expect(bm25Tokens('The Cat, sat!\nOn')).toEqual(['the', 'cat', 'sat', 'on']);
  });

  it('follows k1 and b', () => {
    const index = Bm25Index.build(docs, { k1: 0.9, b: 0.4 });
    // Doc 1 with k1 = 0.9, b = 0.4: norm = 0.6 + 0.4·1.5 = 1.2; tf 2 → 2·1.9/(2 + 0.9·1.2).
    expect(index.search('the', 3).find((h) => h.doc === 1)!.score).toBeCloseTo(Math.log(1.6) * (3.8 / 3.08), 12);
    expect(() => Bm25Index.build(docs, { b: 2 })).toThrow(/b must be/);
  });

  it('excludes the query row and breaks ties by document order', () => {
    const same = ['red apple', 'green pear', 'red apple', 'red apple', 'blue sky'];
    const index = Bm25Index.build(same);
    expect(index.search('red apple', 2).map((h) => h.doc)).toEqual([0, 2]);
    expect(index.search('red apple', 5, { exclude: 2 }).map((h) => h.doc)).toEqual([0, 3]);
    expect(index.search('red apple', 5, { exclude: [0, 3] }).map((h) => h.doc)).toEqual([2]);
  });

  it('returns the same top-k as scoring every document (random corpus)', () => {
    let s = 11;
    const rnd = (k: number): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 8) % k;
    };
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const corpus = Array.from({ length: 400 }, () => Array.from({ length: 3 + rnd(30) }, () => words[Math.min(rnd(60), rnd(60))]).join(' '));
    const index = Bm25Index.build(corpus);
    for (let q = 0; q < 30; q++) {
      const query = Array.from({ length: 1 + rnd(6) }, () => words[rnd(60)]).join(' ');
      const all = corpus.map((_, d) => ({ doc: d, score: index.score(query, d) })).filter((h) => h.score > 0 && h.doc !== q);
      all.sort((a, b) => b.score - a.score || a.doc - b.doc);
      const got = index.search(query, 7, { exclude: q });
      expect(got.map((h) => h.doc)).toEqual(all.slice(0, 7).map((h) => h.doc));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(all[i]!.score, 10));
    }
  });

  it('handles an empty corpus and k = 0', () => {
    expect(Bm25Index.build([]).search('x', 3)).toEqual([]);
    expect(Bm25Index.build(docs).search('cat', 0)).toEqual([]);
  });
});
