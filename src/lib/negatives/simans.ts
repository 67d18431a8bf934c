// SimANS, ambiguous negatives (methods.md §2; Zhou et al. 2022). Over the top-k candidates with
// the positives and known false negatives removed, each candidate i is drawn with probability
//
//   gaussian:   p_i ∝ exp(−a · (Δ_i − b)²)      Δ_i = (s_i − s₊) · scale   (the paper's form)
//   laplacian:  p_i ∝ exp(−a · |Δ_i − b|)        (MS MARCO passage: a = 3, b = 0)
//
// sampled without replacement (successive draws, each ∝ p among the candidates not yet drawn).
//
// Sign of b: the PAPER's. The mode sits at s_i = s₊ + b, so b < 0 favours negatives scored below
// the positive. The released code writes exp(−a (s_i − s₊ + b)²): its b is minus ours, and its NQ
// setting b = 1.0 is b = −1.0 here.
//
// Scale: the paper's a = 0.5 is for raw dot products of BERT CLS vectors (tens). For cosine scores
// set `scale` to 1/τ of the retriever (Δ then is the difference of its logits), or `standardize`
// to divide Δ by the standard deviation of the top-k scores of each query; a and b then apply to
// the rescaled Δ (equivalently a_cos = a·scale², b_cos = b/scale on raw cosines).
//
// Fallback (as the code): when s₊ is unknown (the positive has no score and is not among the
// candidates, i.e. not retrieved in the top-k), the last `count` candidates of the top-k are taken,
// the list repeated when it is shorter. It is counted in the statistics, never hidden.

import type { Rng } from '../nn/train/rng.js';
import {
  NegativesError, checkCount, eligibleCandidates, positiveScore, requireScores,
  type MinedNegative, type MiningContext, type MiningQuery, type MiningResult, type NegativeMiner,
} from './types.js';

export interface SimAnsOptions {
  /** a ≥ 0: sharpness (paper default 0.5; a = 0 is uniform over the top-k). */
  a: number;
  /** b in the paper's sign: the mode is at s₊ + b (default 0). */
  b?: number;
  /** Candidates considered, the top k by rank (SimANS: 100 for NQ/TQ, 200 for MS MARCO); default all. */
  k?: number;
  variant?: 'gaussian' | 'laplacian';
  /** Multiplies s_i − s₊ (e.g. 1/τ for cosine scores); default 1. */
  scale?: number;
  /** Divide s_i − s₊ by the standard deviation of the query's top-k scores. */
  standardize?: boolean;
}

export class SimAnsMiner implements NegativeMiner {
  readonly strategy = 'simans' as const;
  readonly needsScores = true;
  readonly a: number;
  readonly b: number;
  readonly variant: 'gaussian' | 'laplacian';
  readonly scale: number;

  constructor(private readonly o: SimAnsOptions) {
    if (!(Number.isFinite(o.a) && o.a >= 0)) throw new NegativesError(`SimANS a must be a finite number ≥ 0, got ${o.a}`);
    if (o.b !== undefined && !Number.isFinite(o.b)) throw new NegativesError(`SimANS b must be a finite number, got ${o.b}`);
    if (o.k !== undefined) checkCount('SimANS k', o.k, 1);
    if (o.scale !== undefined && !(Number.isFinite(o.scale) && o.scale > 0)) throw new NegativesError(`SimANS scale must be a finite number > 0, got ${o.scale}`);
    this.a = o.a;
    this.b = o.b ?? 0;
    this.variant = o.variant ?? 'gaussian';
    this.scale = o.scale ?? 1;
  }

  checkDepth(depth: number): void {
    if (this.o.k !== undefined && this.o.k > depth) {
      throw new NegativesError(`SimANS k = ${this.o.k} reaches beyond the candidate depth: the input ranks at most ${depth} candidates per query`);
    }
  }

  /** Unnormalised log-weights log w_i of candidates at the given score differences Δ_i. */
  logWeights(deltas: readonly number[]): number[] {
    return deltas.map((d) => (this.variant === 'gaussian' ? -this.a * (d - this.b) ** 2 : -this.a * Math.abs(d - this.b)));
  }

  /** The normalised sampling distribution over candidates with these Δ (for tests and reports). */
  probabilities(deltas: readonly number[]): number[] {
    const lw = this.logWeights(deltas);
    const top = Math.max(...lw);
    const w = lw.map((x) => Math.exp(x - top));
    const total = w.reduce((s, x) => s + x, 0);
    return w.map((x) => x / total);
  }

  mine(query: MiningQuery, count: number, rng: Rng, context: MiningContext): MiningResult {
    requireScores('simans', query);
    const { eligible, filtered } = eligibleCandidates(query, context);
    const top = this.o.k === undefined ? eligible : eligible.filter((c) => c.rank < this.o.k!);
    if (top.length === 0 || count === 0) return { negatives: [], fallback: false, toppedUp: 0, filtered };
    const sPos = positiveScore(query);
    if (sPos === undefined) return { negatives: lastRanked(top, count), fallback: true, toppedUp: 0, filtered };

    let spread = 1;
    if (this.o.standardize) {
      const scores = top.map((c) => c.score!);
      const mean = scores.reduce((s, x) => s + x, 0) / scores.length;
      spread = Math.sqrt(scores.reduce((s, x) => s + (x - mean) ** 2, 0) / scores.length) || 1;
    }
    const deltas = top.map((c) => ((c.score! - sPos) * this.scale) / spread);
    return { negatives: successiveSample(top, this.logWeights(deltas), count, rng), fallback: false, toppedUp: 0, filtered };
  }
}

/** The last `count` candidates of the top-k (SimANS without s₊; the group repeats them if short). */
function lastRanked(items: readonly MinedNegative[], count: number): MinedNegative[] {
  return items.slice(Math.max(0, items.length - count));
}

/** Weighted sampling without replacement: each draw ∝ exp(logWeight) among the items not yet drawn. */
function successiveSample<T>(items: readonly T[], logWeights: readonly number[], count: number, rng: Rng): T[] {
  const top = Math.max(...logWeights);
  const w = logWeights.map((x) => Math.exp(x - top));
  const taken = new Uint8Array(items.length);
  const out: T[] = [];
  while (out.length < Math.min(count, items.length)) {
    let total = 0;
    // One weight per item (the caller's contract).
    for (let i = 0; i < items.length; i++) if (!taken[i]) total += w[i]!;
    let pick = -1;
    if (total > 0) {
      let u = rng.next() * total;
      for (let i = 0; i < items.length; i++) {
        if (taken[i] || w[i] === 0) continue;
        pick = i; // the last positive weight seen, in case rounding leaves u ≥ 0
        u -= w[i]!;
        if (u < 0) break;
      }
    } else {
      // Every weight left underflowed to 0 (a huge a): the rest are equally unlikely, draw uniformly.
      const left = items.map((_, i) => i).filter((i) => !taken[i]);
      pick = left[rng.int(left.length)]!;
    }
    // A weight above 0 is left when total > 0, so pick names an item not yet drawn.
    taken[pick] = 1;
    out.push(items[pick]!);
  }
  return out;
}
