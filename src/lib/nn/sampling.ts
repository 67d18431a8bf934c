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
  // Reads below are by token id or by rank, always in range: `!` there is measured to matter (the
  // sort makes about 800k reads at a 50k vocabulary; a checked read cost 1.1–1.2x the whole draw).
  const values = Float64Array.from(logits);
  // Token ids from the most likely down, the lower id first on ties; then the top k of them.
  const ranked = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b);
  if (!ranked.length) throw new Error('sampleToken: no logits to sample from');
  let keep = o.topK ? Math.min(o.topK, ranked.length) : ranked.length;
  const top = values[ranked[0]!]!;
  const weights = new Float64Array(keep);
  for (let j = 0; j < keep; j++) weights[j] = Math.exp((values[ranked[j]!]! - top) / temperature);
  let total = sum(weights, keep);
  const topP = o.topP ?? 1;
  if (topP < 1) {
    // The smallest prefix whose probability reaches topP (at least one token).
    let cumulative = 0;
    for (let j = 0; j < keep; j++) {
      cumulative += weights[j]! / total;
      if (cumulative >= topP) {
        keep = j + 1;
        break;
      }
    }
    total = sum(weights, keep);
  }
  let u = rng.next() * total;
  for (let j = 0; j < keep - 1; j++) {
    u -= weights[j]!;
    if (u < 0) return ranked[j]!;
  }
  return ranked[keep - 1]!; // the last kept id when rounding leaves u ≥ 0 after every weight
}

/** Σ of the first n weights, in order (the same sum the draw walks). */
function sum(weights: Float64Array, n: number): number {
  let total = 0;
  for (let j = 0; j < n; j++) total += weights[j]!;
  return total;
}
