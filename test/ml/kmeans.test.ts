import { describe, expect, it } from 'vitest';
import { fillEmptyClusters, kmeans, kmeansPlusPlus, nearestToCentres } from '../../src/lib/ml/kmeans.js';
import { Rng } from '../../src/lib/nn/train/rng.js';

/** Points around `centres` (each D wide), `per` each, jittered by at most `spread`, seeded. */
function blobs(centres: number[][], per: number, spread: number, seed: number): { points: Float32Array; labels: number[] } {
  const rng = new Rng(seed);
  const dim = centres[0]!.length;
  const rows: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < per; i++) {
    centres.forEach((c, label) => {
      for (let d = 0; d < dim; d++) rows.push(c[d]! + (rng.next() * 2 - 1) * spread);
      labels.push(label);
    });
  }
  return { points: Float32Array.from(rows), labels };
}

describe('k-means++ seeding', () => {
  it('draws the second centre with probability proportional to the squared distance', () => {
    // Points 0, 1 and 3 on a line. First centre uniform; then D² decides:
    //   first 0 → D² = (0, 1, 9): {0,1} 0.1, {0,3} 0.9
    //   first 1 → D² = (1, 0, 4): {0,1} 0.2, {1,3} 0.8
    //   first 3 → D² = (9, 4, 0): {0,3} 9/13, {1,3} 4/13
    const points = Float32Array.from([0, 1, 3]);
    const expected = {
      '0,1': (0.1 + 0.2) / 3,
      '0,3': (0.9 + 9 / 13) / 3,
      '1,3': (0.8 + 4 / 13) / 3,
    };
    const counts: Record<string, number> = { '0,1': 0, '0,3': 0, '1,3': 0 };
    const draws = 6000;
    for (let seed = 0; seed < draws; seed++) {
      const pair = kmeansPlusPlus(points, 1, 2, new Rng(seed)).sort((a, b) => a - b).map((i) => [0, 1, 3][i]).join(',');
      counts[pair]!++;
    }
    for (const [pair, p] of Object.entries(expected)) {
      // Four standard errors of a binomial share: a correct sampler fails this about once in 10⁴ runs.
      const tolerance = 4 * Math.sqrt((p * (1 - p)) / draws);
      expect(Math.abs(counts[pair]! / draws - p), pair).toBeLessThan(tolerance);
    }
  });

  it('never picks a point twice, even when points repeat', () => {
    const points = Float32Array.from([5, 5, 5, 5, 9]);
    for (let seed = 0; seed < 50; seed++) {
      const chosen = kmeansPlusPlus(points, 1, 4, new Rng(seed));
      expect(new Set(chosen).size).toBe(4);
    }
  });
});

describe('k-means', () => {
  const centres = [[0, 0], [10, 0], [0, 10], [10, 10]];
  const { points, labels } = blobs(centres, 25, 1, 3);

  it('recovers well separated clusters and converges', () => {
    const r = kmeans(points, 2, 4, { seed: 1 });
    expect(r.converged).toBe(true);
    // Each true blob maps onto one cluster, and the four clusters are distinct.
    const clusterOf = new Map<number, Set<number>>();
    labels.forEach((l, i) => clusterOf.set(l, (clusterOf.get(l) ?? new Set()).add(r.assignment[i]!)));
    for (const set of clusterOf.values()) expect(set.size).toBe(1);
    expect(new Set([...clusterOf.values()].map((s) => [...s][0])).size).toBe(4);
    // Every centre sits within the jitter of a true centre.
    for (let c = 0; c < 4; c++) {
      const [x, y] = [r.centroids[2 * c], r.centroids[2 * c + 1]];
      expect(Math.min(...centres.map(([a, b]) => Math.hypot(x! - a!, y! - b!)))).toBeLessThan(0.5);
    }
    expect(r.inertia).toBeLessThan(100 * 2 * (1 / 3)); // jitter uniform in [−1, 1]²: E[d²] = 2/3 per point at most
  });

  it('gives the same result for the same seed, and may differ for another', () => {
    const { points: noisy } = blobs([[0, 0], [3, 0], [0, 3]], 30, 2.5, 9);
    const a = kmeans(noisy, 2, 5, { seed: 11 });
    const b = kmeans(noisy, 2, 5, { seed: 11 });
    expect(Array.from(b.assignment)).toEqual(Array.from(a.assignment));
    expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
    const differs = [12, 13, 14, 15, 16].some((seed) => Array.from(kmeans(noisy, 2, 5, { seed }).centroids).join() !== Array.from(a.centroids).join());
    expect(differs).toBe(true);
  });

  it('stops at maxIterations when it has not converged', () => {
    const { points: noisy } = blobs([[0, 0], [3, 0], [0, 3]], 30, 2.5, 9);
    const r = kmeans(noisy, 2, 6, { seed: 2, maxIterations: 1 });
    expect(r.iterations).toBe(1);
  });

  it('leaves no cluster empty when points repeat', () => {
    // Three distinct values, four clusters: one cluster can only hold a copy of a value.
    const dup = Float32Array.from([0, 0, 0, 0, 4, 4, 8]);
    let refills = 0;
    for (let seed = 0; seed < 20; seed++) {
      const r = kmeans(dup, 1, 4, { seed });
      refills += r.emptyRefills;
      const sizes = new Array(4).fill(0);
      for (const c of r.assignment) sizes[c]++;
      expect(sizes.every((s) => s > 0), `seed ${seed}: ${sizes}`).toBe(true);
    }
    expect(refills).toBeGreaterThan(0); // the case does make clusters empty
  });

  it('refills an empty cluster with the point farthest from its centre', () => {
    const points = Float32Array.from([0, 1, 7, 10]);
    const centroids = Float32Array.from([0.5, 100, 9]); // cluster 1 is empty
    const assignment = Int32Array.from([0, 0, 2, 2]);
    const distance = Float64Array.from([0.25, 0.25, 4, 1]);
    expect(fillEmptyClusters(points, 1, centroids, 3, assignment, distance)).toBe(1);
    expect(Array.from(assignment)).toEqual([0, 0, 1, 2]); // 7 was farthest from its centre
    expect(centroids[1]).toBe(7);
  });

  it('rejects k larger than the number of points, and non-finite points', () => {
    expect(() => kmeans(Float32Array.from([1, 2]), 1, 3, { seed: 1 })).toThrow(/k = 3 is larger than the 2 points/);
    expect(() => kmeans(Float32Array.from([1, NaN]), 1, 1, { seed: 1 })).toThrow(/non-finite/);
    expect(() => kmeans(Float32Array.from([1, 2, 3]), 2, 1, { seed: 1 })).toThrow(/whole number/);
  });
});

describe('nearestToCentres', () => {
  it('gives one distinct member per cluster, nearest its centre first', () => {
    const points = Float32Array.from([0, 0.9, 2, 10, 10.1, 13]);
    const r = { centroids: Float32Array.from([1, 11]), assignment: Int32Array.from([0, 0, 0, 1, 1, 1]) };
    const reps = nearestToCentres(points, 1, r);
    expect(reps.map((x) => x.point)).toEqual([1, 4]); // 0.9 is 0.1 from 1; 10.1 is 0.9 from 11
    expect(reps[0]!.distance).toBeCloseTo(0.01, 6);
  });
});
