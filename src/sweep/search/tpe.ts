// Tree-structured Parzen Estimator (Bergstra et al. 2011), univariate as in hyperopt and Optuna:
// after `nStartupTrials` random trials, split the observed trials at the γ quantile of the loss
// into good and bad, fit a Parzen density l(x) to the good and g(x) to the bad, dimension by
// dimension, draw candidates from l and keep the one with the largest l(x)/g(x).
// Trials in flight count as bad (a "constant liar"), so parallel proposals spread out instead of
// piling onto the current best; an assignment the history already holds is never proposed again.
import { CategoricalDensity, TruncatedMixture, type Density } from './parzen.js';
import { Prng } from './prng.js';
import { drawNew } from './random-search.js';
import { completed, DUPLICATE_ATTEMPTS, lossOf, proposalsAllowed, type Sampler, type SamplerOptions, type Trial } from './sampler.js';
import { dimensionNames, dimensions, idOver, fromInternal, searchInterval, toInternal, type Assignment, type SearchSpace } from './space.js';

export interface TpeOptions extends SamplerOptions {
  /** Random trials before the model takes over (observed ones: done or pruned). Default 10. */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) per proposal. Default 24. */
  nCandidates?: number;
  /** How many of n observed trials are good. Default Optuna's: min(⌈0.1 n⌉, 25). */
  gamma?: (n: number) => number;
  /** Weight of the prior component of every density, relative to one observation. Default 1. */
  priorWeight?: number;
}

export const defaultGamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

/** Observation weights, oldest first: equal up to 25, then older ones fade linearly (as Optuna does). */
export function recencyWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

interface Split { good: Assignment[]; bad: Assignment[] }

export class TpeSampler implements Sampler {
  private readonly nStartup: number;
  private readonly nCandidates: number;
  private readonly gamma: (n: number) => number;
  private readonly priorWeight: number;

  constructor(private readonly options: TpeOptions) {
    this.nStartup = options.nStartupTrials ?? 10;
    this.nCandidates = options.nCandidates ?? 24;
    this.gamma = options.gamma ?? defaultGamma;
    this.priorWeight = options.priorWeight ?? 1;
  }

  propose(history: readonly Trial[], count: number): Assignment[] {
    const n = proposalsAllowed(history, count, this.options.budget);
    const seen: Trial[] = [...history];
    const names = dimensionNames(this.options.space);
    const taken = new Set(history.map((t) => idOver(names, t.assignment)));
    const out: Assignment[] = [];
    for (let i = 0; i < n; i++) {
      const next = this.proposeOne(seen, taken);
      if (!next) break;
      out.push(next);
      taken.add(idOver(names, next));
      // The proposals of one batch are in flight together: each sees the ones before it.
      seen.push({ assignment: next, state: 'running' });
    }
    return out;
  }

  /** The next trial, numbered seen.length; undefined when no unused assignment could be found. */
  private proposeOne(seen: readonly Trial[], taken: Set<string>): Assignment | undefined {
    const { space, seed } = this.options;
    const index = seen.length;
    const split = this.split(seen);
    if (!split) return drawNew(space, seed, index, 1, new Set(taken))[0];
    const rng = Prng.derive(seed, index, 1);
    const model = fitModel(space, split, this.priorWeight);
    const names = dimensionNames(space);
    for (let round = 0; round < DUPLICATE_ATTEMPTS; round++) {
      let best: Assignment | undefined;
      let bestScore = -Infinity;
      for (let c = 0; c < this.nCandidates; c++) {
        const candidate = model.drawGood(rng);
        if (taken.has(idOver(names, candidate))) continue;
        const score = model.score(candidate);
        if (score > bestScore || best === undefined) { best = candidate; bestScore = score; }
      }
      if (best) return best;
    }
    // Every candidate was taken (a small discrete space): any unused point will do.
    return drawNew(space, seed, index, 1, new Set(taken))[0];
  }

