// Self-consistency at inference (methods.md §4.3): N rationales sampled from the student for one
// question, their final answers, the ranking model's scores, and the three votes over them.
//
//   prompt  "Question: x\nAnswer:"  ×N rows → generate (temperature, KV cache) → r₁ … r_N
//   a_i = the answer of r_i (null: casts no vote);  s_i = M(x, r_i) (null: too long, gets the mean)
//   â_f = argmax_a Σ_i 1[a_i = a] f(s_i)   for f ∈ {sc: 1, ws: 1 + s, asc: s};  credit 1/|ties|

import { generate } from '../nn/generate.js';
import type { CausalLm } from '../nn/generate.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { answersMatch, extractAnswer, normalizeMathAnswer, type AnswerFormat } from './answers.js';
import { NEXT_QUESTION, promptOf, specialIds } from './student.js';
import { fillMissingScores, vote, voteCredit, type VoteWeighting } from './votes.js';

export const WEIGHTINGS: readonly VoteWeighting[] = ['sc', 'ws', 'asc'];

export interface SamplingParams {
  samples: number;
  temperature: number;
  topK: number;
  topP: number;
  maxNew: number;
  maxLength: number;
  seed: number;
}

/** N sampled rationales for one question; row i draws from its own generator seeded by (seed, i). */
export function sampleQuestion(model: CausalLm, tok: Tokenizer, question: string, o: SamplingParams): string[] {
  const { eos, pad } = specialIds(tok);
  const prompt = tok.encode(promptOf(question), { addSpecialTokens: false }).ids.slice(-(o.maxLength - o.maxNew));
  const rows = Array.from({ length: o.samples }, () => prompt);
  const out = generate(model, rows, {
    maxNewTokens: o.maxNew, padId: pad, seed: o.seed, temperature: o.temperature, topK: o.topK, topP: o.topP,
    stopTokenIds: [eos], stopStrings: [NEXT_QUESTION], decode: (ids) => tok.decode(ids),
  });
  return out.map((g) => (g.text as string).trim());
}

export interface ScoredSample {
  text: string;
  /** The extracted final answer as it votes (MATH: normalised); null when there is none. */
  answer: string | null;
  /** The ranker's score, or the mean of the others when it could not be scored. */
  score: number;
  correct: boolean;
}

export interface QuestionVotes {
  winners: Record<VoteWeighting, string[]>;
  credit: Record<VoteWeighting, number>;
  /** Whether any sample has the gold answer (the best any vote could do). */
  anyCorrect: boolean;
}

/**
 * The answer a sample votes for: numbers in canonical form (extraction gives them so), MATH
 * answers normalised as Hendrycks' `_strip_string` does, so that equivalent answers pool.
 */
function voteKey(answer: string | null, format: AnswerFormat): string | null {
  if (answer === null || format !== 'math') return answer;
  return normalizeMathAnswer(answer) ?? answer;
}

/** Answers of sampled rationales, with their scores (unscorable ones filled with the mean of the others). */
export function scoredSamples(texts: string[], scores: (number | null)[], gold: string, format: AnswerFormat = 'model'): ScoredSample[] {
  const filled = fillMissingScores(scores); // one score per text
  return texts.map((text, i) => {
    const raw = extractAnswer(text, format);
    return { text, answer: voteKey(raw, format), score: filled[i]!, correct: answersMatch(raw, gold, format) };
  });
}

/** The SC, WS and ASC votes over one question's samples, credited against the gold answer. */
export function voteQuestion(samples: ScoredSample[], gold: string, format: AnswerFormat = 'model'): QuestionVotes {
  const winners = {} as Record<VoteWeighting, string[]>;
  const credit = {} as Record<VoteWeighting, number>;
  for (const w of WEIGHTINGS) {
    const result = vote(samples.map((s) => ({ answer: s.answer, score: s.score })), w);
    winners[w] = result.winners;
    credit[w] = voteCredit(result, gold, (a, b) => answersMatch(a, b, format));
  }
  return { winners, credit, anyCorrect: samples.some((s) => s.correct) };
}
