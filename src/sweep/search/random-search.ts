// Random search: every dimension drawn independently (uniform, log-uniform in log space, integers
// with equal probability or log-uniformly, choices uniformly), within a budget.
import { Prng } from './prng.js';
import { DUPLICATE_ATTEMPTS, proposalsAllowed, type Sampler, type SamplerOptions, type Trial } from './sampler.js';
import { dimensionNames, dimensions, idOver, fromInternal, searchInterval, type Assignment, type Dimension, type SearchSpace } from './space.js';

/** One value of a dimension, drawn from its prior. */
export function drawFromPrior(dim: Dimension, rng: Prng): Assignment[string] {
  if (dim.kind === 'choice') return dim.values[rng.below(dim.values.length)]!; // below(n) < n
  const { lo, hi } = searchInterval(dim);
  return fromInternal(dim, rng.uniform(lo, hi));
}

export function drawAssignment(space: SearchSpace, rng: Prng): Assignment {
  const out: Assignment = {};
  for (const [name, dim] of dimensions(space)) out[name] = drawFromPrior(dim, rng);
  return out;
}

/**
 * Draws assignments for trials `first`, `first + 1`, …: each trial's generator is derived from the
 * seed and the trial's number, so a resumed search proposes what the first attempt would have.
 * Assignments already taken (`taken`, by their assignmentId) are drawn again.
 */
export function drawNew(space: SearchSpace, seed: number, first: number, count: number, taken: Set<string>): Assignment[] {
  const out: Assignment[] = [];
  const names = dimensionNames(space);
  for (let i = 0; i < count; i++) {
    const rng = Prng.derive(seed, first + i);
    for (let attempt = 0; attempt < DUPLICATE_ATTEMPTS; attempt++) {
      const a = drawAssignment(space, rng);
      const id = idOver(names, a);
      if (taken.has(id)) continue;
      taken.add(id);
      out.push(a);
      break;
    }
  }
  return out;
}

/** Assignments of the history random search will not draw again: all of them (it learns nothing else). */
function takenBy(space: SearchSpace, history: readonly Trial[]): Set<string> {
  const names = dimensionNames(space);
  return new Set(history.map((t) => idOver(names, t.assignment)));
}

export class RandomSampler implements Sampler {
  constructor(private readonly options: SamplerOptions) {}

  propose(history: readonly Trial[], count: number): Assignment[] {
    const { space, seed, budget } = this.options;
    const n = proposalsAllowed(history, count, budget);
    return drawNew(space, seed, history.length, n, takenBy(space, history));
  }
}
