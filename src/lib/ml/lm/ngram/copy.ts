// The copy component: a pointer into the prompt for the tokens of an answer line. An n-gram model
// has no way to carry a passage's words into an answer (its history across the newline is the
// question's last words), which an LLM does by attending back into the prompt. This is the
// n-gram family's version of that, read from the prompt alone (the tokens before the answer line):
//
//   first token (t = 0), a pointer from the question into the passage:
//     s(p)    = Σ_{u ∈ Q} idf(u) · (1 − d_u(p) / (|Q| + 1))     idf(u) = −log P_unigram(u)
//               d_u(p): distance from p to the nearest u of the passage, when within |Q| tokens
//     α(p)    = exp(s(p) − max s) / Σ exp(…)        over passage positions p whose token is a
//                                                   content word (no question word, function word
//                                                   or punctuation)
//     C_0(w)  = Σ_p α(p) · [x_p = w]
//   later tokens (t ≥ 1), the span goes on where it was copied from:
//     live    = starts p with x_{p..p+t−1} = y_{1..t}; C(w) ∝ Σ_{p ∈ live} α(p) · [x_{p+t} = w]
//     otherwise the longest match: positions j of the prompt whose last ℓ tokens equal the answer's
//     last ℓ (ℓ ≤ t, as long as any match), C(w) ∝ #{j : x_{j+1} = w}
//   and the span ends as the demonstrations' answers end (hazard of their lengths in tokens):
//     h(t)    = #{d : |y_d| = t} / #{d : |y_d| ≥ t}   (1 past the longest; 0 without demonstrations)
//     C_t     = h(t) · [newline] + (1 − h(t)) · C(w)
//
// The question Q is the content words of the test input's last sentence (after its last ".",
// "?" or "!" that is not its last token; function words, the model's 100 most frequent, are left
// out) and the passage what comes before it. With nothing to copy the component is
// silent and the model's distribution is unchanged. It is mixed in per step:
//   P = (1 − ω_t) · P_model + ω_t · C_t,    ω_0 for the first token, ω for the rest,
// both chosen per prompt (`omega: 'loo'`) by how well the copy would have predicted the prompt's
// own demonstrations' answers (each from the text before it, as the LM read it; chooseCopyWeights).

export interface CopyPlan {
  /** The tokens (events) before the answer line; the copy points into these. */
  source: readonly number[];
  /** Positions of each event in `source`. */
  index: ReadonlyMap<number, readonly number[]>;
  /** Pointer weights α(p) of the span starts, summing to 1 (empty: nothing to point at). */
  starts: ReadonlyMap<number, number>;
  /** Answer lengths (tokens) of the demonstrations, for the hazard. */
  lengths: readonly number[];
  newline: number;
  /** ω_0 (first token) and ω (later tokens). */
  weights: readonly [number, number];
}

/** A demonstration in the token stream: input [inputStart, answerStart − 1), answer [answerStart, end), newline at end. */
export interface StreamDemonstration {
  inputStart: number;
  answerStart: number;
  end: number;
}

/** The demonstrations and the test input of a stream that ends with the newline starting an answer line, or null. */
export function splitStream(events: readonly number[], newline: number): { demonstrations: StreamDemonstration[]; inputStart: number } | null {
  const n = events.length;
  if (n < 2 || events[n - 1] !== newline || events[n - 2] === newline) return null;
  const demonstrations: StreamDemonstration[] = [];
  let segment = 0;
  let lastNewline = -1;
  for (let i = 0; i < n - 1; i++) {
    if (events[i] !== newline) continue;
    if (events[i + 1] === newline) {
      // A blank line ends a segment: its last line is the answer.
      if (lastNewline > segment && lastNewline < i - 1) demonstrations.push({ inputStart: segment, answerStart: lastNewline + 1, end: i });
      segment = i + 2;
      lastNewline = -1;
      i++;
    } else lastNewline = i;
  }
  if (segment >= n - 1) return null;
  return { demonstrations, inputStart: segment };
}

export function indexPositions(events: readonly number[]): Map<number, number[]> {
  const index = new Map<number, number[]>();
  events.forEach((e, i) => {
    const list = index.get(e);
    if (list) list.push(i);
    else index.set(e, [i]);
  });
  return index;
}

const SENTENCE_END = new Set(['.', '?', '!']);
const WORD = /[\p{L}\p{N}]/u;

/**
 * The pointer weights α(p) over the passage of the input in events[from, to) (see the header).
 * `text` gives an event's token, `idf` its weight; function words (`isFunctionWord`) neither
 * count as question words nor start a span (the model itself proposes "the" before a copied name).
 */
