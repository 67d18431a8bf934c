import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/lib/nn/train/rng.js';
import {
  MiningStats, RandomMiner, SameDocumentMiner, SimAnsMiner, SoftLabelMiner, WindowMiner, createMiner, mineAll,
  type Candidate, type MiningContext, type MiningQuery,
} from '../../src/lib/negatives/index.js';

/** n candidates d0..d{n−1}, ranked best first, scores from `score(rank)`. */
function ranked(n: number, score: (rank: number) => number = (r) => 10 - r / 10): Candidate[] {
  return Array.from({ length: n }, (_, r) => ({ id: `d${r}`, score: score(r) }));
}

function query(candidates: Candidate[], positive: Candidate = { id: 'pos', score: 10 }): MiningQuery {
  return { queryId: 'q', positives: [positive], candidates };
}

const pool = Array.from({ length: 500 }, (_, i) => `d${i}`);

/** Pearson's chi-square statistic of observed counts against expected probabilities. */
function chiSquare(observed: readonly number[], probs: readonly number[], draws: number): number {
  return observed.reduce((s, o, i) => s + (o - draws * probs[i]!) ** 2 / (draws * probs[i]!), 0);
}

describe('SimANS', () => {
  // Six candidates whose scores sit at Δ = s_i − s₊ = 0.5, 0, −0.5, −1, −1.5, −2.
  const scores = [10.5, 10, 9.5, 9, 8.5, 8];
  const cands = scores.map((score, r) => ({ id: `d${r}`, score }));
  const deltas = scores.map((s) => s - 10);

  it('draws with the frequencies of p_i ∝ exp(−a (Δ_i − b)²) (chi-square over 30,000 draws)', () => {
    const miner = new SimAnsMiner({ a: 0.5, b: -1 });
    const probs = deltas.map((d) => Math.exp(-0.5 * (d + 1) ** 2));
    const total = probs.reduce((s, x) => s + x, 0);
    expect(miner.probabilities(deltas).map((p) => +p.toFixed(12))).toEqual(probs.map((p) => +(p / total).toFixed(12)));
    const rng = new Rng(7);
    const counts = new Array(6).fill(0);
    const draws = 30_000;
    for (let t = 0; t < draws; t++) counts[Number(miner.mine(query(cands), 1, rng, {}).negatives[0]!.id.slice(1))]++;
    // 5 degrees of freedom: the 0.1% critical value is 20.52.
    expect(chiSquare(counts, miner.probabilities(deltas), draws)).toBeLessThan(20.52);
  });

  it('samples without replacement: ordered pairs follow p_i · p_j / (1 − p_i)', () => {
    const miner = new SimAnsMiner({ a: 1, b: -0.5 });
    const few = cands.slice(0, 4);
    const p = miner.probabilities(deltas.slice(0, 4));
    const cells: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (i !== j) {
      cells.push(i * 4 + j);
      expected.push((p[i]! * p[j]!) / (1 - p[i]!));
    }
    const counts = new Array(cells.length).fill(0);
    const rng = new Rng(11);
    const draws = 30_000;
    for (let t = 0; t < draws; t++) {
      const [x, y] = miner.mine(query(few), 2, rng, {}).negatives.map((n) => Number(n.id.slice(1)));
      expect(x).not.toBe(y);
      counts[cells.indexOf(x! * 4 + y!)]++;
    }
    // 11 degrees of freedom: the 0.1% critical value is 31.26.
    expect(chiSquare(counts, expected, draws)).toBeLessThan(31.26);
  });

  it('uses the paper sign of b: a large a picks the candidate nearest s₊ + b', () => {
    const rng = new Rng(1);
    expect(new SimAnsMiner({ a: 1e6, b: -1 }).mine(query(cands), 1, rng, {}).negatives[0]!.id).toBe('d3'); // Δ = −1
    expect(new SimAnsMiner({ a: 1e6, b: 0.5 }).mine(query(cands), 1, rng, {}).negatives[0]!.id).toBe('d0'); // Δ = +0.5
  });

  it('is uniform over the top-k with a = 0, and k limits the candidates by rank', () => {
    expect(new SimAnsMiner({ a: 0 }).probabilities(deltas)).toEqual(new Array(6).fill(1 / 6));
    const picked = new SimAnsMiner({ a: 0, k: 3 }).mine(query(cands), 6, new Rng(2), {}).negatives.map((n) => n.rank).sort();
    expect(picked).toEqual([0, 1, 2]);
  });

  it('has a Laplacian variant p_i ∝ exp(−a |Δ_i − b|)', () => {
    const p = new SimAnsMiner({ a: 3, variant: 'laplacian' }).probabilities(deltas);
    const w = deltas.map((d) => Math.exp(-3 * Math.abs(d)));
    const t = w.reduce((s, x) => s + x, 0);
    p.forEach((x, i) => expect(x).toBeCloseTo(w[i]! / t, 12));
  });

  it('rescales Δ for cosine scores: scale c with a equals a·c² on raw differences', () => {
    const cosines = [0.9, 0.85, 0.8, 0.7].map((score, r) => ({ id: `c${r}`, score }));
    const d = cosines.map((c) => c.score - 0.88);
    const scaled = new SimAnsMiner({ a: 0.5, b: -1, scale: 20 }).probabilities(d.map((x) => x * 20));
    const raw = new SimAnsMiner({ a: 0.5 * 400, b: -1 / 20 }).probabilities(d);
    scaled.forEach((x, i) => expect(x).toBeCloseTo(raw[i]!, 12));
  });

  it('falls back to the last-ranked candidates when the positive has no score (not retrieved), and says so', () => {
    const r = new SimAnsMiner({ a: 0.5 }).mine(query(cands, { id: 'pos' }), 2, new Rng(3), {});
    expect(r.fallback).toBe(true);
    expect(r.negatives.map((n) => n.id)).toEqual(['d4', 'd5']);
    // A positive without its own score but ranked among the candidates gives s₊ from there.
    const found = new SimAnsMiner({ a: 0.5 }).mine(query(cands, { id: 'd1' }), 2, new Rng(3), {});
    expect(found.fallback).toBe(false);
    expect(found.negatives.map((n) => n.id)).not.toContain('d1');
  });

  it('refuses a < 0, a k beyond the candidate depth and unscored candidates', () => {
    expect(() => new SimAnsMiner({ a: -0.1 })).toThrow(/a must be a finite number ≥ 0, got -0.1/);
    expect(() => mineAll([query(cands)], new SimAnsMiner({ a: 0.5, k: 100 }), { count: 2, seed: 1 })).toThrow(/k = 100 reaches beyond the candidate depth: the input ranks at most 6/);
    expect(() => mineAll([query([{ id: 'x' }, { id: 'y', score: 1 }])], new SimAnsMiner({ a: 0.5 }), { count: 1, seed: 1 })).toThrow(/simans needs scored candidates, but candidate x \(rank 0\) of query q has no score/);
  });
});

