// Choosing a strategy by name and running it over many queries, deterministically: each query
// draws from its own generator, seeded by (seed, hash of the query id), so the negatives of a
// query do not depend on which other queries are mined or in what order.

import { Rng, deriveSeed } from '../nn/train/rng.js';
import { RandomMiner } from './random.js';
import { SameDocumentMiner, type SameDocumentOptions } from './same-document.js';
import { SimAnsMiner, type SimAnsOptions } from './simans.js';
import { SoftLabelMiner, type SoftLabelOptions } from './soft-label.js';
import { MiningStats } from './stats.js';
import { NegativesError, checkCount, type MiningContext, type MiningQuery, type MiningResult, type NegativeMiner, type StrategyName } from './types.js';
import { WindowMiner, type WindowOptions } from './window.js';

export const STRATEGIES: readonly StrategyName[] = ['random', 'window', 'simans', 'same-document', 'soft-label'];

/** The settings of every strategy; only the chosen strategy's entry is read. */
export interface StrategySettings {
  window?: WindowOptions;
  simans?: SimAnsOptions;
  sameDocument?: SameDocumentOptions;
  softLabel?: SoftLabelOptions;
}

export const DEFAULT_SETTINGS: Required<StrategySettings> = {
  window: { start: 10, end: 210, topUp: 'random' },
  simans: { a: 0.5, b: 0, variant: 'gaussian', scale: 1, standardize: false },
  sameDocument: { topUp: 'none' },
  softLabel: { temperature: 1 },
};

export function createMiner(strategy: StrategyName, settings: StrategySettings = {}): NegativeMiner {
  switch (strategy) {
    case 'random': return new RandomMiner();
    case 'window': return new WindowMiner({ ...DEFAULT_SETTINGS.window, ...settings.window });
    case 'simans': return new SimAnsMiner({ ...DEFAULT_SETTINGS.simans, ...settings.simans });
    case 'same-document': return new SameDocumentMiner({ ...DEFAULT_SETTINGS.sameDocument, ...settings.sameDocument });
    case 'soft-label': return new SoftLabelMiner({ ...DEFAULT_SETTINGS.softLabel, ...settings.softLabel });
    default: throw new NegativesError(`unknown negative strategy '${String(strategy)}': expected one of ${STRATEGIES.join(', ')}`);
  }
}

export interface MineOptions {
  /** Negatives per query. */
  count: number;
  seed: number;
  context?: MiningContext;
  /** Δ ≥ −suspectMargin counts as a suspected false negative (default 0: scored at or above s₊). */
  suspectMargin?: number;
}

export interface MinedQuery {
  query: MiningQuery;
  result: MiningResult;
}

/** FNV-1a over UTF-16 code units: a stable 32-bit hash of a query id. */
export function hashId(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/** The generator a query's negatives are drawn with. */
export function queryRng(seed: number, queryId: string): Rng {
  return new Rng(deriveSeed(seed, hashId(queryId)));
}

/** The longest candidate list: the depth the input was retrieved to. */
export function candidateDepth(queries: readonly MiningQuery[]): number {
  return queries.reduce((d, q) => Math.max(d, q.candidates.length), 0);
}

/** Mines every query with one strategy, after checking its settings against the candidate depth. */
export function mineAll(queries: readonly MiningQuery[], miner: NegativeMiner, o: MineOptions): { mined: MinedQuery[]; stats: MiningStats } {
  checkCount('the number of negatives', o.count, 1);
  miner.checkDepth(candidateDepth(queries));
  const stats = new MiningStats(o.suspectMargin ?? 0);
  const context = o.context ?? {};
  const mined = queries.map((query) => {
    const result = miner.mine(query, o.count, queryRng(o.seed, query.queryId), context);
    stats.add(query, result, o.count);
    return { query, result };
  });
  return { mined, stats };
}
