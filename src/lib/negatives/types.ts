// What every negative miner takes and returns (methods.md §2–3).
//
// A miner sees one query at a time: its positive(s), its ranked candidates (best first, scored by
// a retriever or a teacher) and a seeded generator; it returns distinct negatives. Candidates
// that are positives, the query itself, or flagged as false negatives by the context are never
// returned. Scores are whatever the candidates carry (raw dot products, cosines, LM log-probs):
// strategies that need them refuse candidates without one, they never fall back silently.

import { NodeFailure } from '../../plugin/api.js';
import type { Rng } from '../nn/train/rng.js';

export interface Candidate {
  id: string;
  /** The retriever's or teacher's score; higher is better. */
  score?: number;
}

export interface MiningQuery {
  queryId: string;
  /** Annotated or teacher positives; the first one's score is s₊ where a strategy needs one. */
  positives: readonly Candidate[];
  /** Ranked candidates, best first (rank 0 = the first); may contain the positives. */
  candidates: readonly Candidate[];
}

export interface MiningContext {
  /** Every document a random negative may be drawn from (random, top-ups). */
  pool?: readonly string[];
  /** Document → its source (passage, article) id, for same-document negatives. */
  sourceOf?: (docId: string) => string | undefined;
  /** Known false negatives of a query (an answer-bearing passage, a same-label demonstration). */
  isFalseNegative?: (queryId: string, docId: string) => boolean;
}

export interface MinedNegative {
  id: string;
  score?: number;
  /** 0-based rank among the query's candidates; −1 for a document drawn from the pool. */
  rank: number;
}

export interface MiningResult {
  negatives: MinedNegative[];
  /** Weights of [positive, ...negatives] (soft-label strategy only); they sum to 1. */
  weights?: number[];
  /** The strategy's documented fallback ran (SimANS without s₊). */
  fallback: boolean;
  /** Negatives that came from a top-up rather than the strategy itself. */
  toppedUp: number;
  /** Candidates dropped as known false negatives (the context's predicate). */
  filtered: number;
}

export type StrategyName = 'random' | 'window' | 'simans' | 'same-document' | 'soft-label';

export interface NegativeMiner {
  readonly strategy: StrategyName;
  /** Whether every candidate must carry a score. */
  readonly needsScores: boolean;
  /**
   * Checks the settings against the candidate depth (the longest candidate list of the input):
   * a rank window or top-k reaching beyond it is an error, never a silent truncation.
   */
  checkDepth(depth: number): void;
  /** Up to `count` distinct negatives for one query. */
  mine(query: MiningQuery, count: number, rng: Rng, context: MiningContext): MiningResult;
}

/** A user-caused problem with the mining settings or input: shown without a stack trace. */
export class NegativesError extends NodeFailure {
  constructor(message: string) {
    super(message);
    this.name = 'NegativesError';
  }
}

/** The candidates that may be negatives, with their ranks: not a positive, not the query, not flagged. */
export function eligibleCandidates(query: MiningQuery, context: MiningContext): { eligible: MinedNegative[]; filtered: number } {
  const positives = new Set(query.positives.map((p) => p.id));
  const seen = new Set<string>();
  const eligible: MinedNegative[] = [];
  let filtered = 0;
  query.candidates.forEach((c, rank) => {
    if (positives.has(c.id) || c.id === query.queryId || seen.has(c.id)) return;
    seen.add(c.id);
    if (context.isFalseNegative?.(query.queryId, c.id)) {
      filtered++;
      return;
    }
    eligible.push({ id: c.id, score: c.score, rank });
  });
  return { eligible, filtered };
}

/** Throws unless every candidate of the query has a finite score. */
export function requireScores(strategy: string, query: MiningQuery): void {
  query.candidates.forEach((c, rank) => {
    if (c.score === undefined || !Number.isFinite(c.score)) {
      throw new NegativesError(`strategy ${strategy} needs scored candidates, but candidate ${c.id} (rank ${rank}) of query ${query.queryId} has ${c.score === undefined ? 'no score' : `score ${c.score}`}`);
    }
  });
}

/** s₊: the first positive's score, or its score among the candidates; undefined when neither has one. */
export function positiveScore(query: MiningQuery): number | undefined {
  const first = query.positives[0];
  if (first === undefined) return undefined;
  if (first.score !== undefined && Number.isFinite(first.score)) return first.score;
  return query.candidates.find((c) => c.id === first.id && c.score !== undefined)?.score;
}

/** `count` items drawn uniformly without replacement, in draw order. */
export function sampleWithoutReplacement<T>(items: readonly T[], count: number, rng: Rng): T[] {
  const copy = items.slice();
  const n = Math.min(count, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(copy.length - i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

/**
 * Random pool documents not already taken (and not positives, the query, or flagged), up to
 * `count`, uniformly without replacement. Draws by rejection while the pool is much larger than
 * what is excluded, so a query costs O(count) rather than O(pool); else filters the pool.
 */
export function randomFromPool(query: MiningQuery, taken: ReadonlySet<string>, count: number, rng: Rng, context: MiningContext): MinedNegative[] {
  if (count <= 0) return [];
  const pool = context.pool;
  if (!pool || pool.length === 0) throw new NegativesError(`query ${query.queryId}: a random draw needs a document pool, and none was given`);
  const positives = new Set(query.positives.map((p) => p.id));
  const allowed = (id: string) => !taken.has(id) && !positives.has(id) && id !== query.queryId && !context.isFalseNegative?.(query.queryId, id);
  const candidateOf = new Map(query.candidates.map((c) => [c.id, c]));
  const asNegative = (id: string): MinedNegative => ({ id, score: candidateOf.get(id)?.score, rank: -1 });
  const excluded = taken.size + positives.size + 1;
  if (pool.length > 8 * (excluded + count)) {
    const chosen = new Set<string>();
    for (let attempts = 0; chosen.size < count && attempts < 64 * count; attempts++) {
      const id = pool[rng.int(pool.length)]!;
      if (!chosen.has(id) && allowed(id)) chosen.add(id);
    }
    if (chosen.size === count) return [...chosen].map(asNegative);
  }
  return sampleWithoutReplacement(pool.filter(allowed), count, rng).map(asNegative);
}

export function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new NegativesError(`${name} must be an integer ≥ ${min}, got ${value}`);
}
