// Hard-negative mining (methods.md §2–3): one miner per strategy behind `NegativeMiner`, the
// statistics of what they chose, and the contrastive losses the mined groups train with.

export {
  NegativesError, eligibleCandidates, positiveScore, requireScores, sampleWithoutReplacement, randomFromPool,
  type Candidate, type MiningQuery, type MiningContext, type MinedNegative, type MiningResult, type NegativeMiner, type StrategyName,
} from './types.js';
export { RandomMiner } from './random.js';
export { WindowMiner, type WindowOptions } from './window.js';
export { SimAnsMiner, type SimAnsOptions } from './simans.js';
export { SameDocumentMiner, type SameDocumentOptions } from './same-document.js';
export { SoftLabelMiner, softLabelWeights, type SoftLabelOptions } from './soft-label.js';
export { MiningStats, type MiningSummary, type Histogram } from './stats.js';
export {
  STRATEGIES, DEFAULT_SETTINGS, createMiner, mineAll, queryRng, candidateDepth, hashId,
  type StrategySettings, type MineOptions, type MinedQuery,
} from './mine.js';
export { contrastiveLoss, weightedContrastiveLoss, checkRankOrder, CrossBatchMemory, type ContrastiveLossOptions, type NegativesScope } from './losses.js';
export { readScoresFolder, groupLine, type ScoredLine, type GroupLine, type ReadScoresOptions } from './files.js';
export { remineNegatives, NEGATIVES_PARAM_SCHEMA, type NegativesParam } from './for-examples.js';
