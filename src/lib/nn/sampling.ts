// Choosing the next token from one row of logits: greedy, or sampled with temperature, top-k and
// top-p (nucleus), in that order, as Hugging Face's generate applies its logits warpers.

import { Rng } from './train/rng.js';

export interface SamplingOptions {
  /** Divides the logits; 0 (the default) means greedy decoding. */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 (the default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 (the default) keeps all. */
  topP?: number;
}

/** Throws a clear message for options no sampler can honour. */
export function checkSampling(o: SamplingOptions): void {
  const t = o.temperature ?? 0;
  if (!(Number.isFinite(t) && t >= 0)) throw new Error(`temperature must be a finite number ≥ 0, got ${o.temperature}`);
  const k = o.topK ?? 0;
  if (!(Number.isInteger(k) && k >= 0)) throw new Error(`topK must be an integer ≥ 0 (0 keeps every token), got ${o.topK}`);
  const p = o.topP ?? 1;
  if (!(p > 0 && p <= 1)) throw new Error(`topP must be in (0, 1], got ${o.topP}`);
}

export function isGreedy(o: SamplingOptions): boolean {
  return (o.temperature ?? 0) === 0;
}

/** The index of the largest logit (the first one on ties, like argMax). */
export function argMax(logits: ArrayLike<number>): number {
  let best = 0;
  let max = logits[0] ?? NaN;
  for (let i = 1; i < logits.length; i++) {
    const logit = logits[i] ?? NaN; // in range; NaN, like a NaN logit, is never the largest
    if (logit > max) {
      best = i;
      max = logit;
    }
  }
  return best;
}

/** One token drawn from softmax(logits / temperature), restricted by top-k, then top-p. */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  if (isGreedy(o)) return argMax(logits);
  const temperature = o.temperature as number;
  // Reads by token id, always in range (ids are 0..length-1): the default never applies.
  const logit = (id: number): number => logits[id] ?? -Infinity;
  // Token ids from the most likely down, the lower id first on ties; then the top k of them.
  const ranked = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logit(b) - logit(a) || a - b);
  const [best] = ranked;
  if (best === undefined) throw new Error('sampleToken: no logits to sample from');
  let ids = o.topK ? ranked.slice(0, o.topK) : ranked;
  const top = logit(best);
  let weights = ids.map((id) => Math.exp((logit(id) - top) / temperature));
  let total = sum(weights);
  const topP = o.topP ?? 1;
  if (topP < 1) {
    // The smallest prefix whose probability reaches topP (at least one token).
    let keep = weights.length;
    let cumulative = 0;
    for (const [j, w] of weights.entries()) {
      cumulative += w / total;
      if (cumulative >= topP) {
        keep = j + 1;
        break;
      }
    }
    ids = ids.slice(0, keep);
    weights = weights.slice(0, keep);
    total = sum(weights);
  }
  let u = rng.next() * total;
  let chosen = best;
  for (const [j, id] of ids.entries()) {
    chosen = id;
    u -= weights[j] ?? 0; // as many weights as ids
    if (u < 0) break;
  }
  return chosen; // the last id when rounding leaves u ≥ 0 after every weight
}

/** Σ weights, in order (the same sum the draw walks). */
function sum(weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  return total;
}
