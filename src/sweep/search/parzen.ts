// Parzen estimators, the densities TPE compares: for a numeric dimension a mixture of Gaussians
// truncated to its search interval, one per observation plus a broad prior; for a choice, the
// observed frequencies smoothed by a uniform prior.
import type { Prng } from './prng.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): plenty for truncation masses. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign * (1 - poly * Math.exp(-x * x));
}

const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

function normalizedLog(weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => Math.log(w / total));
}

export interface Density {
  sample(rng: Prng): number;
  logPdf(x: number): number;
}

/**
 * Mixture of truncated Gaussians on [lo, hi]. Each observation's bandwidth is the larger distance to
 * its neighbours (the interval's ends count as neighbours), clipped to [(hi − lo) / min(100, n + 1),
 * hi − lo] so a tight cluster does not collapse to a spike; the prior sits at the middle with width hi − lo.
 */
export class TruncatedMixture implements Density {
  private readonly mus: number[];
  private readonly sigmas: number[];
  private readonly logWeights: number[];
  private readonly weights: number[];
  /** log of each component's mass inside [lo, hi]. */
  private readonly logMass: number[];
  private readonly logSigmas: number[];

  constructor(
    observations: readonly number[],
    observationWeights: readonly number[],
    private readonly lo: number,
    private readonly hi: number,
    priorWeight: number,
  ) {
    const width = hi - lo;
    const points = observations.map((mu, i) => ({ mu, weight: observationWeights[i]!, prior: false })); // one weight per observation
    points.push({ mu: lo + width / 2, weight: priorWeight, prior: true });
    points.sort((a, b) => a.mu - b.mu);
    const minSigma = width / Math.min(100, points.length);
    this.mus = points.map((p) => p.mu);
    this.sigmas = points.map((p, i) => {
      if (p.prior) return width;
      const left = p.mu - (i > 0 ? points[i - 1]!.mu : lo);
      const right = (i < points.length - 1 ? points[i + 1]!.mu : hi) - p.mu;
      return Math.min(width, Math.max(minSigma, left, right));
    });
    this.logSigmas = this.sigmas.map(Math.log);
    const total = points.reduce((s, p) => s + p.weight, 0);
    this.weights = points.map((p) => p.weight / total);
    this.logWeights = normalizedLog(points.map((p) => p.weight));
    this.logMass = this.mus.map((mu, i) => {
      const s = this.sigmas[i]!; // sigmas and mus are one per point
      return Math.log(Math.max(1e-300, normalCdf((hi - mu) / s) - normalCdf((lo - mu) / s)));
    });
  }

  sample(rng: Prng): number {
    const i = rng.pick(this.weights);
    const mu = this.mus[i]!; // pick returns an index of the weights, one per point
    const sigma = this.sigmas[i]!;
    // Rejection: every component keeps at least a third of its mass inside the interval (|mu| within it, sigma ≤ width).
    for (let attempt = 0; attempt < 100; attempt++) {
      const x = mu + sigma * rng.normal();
      if (x >= this.lo && x <= this.hi) return x;
    }
    return Math.min(this.hi, Math.max(this.lo, mu));
  }

  logPdf(x: number): number {
    // log Σ_i w_i N(x; mu_i, sigma_i) / mass_i, as a log-sum-exp without temporary arrays (it runs per candidate).
    let max = -Infinity;
    for (let i = 0; i < this.mus.length; i++) max = Math.max(max, this.logTerm(i, x));
    if (max === -Infinity) return -Infinity;
    let sum = 0;
    for (let i = 0; i < this.mus.length; i++) sum += Math.exp(this.logTerm(i, x) - max);
    return max + Math.log(sum);
  }

  private logTerm(i: number, x: number): number {
    const z = (x - this.mus[i]!) / this.sigmas[i]!;
    return this.logWeights[i]! - 0.5 * z * z - LOG_SQRT_2PI - this.logSigmas[i]! - this.logMass[i]!;
  }
}

/** Frequencies of the observed choice indices, each category starting from priorWeight / K. */
export class CategoricalDensity implements Density {
  private readonly probs: number[];

  constructor(observed: readonly number[], observationWeights: readonly number[], categories: number, priorWeight: number) {
    const mass = new Array<number>(categories).fill(priorWeight / categories);
    observed.forEach((index, i) => { mass[index] = mass[index]! + observationWeights[i]!; }); // indices of the categories
    const total = mass.reduce((s, m) => s + m, 0);
    this.probs = mass.map((m) => m / total);
  }

  sample(rng: Prng): number {
    return rng.pick(this.probs);
  }

  logPdf(index: number): number {
    return Math.log(this.probs[index]!);
  }
}
