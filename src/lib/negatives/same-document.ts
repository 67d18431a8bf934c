// Same-document negatives (methods.md §3.4; no reference implementation exists, so the choice is
// ours and written here): the documents that share the positive's source (the other chunks of its
// document, the other questions on one SQuAD paragraph), minus positives, the query and known
// false negatives, sampled uniformly. They come from the candidates first (in rank order, so their
// scores are known) and then from the pool. When there are too few, `topUp` fills with random pool
// documents ('random'), the best remaining candidates ('hard'), or nothing ('none'); counted.

import type { Rng } from '../nn/train/rng.js';
import {
  NegativesError, eligibleCandidates, randomFromPool, sampleWithoutReplacement,
  type MinedNegative, type MiningContext, type MiningQuery, type MiningResult, type NegativeMiner,
} from './types.js';

export interface SameDocumentOptions {
  topUp?: 'none' | 'random' | 'hard';
}

export class SameDocumentMiner implements NegativeMiner {
  readonly strategy = 'same-document' as const;
  readonly needsScores = false;
  private readonly topUp: 'none' | 'random' | 'hard';

  constructor(o: SameDocumentOptions = {}) {
    this.topUp = o.topUp ?? 'none';
  }

  checkDepth(): void {}

  mine(query: MiningQuery, count: number, rng: Rng, context: MiningContext): MiningResult {
    const sourceOf = context.sourceOf;
    if (!sourceOf) throw new NegativesError('same-document negatives need the source (passage or document id) of every document, and none was given');
    const positive = query.positives[0];
    if (!positive) throw new NegativesError(`query ${query.queryId} has no positive to take the source document from`);
    const source = sourceOf(positive.id);
    if (source === undefined) throw new NegativesError(`the positive ${positive.id} of query ${query.queryId} has no source id`);

    const { eligible, filtered } = eligibleCandidates(query, context);
    const sameSource: MinedNegative[] = eligible.filter((c) => sourceOf(c.id) === source);
    const listed = new Set(query.candidates.map((c) => c.id));
    const positives = new Set(query.positives.map((p) => p.id));
    for (const id of context.pool ?? []) {
      if (listed.has(id) || positives.has(id) || id === query.queryId || sourceOf(id) !== source) continue;
      if (context.isFalseNegative?.(query.queryId, id)) continue;
      sameSource.push({ id, rank: -1 });
      listed.add(id);
    }
    const negatives = sampleWithoutReplacement(sameSource, count, rng);
    let toppedUp = 0;
    const missing = count - negatives.length;
    if (missing > 0 && this.topUp !== 'none') {
      const taken = new Set(negatives.map((n) => n.id));
      const extra = this.topUp === 'hard'
        ? eligible.filter((c) => !taken.has(c.id)).slice(0, missing)
        : randomFromPool(query, taken, missing, rng, context);
      toppedUp = extra.length;
      negatives.push(...extra);
    }
    return { negatives, fallback: false, toppedUp, filtered };
  }
}
