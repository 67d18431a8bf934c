// k-means on row-major Float32Array points: k-means++ seeding (Arthur & Vassilvitskii 2007), then
// Lloyd iterations until no point changes cluster. Squared Euclidean distance; on unit vectors that
// orders points as cosine similarity does. Sums run in float64 and ties go to the lower index, so
// a seed gives the same clusters on every machine.

import { Rng } from '../nn/train/rng.js';

export interface KMeansOptions {
  seed: number;
  /** Lloyd iterations at most (default 100). */
  maxIterations?: number;
}

export interface KMeansResult {
  /** Centres [k·D], row-major. */
  centroids: Float32Array;
  /** Cluster of every point [n]. */
  assignment: Int32Array;
  /** Lloyd iterations run. */
  iterations: number;
  /** Whether the last iteration moved no point. */
  converged: boolean;
  /** Sum of squared distances of the points to their centres. */
  inertia: number;
  /** Times an empty cluster was given a point (see `fillEmptyClusters`). */
  emptyRefills: number;
}

/** Squared distance between row i of `a` and row j of `b` (both D wide). */
function sqDist(a: Float32Array, i: number, b: ArrayLike<number>, j: number, dim: number): number {
  let s = 0;
  const ai = i * dim;
  const bj = j * dim;
  for (let d = 0; d < dim; d++) {
    const x = a[ai + d]! - b[bj + d]!;
    s += x * x;
  }
  return s;
}

