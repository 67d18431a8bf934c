// Voting over N sampled rationales of one question (TDG `RM/ASC.py`; methods.md §4.3):
//
//   â = argmax_a Σ_i 1[a_i = a] · f(s_i)     s_i = M(x, r_i), the ranking model's score in (0, 1)
//
//   sc   f(s) = 1        self-consistency: majority voting (ASC.py flag 0)
//   ws   f(s) = 1 + s    weighted self-consistency (flag 2; flag 1 is 1 + 2s)
//   asc  f(s) = s        adaptive self-consistency: score-weighted voting (flag 3)
//
// Ties are credited as the code credits them: 1/|tied set| when the gold answer is among the tied.
// A sample without an answer casts no vote. A candidate too long to score gets the mean score of
// the others (1 when none has one).

export type VoteWeighting = 'sc' | 'ws' | 'asc';

export const VOTE_WEIGHTINGS: Record<VoteWeighting, (s: number) => number> = {
  sc: () => 1,
  ws: (s) => 1 + s,
  asc: (s) => s,
};

export interface Candidate {
  /** The extracted answer (normalised by the caller); null casts no vote. */
  answer: string | null;
  score: number;
}

export interface VoteResult {
  /** The answers with the largest total, in first-seen order; empty when no candidate has an answer. */
  winners: string[];
  totals: Map<string, number>;
}

export function vote(candidates: Candidate[], weighting: VoteWeighting): VoteResult {
  const f = VOTE_WEIGHTINGS[weighting];
  const totals = new Map<string, number>();
  for (const c of candidates) if (c.answer !== null) totals.set(c.answer, (totals.get(c.answer) ?? 0) + f(c.score));
  let best = -Infinity;
  for (const t of totals.values()) best = Math.max(best, t);
  const winners = [...totals].filter(([, t]) => t === best).map(([a]) => a);
  return { winners, totals };
}

/** 1/|winners| when the gold answer is among the winners, else 0. */
export function voteCredit(result: VoteResult, gold: string, same: (a: string, b: string) => boolean = (a, b) => a === b): number {
  return result.winners.some((w) => same(w, gold)) ? 1 / result.winners.length : 0;
}

/** Scores with the unscorable ones (null) replaced by the mean of the others, or 1 when there are none. */
export function fillMissingScores(scores: (number | null)[]): number[] {
  const known = scores.filter((s): s is number => s !== null);
  const mean = known.length === 0 ? 1 : known.reduce((a, b) => a + b, 0) / known.length;
  return scores.map((s) => s ?? mean);
}
