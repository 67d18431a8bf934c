// Positives, negatives and training groups from teacher scores (LLM-R, methods.md §1.3).
//
// A scored query lists its candidates with a teacher score (LLM mean log-prob plus the −100
// penalties, or a reward-model logit). Training stages turn it into groups of one positive and
// G−1 negatives, the same way the released code does:
//   1. `isValidExample`      drops queries with too few candidates or no usable positives
//                            (`filter_invalid_examples`);
//   2. `toPositiveNegative`  positives = the top k, negatives = the bottom m (or all the rest),
//                            each list shuffled once with a seed (`to_positive_negative_format`);
//   3. `groupForStep`        picks 1 positive and G−1 negatives cyclically with offset
//                            `epoch + seed` (`group_doc_ids`), after filling missing negatives with
//                            random pool documents whose teacher score is −100.
// Everything is a pure function of its inputs: the same seed gives the same groups.

import { Rng, deriveSeed } from '../nn/train/rng.js';

/** The teacher score given to filler negatives and the threshold below which a score is a penalty. */
export const PENALTY_SCORE = -100;

export interface ScoredCandidate {
  id: string;
  score: number;
}

export interface ScoredQuery {
  /** The query's id (unique within its task). */
  id: string;
  candidates: readonly ScoredCandidate[];
}

export interface PositiveNegativeOptions {
  /** How many of the best candidates are positives (`topk_as_positive`, 3). */
  topkAsPositive?: number;
  /** How many of the worst candidates are negatives; −1 = every non-positive (`bottomk_as_negative`, 16). */
  bottomkAsNegative?: number;
  /** Seeds the one-time shuffle of both lists. */
  seed: number;
}

export interface PositiveNegativeExample {
  queryId: string;
  /** Shuffled once; never empty for a valid example. */
  positives: ScoredCandidate[];
  /** Shuffled once; disjoint from the positives; may be shorter than a group needs. */
  negatives: ScoredCandidate[];
}

export interface Group {
  /** [positive, negative_1, …, negative_{G−1}] — the positive is always at index 0. */
  ids: string[];
  /** Teacher scores aligned with `ids` (filler negatives carry PENALTY_SCORE). */
  scores: number[];
}

export interface GroupOptions {
  /** G: one positive plus G−1 negatives (8 for the reward model, 4 for the retriever). */
  groupSize: number;
  epoch: number;
  seed: number;
  /** Every document id that may fill missing negatives (the query's train pool). */
  pool: readonly string[];
}

export const DEFAULT_TOPK_AS_POSITIVE = 3;
export const DEFAULT_BOTTOMK_AS_NEGATIVE = 16;

/**
 * `filter_invalid_examples`: a query is usable when it has more than `topkAsPositive` candidates
 * and its `topkAsPositive`-th best score is above the −100 penalty (so every positive is real).
 */
export function isValidExample(query: ScoredQuery, topkAsPositive = DEFAULT_TOPK_AS_POSITIVE): boolean {
  checkCount('topkAsPositive', topkAsPositive, 1);
  if (query.candidates.length <= topkAsPositive) return false;
  const sorted = query.candidates.map((c) => c.score).sort((a, b) => b - a);
  return sorted[topkAsPositive - 1]! > PENALTY_SCORE;
}

/** The valid queries, in their input order, and how many were dropped. */
export function filterInvalidExamples<Q extends ScoredQuery>(
  queries: readonly Q[],
  topkAsPositive = DEFAULT_TOPK_AS_POSITIVE,
): { kept: Q[]; dropped: number } {
  const kept = queries.filter((q) => isValidExample(q, topkAsPositive));
  return { kept, dropped: queries.length - kept.length };
}

/**
 * `to_positive_negative_format`: sort by score descending (ties keep their input order), take the
 * top `topkAsPositive` as positives and the bottom `bottomkAsNegative` (all the rest with −1) as
 * negatives, never overlapping the positives; shuffle each list once. The shuffle is seeded by
 * `seed` and the query id, so it does not depend on the order the queries come in.
 */
