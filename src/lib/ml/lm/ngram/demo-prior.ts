// The demonstration prior: an in-context cache of the demonstrations' answers, weighted by how
// much each demonstration's input resembles the test input. A plain prompt cache counts every
// demonstration alike, so a label's probability is the demonstrations' majority whatever the
// test input says; an LLM instead attends to the demonstrations that look like the test input.
// This is the n-gram family's version of that (a trigger cache conditioned on the test input):
//
//   sim(d)   = Σ_{u ∈ Q ∩ D_d} w(u)² / (‖Q‖ · ‖D_d‖)        w(u) = −log P_unigram(u), word sets Q, D_d
//   a(d)     = softmax_d(τ · sim(d))
//   P_demo(w) = Σ_d a(d) · c_d(w) / |answer_d|              over the words of demonstration d's answer
//
// It reads only the prompt: the layout "x1\ny1\n\nx2\ny2\n\n…x\n" (demonstrations joined by a
// blank line, an answer being the last line of its demonstration). It applies to the line that
// follows the test input (the answer); with no demonstrations (zero-shot) there is none.

export interface PromptDemonstration {
  input: string;
  answer: string;
}

/**
 * The demonstrations and the test input of the text before an answer line, or null when that
 * line is not an answer after demonstrations (no demonstration, or the line starts a segment).
 * `before` is the text up to the start of the line (it ends with "\n").
 */
export function splitPrompt(before: string): { demonstrations: PromptDemonstration[]; input: string } | null {
  if (!before.endsWith('\n')) return null;
  const segments = before.slice(0, -1).split('\n\n');
  const input = segments.pop() as string;
  if (segments.length === 0 || input === '') return null;
  const demonstrations: PromptDemonstration[] = [];
  for (const s of segments) {
    const at = s.lastIndexOf('\n');
    if (at > 0 && at < s.length - 1) demonstrations.push({ input: s.slice(0, at), answer: s.slice(at + 1) });
  }
  return demonstrations.length === 0 ? null : { demonstrations, input };
}

/** Cosine similarity of the test input's word set to each demonstration's, words weighted by `weightOf`. */
export function inputSimilarities<T>(input: readonly T[], demos: readonly (readonly T[])[], weightOf: (u: T) => number): number[] {
  const norm = (ids: Set<T>): number => {
    let s = 0;
    for (const u of ids) s += weightOf(u) ** 2;
    return Math.sqrt(s);
  };
  const q = new Set(input);
  const qn = norm(q);
  return demos.map((d) => {
    const ds = new Set(d);
    const dn = norm(ds);
    if (qn === 0 || dn === 0) return 0;
    let dot = 0;
    for (const u of ds) if (q.has(u)) dot += weightOf(u) ** 2;
    return dot / (qn * dn);
  });
}

/** softmax(τ · sims). */
export function softmaxWeights(sims: readonly number[], tau: number): number[] {
  const top = Math.max(...sims);
  const e = sims.map((s) => Math.exp(tau * (s - top)));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/** Softmax weights of the demonstrations by the similarity of their inputs to the test input. */
export function demonstrationWeights<T>(input: readonly T[], demos: readonly (readonly T[])[], weightOf: (u: T) => number, tau: number): number[] {
  return softmaxWeights(inputSimilarities(input, demos, weightOf), tau);
}

// The sharpness τ chosen per prompt by leave-one-out (the usual bandwidth choice of kernel
// regression), against no prior at all: each demonstration's answer is predicted from the other
// demonstrations, weighted by the similarity of their inputs to its input, and the choice whose
// predictions give the answers the highest likelihood wins:
//   L(off) = Σ_d 1/|y_d| · Σ_{w ∈ y_d} log B_d(w)
//   L(τ)   = Σ_d 1/|y_d| · Σ_{w ∈ y_d} log((1 − κ) · B_d(w) + κ · P_demo,−d,τ(w))
// B_d stands in for the LM without the prior: unigram probabilities mixed, as the in-context
// cache mixes them, with the words of d's own input (what the cache copies). τ = 0 weights every
// demonstration alike, which the in-context cache already does, so it wins only as "no prior".
// When similar inputs have similar answers in this prompt (neighbours retrieved for the test
// input, topic and sentiment tasks) a sharp τ wins; when similarity says nothing about the
// answer (random demonstrations, tasks word overlap cannot solve) or the answer is written from
// the input itself (data-to-text), no prior wins. It reads only the demonstrations.
export const TAU_GRID: readonly number[] = [0, 2.5, 5, 10, 20, 40];

/** The τ of `grid` chosen by leave-one-out; 0 means no prior (see above). */
export function chooseSharpness<T>(
  inputs: readonly (readonly T[])[],
  answers: readonly (readonly number[])[],
  weightOf: (u: T) => number,
  /** The stand-in LM's probability of token t of demonstration d's answer. */
  base: (d: number, t: number) => number,
  kappa: number,
  grid: readonly number[] = TAU_GRID,
): number {
  const answered = inputs.map((_, d) => d).filter((d) => answers[d]!.length > 0);
  if (answered.length < 3) return 0;
  // sims[i]: similarities of the other answered demonstrations' inputs to answered[i]'s.
  const others = answered.map((d) => answered.filter((o) => o !== d));
  const sims = answered.map((d, i) => inputSimilarities(inputs[d]!, others[i]!.map((o) => inputs[o]!), weightOf));
  const likelihood = (prior: ((i: number) => Map<number, number>) | null): number => {
    let L = 0;
    answered.forEach((d, i) => {
      const p = prior?.(i);
      let l = 0;
      answers[d]!.forEach((w, t) => (l += Math.log(p === undefined ? base(d, t) : (1 - kappa) * base(d, t) + kappa * (p.get(w) ?? 0))));
      L += l / answers[d]!.length;
    });
    return L;
  };
  // Strictly better only: ties keep the earlier choice (no prior, then the smoother τ).
  let best = 0;
  let bestL = likelihood(null);
  for (const tau of grid) {
    const L = likelihood((i) => answerDistribution(others[i]!.map((o) => answers[o]!), softmaxWeights(sims[i]!, tau)));
    if (L > bestL + 1e-12) {
      bestL = L;
      best = tau;
    }
  }
  return best;
}

/** P_demo over answer events: Σ_d a(d) · c_d(w) / |answer_d| (demonstrations with empty answers add nothing). */
export function answerDistribution(answers: readonly (readonly number[])[], weights: readonly number[]): Map<number, number> {
  const p = new Map<number, number>();
  let mass = 0;
  answers.forEach((ans, d) => {
    if (ans.length === 0) return;
    mass += weights[d]!;
    for (const w of ans) p.set(w, (p.get(w) ?? 0) + weights[d]! / ans.length);
  });
  if (mass > 0 && mass < 1) for (const [w, v] of p) p.set(w, v / mass);
  return p;
}
