// Search strategies for sweeps: a search space, random search, TPE and the median stopping rule.
// A pure library: no I/O, deterministic given a seed.
export { choice, int, loguniform, uniform, validateSpace, contains, assignmentId, type Assignment, type ChoiceValue, type Dimension, type SearchSpace, type SpaceProblem } from './space.js';
export { proposalsAllowed, type Direction, type IntermediateValue, type Sampler, type SamplerOptions, type Trial, type TrialState } from './sampler.js';
export { RandomSampler } from './random-search.js';
export { TpeSampler, defaultGamma, type TpeOptions } from './tpe.js';
export { MedianPruner, type MedianPrunerOptions, type PruneDecision } from './median-pruner.js';
export { parseDimension, parseSpace, type ParsedDimension } from './parse.js';
export { Prng } from './prng.js';