describe('rank window', () => {
  const cands = ranked(60);

  it('takes negatives only from ranks [start, end), never a positive or the query itself', () => {
    const q: MiningQuery = { queryId: 'd12', positives: [{ id: 'd15', score: 9 }], candidates: cands };
    for (let seed = 0; seed < 20; seed++) {
      const r = new WindowMiner({ start: 10, end: 20, topUp: 'none' }).mine(q, 5, new Rng(seed), { pool });
      expect(r.negatives).toHaveLength(5);
      for (const n of r.negatives) {
        expect(n.rank).toBeGreaterThanOrEqual(10);
        expect(n.rank).toBeLessThan(20);
        expect(['d12', 'd15']).not.toContain(n.id);
      }
    }
    // The window 10–20 minus the query and the positive holds 8; asking 12 gives those 8 exactly.
    const all = new WindowMiner({ start: 10, end: 20, topUp: 'none' }).mine(q, 12, new Rng(1), { pool });
    expect(all.negatives.map((n) => n.rank).sort((a, b) => a - b)).toEqual([10, 11, 13, 14, 16, 17, 18, 19]);
  });

  it('drops candidates within the margin of the positive', () => {
    const q = query(ranked(40, (r) => 10 - r / 10), { id: 'pos', score: 9 }); // d10 scores 9.0
    const r = new WindowMiner({ start: 0, end: 40, margin: 0.5, topUp: 'none' }).mine(q, 40, new Rng(1), {});
    expect(Math.min(...r.negatives.map((n) => n.rank))).toBe(15); // 10 − 15/10 = 8.5 = s₊ − margin
    expect(r.negatives.every((n) => n.score! <= 8.5)).toBe(true);
  });

  it('tops up a short window from the pool only when asked, and counts it', () => {
    const q = query(ranked(20));
    const none = new WindowMiner({ start: 15, end: 20, topUp: 'none' }).mine(q, 8, new Rng(1), { pool });
    expect(none.negatives).toHaveLength(5);
    const topped = new WindowMiner({ start: 15, end: 20, topUp: 'random' }).mine(q, 8, new Rng(1), { pool });
    expect(topped.negatives).toHaveLength(8);
    expect(topped.toppedUp).toBe(3);
    expect(topped.negatives.filter((n) => n.rank === -1)).toHaveLength(3);
  });

  it('refuses an empty window, a window beyond the depth and a margin without scores', () => {
    expect(() => new WindowMiner({ start: 10, end: 10 })).toThrow(/rank window 10–10 is empty/);
    expect(() => mineAll([query(cands)], createMiner('window'), { count: 4, seed: 1 })).toThrow(/window 10–210 reaches beyond the candidate depth: the input ranks at most 60/);
    const unscored = query([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    expect(() => new WindowMiner({ start: 0, end: 3, margin: 0.1 }).mine(unscored, 1, new Rng(1), {})).toThrow(/needs scored candidates/);
    // Without a margin the window needs no scores.
    expect(new WindowMiner({ start: 1, end: 3 }).mine(unscored, 2, new Rng(1), {}).negatives).toHaveLength(2);
  });
});

describe('false-negative filtering', () => {
  it('never returns flagged candidates, counts them, and flags high scorers as suspected', () => {
    // Candidates d0..d9; d1 and d4 contain the answer (flagged); d0 scores above the positive.
    const cands = ranked(10, (r) => (r === 0 ? 11 : 9 - r / 10));
    const context: MiningContext = { pool, isFalseNegative: (_q, id) => id === 'd1' || id === 'd4' };
    for (const miner of [new WindowMiner({ start: 0, end: 10, topUp: 'none' }), new SimAnsMiner({ a: 0 }), new RandomMiner()]) {
      const { mined, stats } = mineAll([query(cands)], miner, { count: 8, seed: 5, context });
      const ids = mined[0]!.result.negatives.map((n) => n.id);
      expect(ids).not.toContain('d1');
      expect(ids).not.toContain('d4');
      if (miner.strategy !== 'random') {
        expect(ids.sort()).toEqual(['d0', 'd2', 'd3', 'd5', 'd6', 'd7', 'd8', 'd9']);
        expect(stats.summary().filtered_false_negatives).toBe(2);
        // d0 (Δ = +1) is the one suspected false negative of 8 scored negatives.
        expect(stats.summary().suspected_false_negative_share).toBeCloseTo(1 / 8, 12);
      }
    }
  });
});

describe('same-document negatives', () => {
  // Ten passages p0..p9, three questions on each: row r belongs to passage p(r mod 10).
  const rows = Array.from({ length: 30 }, (_, r) => `r${r}`);
  const sourceOf = (id: string) => `p${Number(id.slice(1)) % 10}`;

  it('takes the other rows of the positive\'s passage, from the candidates and the pool', () => {
    const q: MiningQuery = { queryId: 'r0', positives: [{ id: 'r3' }], candidates: [{ id: 'r13', score: 2 }, { id: 'r5', score: 1 }] };
    const r = new SameDocumentMiner().mine(q, 5, new Rng(1), { pool: rows, sourceOf });
    // Passage p3 holds r3 (the positive), r13 and r23.
    expect(r.negatives.map((n) => n.id).sort()).toEqual(['r13', 'r23']);
    expect(r.negatives.find((n) => n.id === 'r13')!.rank).toBe(0);
    expect(r.negatives.find((n) => n.id === 'r23')!.rank).toBe(-1);
    const topped = new SameDocumentMiner({ topUp: 'hard' }).mine(q, 3, new Rng(1), { pool: rows, sourceOf });
    expect(topped.negatives.map((n) => n.id)).toContain('r5');
    expect(topped.toppedUp).toBe(1);
  });

  it('needs sources', () => {
    expect(() => new SameDocumentMiner().mine(query([]), 1, new Rng(1), {})).toThrow(/need the source/);
  });
});

describe('random negatives', () => {
  it('excludes positives and the query, and depends on the seed and query id only', () => {
    const q: MiningQuery = { queryId: 'd0', positives: [{ id: 'd1' }], candidates: [] };
    const other: MiningQuery = { queryId: 'd7', positives: [{ id: 'd8' }], candidates: [] };
    const a = mineAll([q, other], new RandomMiner(), { count: 30, seed: 9, context: { pool } });
    const b = mineAll([other, q], new RandomMiner(), { count: 30, seed: 9, context: { pool } });
    expect(a.mined[0]!.result.negatives).toEqual(b.mined[1]!.result.negatives);
    const ids = a.mined[0]!.result.negatives.map((n) => n.id);
    expect(new Set(ids).size).toBe(30);
    expect(ids).not.toContain('d0');
    expect(ids).not.toContain('d1');
    expect(mineAll([q], new RandomMiner(), { count: 30, seed: 10, context: { pool } }).mined[0]!.result.negatives).not.toEqual(a.mined[0]!.result.negatives);
    expect(() => new RandomMiner().mine(q, 1, new Rng(1), {})).toThrow(/needs a document pool/);
  });
});

describe('soft labels', () => {
  it('keeps the positive first, sorts the negatives by teacher score and weights the group by softmax', () => {
    const cands = [{ id: 'a', score: -1 }, { id: 'b', score: -3 }, { id: 'c', score: -2 }];
    const r = new SoftLabelMiner({ temperature: 1 }).mine(query(cands, { id: 'p', score: -0.5 }), 3, new Rng(4), {});
    expect(r.negatives.map((n) => n.id)).toEqual(['a', 'c', 'b']);
    const e = [-0.5, -1, -2, -3].map(Math.exp);
    const t = e.reduce((s, x) => s + x, 0);
    r.weights!.forEach((w, i) => expect(w).toBeCloseTo(e[i]! / t, 12));
    expect(() => new SoftLabelMiner().mine(query(cands, { id: 'p' }), 1, new Rng(1), {})).toThrow(/teacher score of the positive/);
  });
});

describe('statistics', () => {
  it('summarises Δ, shortfalls and fallbacks, and bins Δ into a histogram', () => {
    const stats = new MiningStats(0.25);
    const q = query([], { id: 'p', score: 1 });
    stats.add(q, { negatives: [{ id: 'a', score: 0, rank: 0 }, { id: 'b', score: 0.8, rank: 2 }], fallback: false, toppedUp: 0, filtered: 0 }, 2);
    stats.add(q, { negatives: [{ id: 'c', score: -1, rank: 4 }], fallback: true, toppedUp: 1, filtered: 3 }, 2);
    const s = stats.summary();
    expect(s).toMatchObject({ queries: 2, negatives: 3, scored_share: 1, short_share: 0.5, fallback_share: 0.5, filtered_false_negatives: 3, rank_mean: 2 });
    expect(s.delta_mean).toBeCloseTo((-1 - 0.2 - 2) / 3, 12);
    expect(s.delta_median).toBe(-1);
    expect(s.suspected_false_negative_share).toBeCloseTo(1 / 3, 12); // only Δ = −0.2 ≥ −0.25
    expect(s.topped_up_share).toBeCloseTo(1 / 3, 12);
    const h = stats.histogram(2);
    expect(h.counts).toEqual([1, 2]);
    [-2, -1.1, -0.2].forEach((edge, i) => expect(h.edges[i]).toBeCloseTo(edge, 12));
  });
});

describe('remineNegatives (the retriever\'s negatives param)', () => {
  it('keeps the stage\'s negatives with bottom-k, and mines a window from unsorted candidates otherwise', async () => {
    const { remineNegatives } = await import('../../src/lib/negatives/index.js');
    const example = { queryId: 'q', positives: [{ id: 'c0', score: 0 }] };
    const candidates = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, score: -i })).reverse();
    expect(remineNegatives(example, candidates, { strategy: 'bottom-k' }, { seed: 1 })).toBeUndefined();
    const mined = remineNegatives(example, candidates, { strategy: 'window', count: 3, window: { start: 4, end: 8, topUp: 'none' } }, { seed: 1 })!;
    expect(mined).toHaveLength(3);
    for (const n of mined) expect(n.score <= -4 && n.score >= -7).toBe(true);
    expect(() => remineNegatives(example, candidates, { strategy: 'window', window: { start: 4, end: 40 } }, { seed: 1 })).toThrow(/beyond the candidate depth/);
  });
});
