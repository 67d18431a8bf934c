// Synthetic objectives with known minima, and a search driver that keeps a number of trials in
// flight: what the TPE tests and bench/tpe-vs-random.ts measure.
import { choice, int, loguniform, uniform, type Assignment, type Sampler, type SearchSpace, type Trial } from '../../src/sweep/search/index.js';
import { RandomSampler } from '../../src/sweep/search/random-search.js';
import { TpeSampler } from '../../src/sweep/search/tpe.js';

export interface Objective {
  name: string;
  space: SearchSpace;
  minimum: number;
  f(a: Assignment): number;
}

/** Branin (minimum 0.397887 at three points), its domain shifted so no optimum sits at a round number. */
export const BRANIN: Objective = {
  name: 'branin (shifted)',
  space: { x: uniform(-3, 12), y: uniform(2, 17) },
  minimum: 0.397887,
  f: (a) => {
    const x = (a.x as number) - 2;
    const y = (a.y as number) - 2;
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
  },
};

const ACTIVATION_COST: Record<string, number> = { relu: 0.5, tanh: 0, gelu: 1, sigmoid: 2 };

/** A 4-d quadratic over a linear, a log, an integer and a log-integer dimension, plus a choice; minimum 0. */
export const QUADRATIC: Objective = {
  name: 'quadratic 4-d + choice',
  space: {
    shift: uniform(-5, 5),
    lr: loguniform(1e-5, 1),
    layers: int(1, 16),
    width: int(4, 1024, { log: true }),
    activation: choice(['relu', 'tanh', 'gelu', 'sigmoid']),
  },
  minimum: 0,
  f: (a) =>
    ((a.shift as number) - 1.3) ** 2 +
    (Math.log10(a.lr as number) + 3) ** 2 +
    (((a.layers as number) - 6) / 3) ** 2 +
    Math.log2((a.width as number) / 128) ** 2 / 4 +
    ACTIVATION_COST[a.activation as string]!,
};

export const OBJECTIVES = [BRANIN, QUADRATIC];

export type Strategy = 'tpe' | 'random';

export function samplerFor(strategy: Strategy, space: SearchSpace, seed: number): Sampler {
  return strategy === 'tpe' ? new TpeSampler({ space, seed, direction: 'minimize' }) : new RandomSampler({ space, seed });
}

/**
 * Runs a search of `budget` trials with `jobs` in flight: whenever a trial finishes (the oldest
 * first, as a queue of equal-length jobs would), one more is proposed. Returns the best value found.
 */
export function searchBest(sampler: Sampler, objective: Objective, budget: number, jobs = 1): number {
  const history: Trial[] = [];
  const start = (n: number) => { for (const assignment of sampler.propose(history, n)) history.push({ assignment, state: 'running' }); };
  start(Math.min(jobs, budget));
  let best = Infinity;
  for (let i = 0; i < history.length; i++) {
    const trial = history[i]!;
    trial.objective = objective.f(trial.assignment);
    trial.state = 'done';
    best = Math.min(best, trial.objective);
    if (history.length < budget) start(1);
  }
  return best;
}

export function meanBest(strategy: Strategy, objective: Objective, seeds: readonly number[], budget: number, jobs = 1): number {
  const bests = seeds.map((seed) => searchBest(samplerFor(strategy, objective.space, seed), objective, budget, jobs));
  return bests.reduce((s, v) => s + v, 0) / bests.length;
}
