// The sampler and the pruner a search spec asks for.
import { MedianPruner, RandomSampler, TpeSampler, type Sampler, type SearchSpace } from '../search/index.js';
import type { SearchSpec } from '../search-spec.js';

export function makeSampler(spec: SearchSpec, space: SearchSpace): Sampler {
  const options = { space, seed: spec.seed, direction: spec.objective.direction, budget: spec.budget };
  return spec.sampler === 'random' ? new RandomSampler(options) : new TpeSampler(options);
}

export function makePruner(spec: SearchSpec): MedianPruner | undefined {
  if (!spec.prune) return undefined;
  return new MedianPruner({ direction: spec.objective.direction, nStartupTrials: spec.prune.startupTrials, nWarmupSteps: spec.prune.warmupSteps });
}