  /** Good and bad assignments, or undefined while the search is still in its random start. */
  private split(seen: readonly Trial[]): Split | undefined {
    const direction = this.options.direction ?? 'minimize';
    const done = completed(seen);
    const pruned = seen.filter((t) => t.state === 'pruned');
    const observed = done.length + pruned.length;
    if (done.length === 0 || observed < this.nStartup) return undefined;
    const order = new Map(seen.map((t, i) => [t, i]));
    const ranked = done
      .map((t) => ({ t, loss: lossOf(t.objective!, direction), order: order.get(t)! }))
      .sort((a, b) => a.loss - b.loss || a.order - b.order);
    const nGood = Math.min(done.length, Math.max(1, Math.floor(this.gamma(observed))));
    const goodSet = new Set(ranked.slice(0, nGood).map((r) => r.t));
    const doneSet = new Set(done);
    // History order (oldest first) for the recency weights; pruned and running trials count as bad.
    const good: Assignment[] = [];
    const bad: Assignment[] = [];
    for (const t of seen) {
      if (goodSet.has(t)) good.push(t.assignment);
      else if (doneSet.has(t) || t.state === 'pruned' || t.state === 'running') bad.push(t.assignment);
    }
    return { good, bad };
  }
}

interface Model {
  drawGood(rng: Prng): Assignment;
  /** Σ over dimensions of log l(x) − log g(x). */
  score(assignment: Assignment): number;
}

function fitModel(space: SearchSpace, { good, bad }: Split, priorWeight: number): Model {
  const goodWeights = recencyWeights(good.length);
  const badWeights = recencyWeights(bad.length);
  const dims = dimensions(space).map(([name, dim]) => {
    if (dim.kind === 'choice') {
      const indexOf = (a: Assignment) => dim.values.findIndex((v) => v === a[name]);
      const usable = (list: Assignment[], weights: number[]) => {
        const pairs = list.map((a, i) => ({ index: indexOf(a), weight: weights[i]! })).filter((p) => p.index >= 0); // a weight per assignment
        return [pairs.map((p) => p.index), pairs.map((p) => p.weight)] as const;
      };
      const l = new CategoricalDensity(...usable(good, goodWeights), dim.values.length, priorWeight);
      const g = new CategoricalDensity(...usable(bad, badWeights), dim.values.length, priorWeight);
      return {
        name,
        draw: (rng: Prng) => dim.values[l.sample(rng)]!, // an index of a category
        logRatio: (value: Assignment[string]) => {
          const i = dim.values.findIndex((v) => v === value);
          return l.logPdf(i) - g.logPdf(i);
        },
      };
    }
    const { lo, hi } = searchInterval(dim);
    const usable = (list: Assignment[], weights: number[]) => {
      const pairs = list.map((a, i) => ({ x: a[name], weight: weights[i]! })).filter((p): p is { x: number; weight: number } => typeof p.x === 'number' && Number.isFinite(p.x));
      return [pairs.map((p) => toInternal(dim, p.x)), pairs.map((p) => p.weight)] as const;
    };
    const l: Density = new TruncatedMixture(...usable(good, goodWeights), lo, hi, priorWeight);
    const g: Density = new TruncatedMixture(...usable(bad, badWeights), lo, hi, priorWeight);
    return {
      name,
      draw: (rng: Prng) => fromInternal(dim, l.sample(rng)),
      // Scored where the value lands (integers rounded): the ratio's Jacobian cancels in log space.
      logRatio: (value: Assignment[string]) => {
        const x = toInternal(dim, value as number);
        return l.logPdf(x) - g.logPdf(x);
      },
    };
  });
  return {
    drawGood(rng) {
      const out: Assignment = {};
      for (const d of dims) out[d.name] = d.draw(rng);
      return out;
    },
    score(assignment) {
      let s = 0;
      for (const d of dims) s += d.logRatio(assignment[d.name]!); // a proposal sets every dimension
      return s;
    },
  };
}