function checkShape(points: Float32Array, dim: number, k: number): number {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`k-means: dim must be a positive integer, got ${dim}`);
  if (points.length % dim !== 0) throw new RangeError(`k-means: ${points.length} values are not a whole number of ${dim}-wide rows`);
  const n = points.length / dim;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k-means: k must be a positive integer, got ${k}`);
  if (k > n) throw new RangeError(`k-means: k = ${k} is larger than the ${n} points`);
  for (let i = 0; i < points.length; i++) if (!Number.isFinite(points[i])) throw new RangeError(`k-means: point ${Math.floor(i / dim)} has a non-finite value`);
  return n;
}

/**
 * k-means++ seeding: the first centre is a uniform point; each next one is point x with
 * probability D(x)² / Σ D², D the distance to the nearest centre chosen so far. When every point
 * sits on a centre already (duplicates), the next is a uniform point not chosen yet.
 * Returns the indices of the k seed points, in the order chosen.
 */
export function kmeansPlusPlus(points: Float32Array, dim: number, k: number, rng: Rng): number[] {
  const n = checkShape(points, dim, k);
  const chosen: number[] = [rng.int(n)];
  const isChosen = new Uint8Array(n);
  isChosen[chosen[0]!] = 1;
  const nearest = new Float64Array(n); // D(x)² to the nearest chosen centre
  for (let i = 0; i < n; i++) nearest[i] = sqDist(points, i, points, chosen[0]!, dim);
  while (chosen.length < k) {
    let total = 0;
    for (let i = 0; i < n; i++) total += nearest[i]!;
    let next = -1;
    if (total > 0) {
      let x = rng.next() * total;
      for (let i = 0; i < n; i++) {
        if (nearest[i] === 0) continue;
        next = i; // the last point with weight catches rounding at the top end
        if (x < nearest[i]!) break;
        x -= nearest[i]!;
      }
    } else {
      const free: number[] = [];
      for (let i = 0; i < n; i++) if (!isChosen[i]) free.push(i);
      next = free[rng.int(free.length)]!;
    }
    chosen.push(next);
    isChosen[next] = 1;
    for (let i = 0; i < n; i++) {
      const d = sqDist(points, i, points, next, dim);
      if (d < nearest[i]!) nearest[i] = d;
    }
  }
  return chosen;
}

/** Nearest centre of every point (ties: the lower centre); returns how many points changed. */
function assign(points: Float32Array, n: number, dim: number, centroids: Float32Array, k: number, assignment: Int32Array, distance: Float64Array): number {
  let changed = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = sqDist(points, i, centroids, 0, dim);
    for (let c = 1; c < k; c++) {
      const d = sqDist(points, i, centroids, c, dim);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    if (assignment[i] !== best) changed++;
    assignment[i] = best;
    distance[i] = bestD;
  }
  return changed;
}

/**
 * Gives every empty cluster a point: the point farthest from its own centre among clusters with
 * more than one member (ties: the lower index), which then becomes that cluster's centre. With
 * k ≤ n this always ends with no cluster empty. Returns how many clusters were refilled.
 */
export function fillEmptyClusters(points: Float32Array, dim: number, centroids: Float32Array, k: number,
  assignment: Int32Array, distance: Float64Array): number {
  const n = assignment.length;
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) sizes[assignment[i]!]!++;
  let refills = 0;
  for (let c = 0; c < k; c++) {
    if (sizes[c]! > 0) continue;
    let far = -1;
    for (let i = 0; i < n; i++) {
      if (sizes[assignment[i]!]! < 2) continue;
      if (far < 0 || distance[i]! > distance[far]!) far = i;
    }
    if (far < 0) throw new Error('k-means: no cluster can give up a point (k > n?)');
    sizes[assignment[far]!]!--;
    assignment[far] = c;
    sizes[c] = 1;
    distance[far] = 0;
    centroids.set(points.subarray(far * dim, (far + 1) * dim), c * dim);
    refills++;
  }
  return refills;
}

/** Each centre becomes the mean of its members (float64 sums); empty clusters keep their centre. */
function updateCentroids(points: Float32Array, n: number, dim: number, centroids: Float32Array, k: number, assignment: Int32Array): void {
  const sums = new Float64Array(k * dim);
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const c = assignment[i]!;
    sizes[c]!++;
    for (let d = 0; d < dim; d++) sums[c * dim + d]! += points[i * dim + d]!;
  }
  for (let c = 0; c < k; c++) {
    if (sizes[c] === 0) continue;
    for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d]! / sizes[c]!;
  }
}

/** k-means++ seeding, then Lloyd iterations; no cluster is left empty. */
export function kmeans(points: Float32Array, dim: number, k: number, options: KMeansOptions): KMeansResult {
  const n = checkShape(points, dim, k);
  const maxIterations = options.maxIterations ?? 100;
  const seeds = kmeansPlusPlus(points, dim, k, new Rng(options.seed));
  const centroids = new Float32Array(k * dim);
  seeds.forEach((p, c) => centroids.set(points.subarray(p * dim, (p + 1) * dim), c * dim));
  const assignment = new Int32Array(n).fill(-1);
  const distance = new Float64Array(n);
  let iterations = 0;
  let converged = false;
  let emptyRefills = 0;
  assign(points, n, dim, centroids, k, assignment, distance);
  emptyRefills += fillEmptyClusters(points, dim, centroids, k, assignment, distance);
  while (iterations < maxIterations) {
    iterations++;
    updateCentroids(points, n, dim, centroids, k, assignment);
    const changed = assign(points, n, dim, centroids, k, assignment, distance);
    const refilled = fillEmptyClusters(points, dim, centroids, k, assignment, distance);
    emptyRefills += refilled;
    if (changed === 0 && refilled === 0) {
      converged = true;
      break;
    }
  }
  if (!converged) updateCentroids(points, n, dim, centroids, k, assignment);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(points, i, centroids, assignment[i]!, dim);
  return { centroids, assignment, iterations, converged, inertia, emptyRefills };
}

export interface CentreRepresentative {
  /** The cluster. */
  cluster: number;
  /** The member nearest the cluster's centre. */
  point: number;
  /** Its squared distance to the centre. */
  distance: number;
}

/**
 * Per cluster, the member nearest its centre (ties: the lower point index): k distinct points,
 * since clusters do not share members. Sorted nearest first (ties: the lower cluster).
 */
export function nearestToCentres(points: Float32Array, dim: number, result: Pick<KMeansResult, 'centroids' | 'assignment'>): CentreRepresentative[] {
  const k = result.centroids.length / dim;
  const best: CentreRepresentative[] = Array.from({ length: k }, (_, c) => ({ cluster: c, point: -1, distance: Infinity }));
  result.assignment.forEach((c, i) => {
    const d = sqDist(points, i, result.centroids, c, dim);
    if (d < best[c]!.distance) best[c] = { cluster: c, point: i, distance: d };
  });
  const empty = best.find((b) => b.point < 0);
  if (empty) throw new Error(`k-means: cluster ${empty.cluster} has no member`);
  return best.sort((a, b) => a.distance - b.distance || a.cluster - b.cluster);
}