export function toPositiveNegative(query: ScoredQuery, options: PositiveNegativeOptions): PositiveNegativeExample {
  const topk = options.topkAsPositive ?? DEFAULT_TOPK_AS_POSITIVE;
  const bottomk = options.bottomkAsNegative ?? DEFAULT_BOTTOMK_AS_NEGATIVE;
  checkCount('topkAsPositive', topk, 1);
  if (!(bottomk === -1 || (Number.isInteger(bottomk) && bottomk >= 1))) {
    throw new Error(`bottomkAsNegative must be −1 or a positive integer, got ${bottomk}`);
  }
  const order = query.candidates
    .map((c, index) => ({ c, index }))
    .sort((a, b) => b.c.score - a.c.score || a.index - b.index)
    .map(({ c }) => ({ id: c.id, score: c.score }));
  const positives = order.slice(0, topk);
  const negatives = bottomk === -1 ? order.slice(topk) : order.slice(Math.max(topk, order.length - bottomk));
  const rng = new Rng(deriveSeed(options.seed, hashString(query.id)));
  rng.shuffle(positives);
  rng.shuffle(negatives);
  return { queryId: query.id, positives, negatives };
}

/** The cyclic offset of a training step: `epoch + seed`, as in the released loaders. */
export function groupOffset(epoch: number, seed: number): number {
  return epoch + seed;
}

/**
 * `_slice_with_mod`: `count` items starting at `offset`, wrapping around the list.
 * sliceWithMod([a, b, c], 4, 2) = [b, c].
 */
export function sliceWithMod<T>(items: readonly T[], offset: number, count: number): T[] {
  if (items.length === 0) throw new Error('cannot slice an empty list');
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(items[mod(offset + i, items.length)]!);
  return out;
}

/**
 * Negatives padded to at least `negativeSize` with random pool documents at PENALTY_SCORE
 * (the random fill of the loaders). Fillers avoid the query itself and the example's own
 * candidates while the pool has other documents; draws are seeded by (seed, epoch, query id).
 */
export function fillNegatives(
  example: PositiveNegativeExample,
  negativeSize: number,
  pool: readonly string[],
  seed: number,
  epoch: number,
): ScoredCandidate[] {
  const negatives = example.negatives.slice();
  if (negatives.length >= negativeSize) return negatives;
  const taken = new Set<string>([example.queryId, ...example.positives.map((c) => c.id), ...negatives.map((c) => c.id)]);
  const fresh = pool.filter((id) => !taken.has(id));
  const source = fresh.length > 0 ? fresh : pool;
  if (source.length === 0) throw new Error(`query ${example.queryId}: the pool is empty, no document can fill its negatives`);
  const rng = new Rng(deriveSeed(seed, epoch, hashString(example.queryId)));
  while (negatives.length < negativeSize) negatives.push({ id: source[rng.int(source.length)]!, score: PENALTY_SCORE });
  return negatives;
}

/**
 * `group_doc_ids` for one example at one epoch: with offset o = epoch + seed and n = G − 1, the
 * positive is positives[o mod P] and the negatives are negatives[(o·n + i) mod N] for i < n, after
 * the random fill. Each epoch thus moves to the next positive and the next n negatives.
 */
export function groupForStep(example: PositiveNegativeExample, options: GroupOptions): Group {
  checkCount('groupSize', options.groupSize, 1);
  if (example.positives.length === 0) throw new Error(`query ${example.queryId} has no positive; filter invalid examples first`);
  const negativeSize = options.groupSize - 1;
  const offset = groupOffset(options.epoch, options.seed);
  const positive = sliceWithMod(example.positives, offset, 1); // [the positive]
  const negatives = negativeSize === 0 ? [] : sliceWithMod(
    fillNegatives(example, negativeSize, options.pool, options.seed, options.epoch),
    offset * negativeSize,
    negativeSize,
  );
  const members = [...positive, ...negatives];
  return { ids: members.map((c) => c.id), scores: members.map((c) => c.score) };
}

/** FNV-1a over UTF-16 code units: a stable 32-bit hash for seeding per query. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${value}`);
}
