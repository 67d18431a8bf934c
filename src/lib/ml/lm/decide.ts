// Multiple choice and constrained classification, built on scoreContinuations alone so every
// backend shares them (LLM-R, src/llm_evaluator.py):
//  - multiple choice: the option whose tokens have the highest mean log-likelihood;
//  - classification: greedy decoding restricted to a trie of the label words, each ended by
//    "\n". Scoring every label + "\n" gives each token's log-probability given the context and
//    the label's earlier tokens; labels sharing a prefix share those values, so walking the
//    trie and taking the best next token at each branch is exactly constrained greedy decoding.

import type { ContinuationScore, LabelChoice, OptionChoice, ScoreRequest } from './types.js';

type Scorer = (reqs: ScoreRequest[]) => Promise<ContinuationScore[]>;

export const LABEL_TERMINATOR = '\n';

export async function chooseByMeanLogProb(score: Scorer, context: string, options: string[]): Promise<OptionChoice> {
  if (options.length === 0) throw new RangeError('chooseOption needs at least one option');
  const scored = await score(options.map((continuation) => ({ context, continuation })));
  const scores = scored.map((s) => s.meanLogProb);
  return { index: argmax(scores), scores };
}

export async function classifyConstrained(score: Scorer, context: string, labels: string[]): Promise<LabelChoice> {
  if (labels.length === 0) throw new RangeError('classify needs at least one label');
  const scored = await score(labels.map((l) => ({ context, continuation: l + LABEL_TERMINATOR })));
  return { label: labels[walkTrie(scored)]!, scores: scored.map((s) => s.sumLogProb) };
}

/** Index of the label greedy decoding over the label trie ends in (first label on ties). */
export function walkTrie(scored: Pick<ContinuationScore, 'tokenTexts' | 'tokenLogProbs'>[]): number {
  let alive = scored.map((_, i) => i);
  for (let t = 0; alive.length > 1; t++) {
    // Labels whose tokens ran out (possible only for duplicates) stop competing.
    const going = alive.filter((i) => t < scored[i]!.tokenTexts.length);
    if (going.length === 0) return alive[0]!;
    // Branches at depth t: the next token text; every label on a branch has the same value.
    let bestToken: string | null = null;
    let bestLp = -Infinity;
    for (const i of going) {
      const tok = scored[i]!.tokenTexts[t]!;
      const lp = scored[i]!.tokenLogProbs[t]!;
      if (bestToken === null || lp > bestLp) {
        bestToken = tok;
        bestLp = lp;
      }
    }
    alive = going.filter((i) => scored[i]!.tokenTexts[t] === bestToken);
  }
  return alive[0]!; // bestToken is one of the going labels' tokens, so one label is left
}

function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}
