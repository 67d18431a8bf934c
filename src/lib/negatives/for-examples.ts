// The one-call form a training stage uses to take a `negatives` param: re-mine the negatives of a
// positive/negative example (LLM-R's `toPositiveNegative` output) from the query's scored
// candidates with the chosen strategy. `bottom-k` keeps the stage's own negatives (LLM-R's rule).

import { createMiner, queryRng, type StrategySettings } from './mine.js';
import type { MiningContext, StrategyName } from './types.js';

/** The `negatives` param of a training stage. */
export interface NegativesParam extends StrategySettings {
  strategy: StrategyName | 'bottom-k';
  /** Negatives mined per query (default 15). */
  count?: number;
}

/** Its JSON Schema, for a plugin's params (`negatives: NEGATIVES_PARAM_SCHEMA`). */
export const NEGATIVES_PARAM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: { strategy: 'bottom-k' },
  description: 'How negatives are chosen: bottom-k (the teacher\'s bottom k, LLM-R) or a mining strategy (src/lib/negatives, plugins/negatives/README.md).',
  properties: {
    strategy: { enum: ['bottom-k', 'random', 'window', 'simans', 'same-document', 'soft-label'], default: 'bottom-k' },
    count: { type: 'integer', minimum: 1, default: 15 },
    window: { type: 'object', properties: { start: { type: 'integer', minimum: 0 }, end: { type: 'integer', minimum: 1 }, margin: { type: 'number', minimum: 0 }, topUp: { enum: ['random', 'none'] } }, required: ['start', 'end'], additionalProperties: false },
    simans: { type: 'object', properties: { a: { type: 'number', minimum: 0 }, b: { type: 'number' }, k: { type: 'integer', minimum: 1 }, variant: { enum: ['gaussian', 'laplacian'] }, scale: { type: 'number', exclusiveMinimum: 0 }, standardize: { type: 'boolean' } }, required: ['a'], additionalProperties: false },
    sameDocument: { type: 'object', properties: { topUp: { enum: ['none', 'random', 'hard'] } }, additionalProperties: false },
    softLabel: { type: 'object', properties: { k: { type: 'integer', minimum: 1 }, temperature: { type: 'number', exclusiveMinimum: 0 } }, additionalProperties: false },
  },
} as const;

interface Scored {
  id: string;
  score: number;
}

/**
 * New negatives for one example: the strategy mines from `candidates` (scored, any order; ranked
 * here by score, descending, ties in input order), never taking a positive or the query. Pool
 * draws without a teacher score get `fillScore` (LLM-R's −100 for random fillers).
 */
export function remineNegatives(
  example: { queryId: string; positives: readonly Scored[] },
  candidates: readonly Scored[],
  param: NegativesParam,
  o: { seed: number; context?: MiningContext; fillScore?: number },
): Scored[] | undefined {
  if (param.strategy === 'bottom-k') return undefined;
  const miner = createMiner(param.strategy, param);
  const ranked = candidates.map((c, i) => ({ c, i })).sort((a, b) => b.c.score - a.c.score || a.i - b.i).map(({ c }) => c);
  miner.checkDepth(ranked.length);
  const positives = [...example.positives].sort((a, b) => b.score - a.score);
  const result = miner.mine({ queryId: example.queryId, positives, candidates: ranked }, param.count ?? 15, queryRng(o.seed, example.queryId), o.context ?? {});
  return result.negatives.map((n) => ({ id: n.id, score: n.score ?? o.fillScore ?? -100 }));
}