export function pointerStarts(
  events: readonly number[], from: number, to: number,
  text: (e: number) => string, idf: (e: number) => number, isFunctionWord: (e: number) => boolean,
): Map<number, number> {
  let q = -1;
  for (let i = to - 2; i >= from; i--) if (SENTENCE_END.has(text(events[i]!))) {
    q = i + 1;
    break;
  }
  const starts = new Map<number, number>();
  if (q <= from) return starts;
  const question = new Set(events.slice(q, to).filter((e) => !isFunctionWord(e)));
  const width = to - q;
  const scores: [number, number][] = [];
  for (let p = from; p < q; p++) {
    // A span starts at a content word of the passage: not a question word, a function word or punctuation.
    if (question.has(events[p]!) || isFunctionWord(events[p]!) || !WORD.test(text(events[p]!))) continue;
    // Each question word counts by its rarity, less the farther its nearest occurrence is.
    const nearest = new Map<number, number>();
    for (let j = Math.max(from, p - width); j <= Math.min(q - 1, p + width); j++) {
      if (j === p || !question.has(events[j]!)) continue;
      const d = Math.abs(j - p);
      if (d < (nearest.get(events[j]!) ?? Infinity)) nearest.set(events[j]!, d);
    }
    let s = 0;
    for (const [u, d] of nearest) s += idf(u) * (1 - d / (width + 1));
    if (s > 0) scores.push([p, s]);
  }
  if (scores.length === 0) return starts;
  const top = Math.max(...scores.map(([, s]) => s));
  let z = 0;
  for (const [, s] of scores) z += Math.exp(s - top);
  for (const [p, s] of scores) starts.set(p, Math.exp(s - top) / z);
  return starts;
}

/** h(t): the share of demonstrations' answers at least t tokens long that are exactly t long. */
export function stopHazard(lengths: readonly number[], t: number): number {
  if (lengths.length === 0 || t === 0) return 0;
  let atLeast = 0;
  let exactly = 0;
  for (const l of lengths) {
    if (l >= t) atLeast++;
    if (l === t) exactly++;
  }
  return atLeast === 0 ? 1 : exactly / atLeast;
}

/** C_t over events after the answer tokens so far (empty when there is nothing to copy). */
export function copyDistribution(plan: Omit<CopyPlan, 'weights'>, answer: readonly number[], limit = plan.source.length): Map<number, number> {
  const { source, starts } = plan;
  const t = answer.length;
  const dist = new Map<number, number>();
  const add = (w: number, v: number): void => {
    dist.set(w, (dist.get(w) ?? 0) + v);
  };
  if (t === 0) {
    for (const [p, a] of starts) if (p < limit) add(source[p]!, a);
    return dist;
  }
  let mass = 0;
  for (const [p, a] of starts) {
    if (p + t >= limit) continue;
    let live = true;
    for (let i = 0; i < t && live; i++) live = source[p + i] === answer[i];
    if (live) {
      add(source[p + t]!, a);
      mass += a;
    }
  }
  if (mass === 0) {
    // No copied span goes on: the longest match of the answer's last tokens anywhere in the prompt.
    let best = 0;
    const ends: number[] = [];
    for (const j of plan.index.get(answer[t - 1]!) ?? []) {
      if (j + 1 >= limit) break;
      let l = 1;
      while (l < t && j - l >= 0 && source[j - l] === answer[t - 1 - l]) l++;
      if (l > best) {
        best = l;
        ends.length = 0;
      }
      if (l === best) ends.push(j);
    }
    for (const j of ends) add(source[j + 1]!, 1);
    mass = ends.length;
  }
  if (mass === 0) return dist;
  const h = stopHazard(plan.lengths, t);
  for (const [w, v] of dist) dist.set(w, (1 - h) * (v / mass));
  if (h > 0) add(plan.newline, h);
  return dist;
}

export const OMEGA_GRID: readonly number[] = [0, 0.1, 0.25, 0.5, 0.75, 0.9];

/** The ω of the grid that maximizes Σ log((1 − ω) · base + ω · copy) over (base, copy) pairs; ties keep the smaller. */
export function bestWeight(pairs: readonly (readonly [number, number])[], grid: readonly number[] = OMEGA_GRID): number {
  let best = 0;
  let bestL = -Infinity;
  for (const w of grid) {
    let L = 0;
    for (const [b, c] of pairs) L += Math.log((1 - w) * b + w * c);
    if (L > bestL + 1e-12) {
      bestL = L;
      best = w;
    }
  }
  return best;
}

/** Fewer answered demonstrations than this and 'loo' turns the copy off (as the demonstration prior's leave-one-out). */
export const MIN_DEMONSTRATIONS = 3;

/**
 * ω_0 and ω by how the copy would have predicted each demonstration's answer (its tokens and the
 * newline ending it) from the text before that answer, against `base`, the LM's probability of
 * that token as it read the prompt; the hazard uses the other demonstrations' lengths.
 */
export function chooseCopyWeights(
  events: readonly number[],
  base: readonly number[],
  demonstrations: readonly StreamDemonstration[],
  index: ReadonlyMap<number, readonly number[]>,
  newline: number,
  pointer: (from: number, to: number) => Map<number, number>,
): [number, number] {
  if (demonstrations.length < MIN_DEMONSTRATIONS) return [0, 0];
  const lengths = demonstrations.map((d) => d.end - d.answerStart);
  const first: [number, number][] = [];
  const rest: [number, number][] = [];
  demonstrations.forEach((d, k) => {
    const plan = {
      source: events, index, newline,
      starts: pointer(d.inputStart, d.answerStart - 1), lengths: lengths.filter((_, o) => o !== k),
    };
    for (let t = 0; t <= d.end - d.answerStart; t++) {
      const c = copyDistribution(plan, events.slice(d.answerStart, d.answerStart + t), d.answerStart);
      // A silent copy leaves that token's probability alone whatever ω is.
      if (c.size === 0) continue;
      const at = d.answerStart + t;
      (t === 0 ? first : rest).push([base[at]!, c.get(events[at]!) ?? 0]);
    }
  });
  return [bestWeight(first), bestWeight(rest)];
}
