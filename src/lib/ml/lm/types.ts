// The one interface every language-model backend implements (n-gram, tfjs transformer, an
// OpenAI-compatible server). LLM-R only needs a frozen scorer: log-probabilities of a
// continuation given a context, and greedy generation.

export interface ScoreRequest {
  context: string;
  continuation: string;
}

export interface ContinuationScore {
  /** Σ log p over the continuation's tokens (natural log). */
  sumLogProb: number;
  /** sumLogProb / tokens; -Infinity for an empty continuation, so it never wins a choice. */
  meanLogProb: number;
  /** Number of continuation tokens. */
  tokens: number;
  /** Per-token log-probabilities, in order. */
  tokenLogProbs: number[];
  /** The continuation's tokens as the backend's tokenizer split them. */
  tokenTexts: string[];
}

export interface GenerateRequest {
  prompt: string;
  maxTokens: number;
  /** Generation stops before the first occurrence of any of these strings. */
  stop?: string[];
  /**
   * The first token may not begin a stop string, so an answer cannot be empty because the most
   * likely first token is the newline that ends it (LLM-R's begin_suppress_tokens).
   */
  suppressLeadingStop?: boolean;
}

export interface SampleRequest {
  prompt: string;
  maxTokens: number;
  stop?: string[];
  /** Sampling temperature (> 0). */
  temperature: number;
  /** Completions to draw for the prompt. */
  n: number;
  /** Sent to servers that accept a seed (vLLM, OpenAI); others ignore it. */
  seed?: number;
}

export interface OptionChoice {
  /** Index of the option with the highest mean token log-likelihood (first on ties). */
  index: number;
  /** Mean token log-likelihood of each option. */
  scores: number[];
}

export interface LabelChoice {
  label: string;
  /** Sum log-probability of each label followed by the terminator "\n". */
  scores: number[];
}

export interface LanguageModel {
  readonly id: string;
  /**
   * Scores each continuation given its context. Tokens are those of context + continuation
   * tokenized together that start at or after the end of the context.
   */
  scoreContinuations(reqs: ScoreRequest[]): Promise<ContinuationScore[]>;
  /** Greedy decoding; the returned text excludes the stop string. */
  generate(reqs: GenerateRequest[]): Promise<string[]>;
  /** Multiple choice: the option with the best mean token log-likelihood after `context`. */
  chooseOption(context: string, options: string[]): Promise<OptionChoice>;
  /** Classification: greedy decoding constrained to the label words (each followed by "\n"). */
  classify(context: string, labels: string[]): Promise<LabelChoice>;
  /** Sampled decoding: `n` completions per request, stop strings excluded; optional. */
  sample?(reqs: SampleRequest[]): Promise<string[][]>;
  /** Releases resources (connections, worker threads); optional. */
  close?(): Promise<void>;
}

export function summarizeTokens(tokenLogProbs: number[], tokenTexts: string[]): ContinuationScore {
  let sum = 0;
  for (const lp of tokenLogProbs) sum += lp;
  const n = tokenLogProbs.length;
  return { sumLogProb: sum, meanLogProb: n === 0 ? -Infinity : sum / n, tokens: n, tokenLogProbs, tokenTexts };
}
