// The built-in language model: interpolated Kneser–Ney n-grams over the shared word tokenizer,
// mixed with an in-context cache of the prompt (see ngram/model.ts). Fast, deterministic, and
// needs no weights, so LLM-R recipes run offline.

import { Detokenizer, Vocabulary, tokenize, BOS_ID } from '../tokenize.js';
import { countNgrams } from './ngram/counts.js';
import { estimateKneserNey } from './ngram/estimate.js';
import { loadNgram, saveNgram, serializeNgram } from './ngram/file.js';
import { NgramModel, type MixWeights, type NgramScorer } from './ngram/model.js';
import { chooseByMeanLogProb, classifyConstrained } from './decide.js';
import { answerDistribution, chooseSharpness, inputSimilarities, softmaxWeights, splitPrompt } from './ngram/demo-prior.js';
import { summarizeTokens, type ContinuationScore, type GenerateRequest, type LabelChoice, type LanguageModel, type OptionChoice, type ScoreRequest } from './types.js';

export { NgramModel, type MixWeights } from './ngram/model.js';
export { ModelFileError } from './ngram/file.js';

export interface NgramTrainOptions {
  /** N of the n-grams (default 4). */
  order?: number;
  /** Lower-case tokens (default true: fewer, better-estimated n-grams). */
  lowercase?: boolean;
  /** Keep at most this many vocabulary entries; rarer words become <unk> (default: all). */
  maxVocab?: number;
  /** Words seen fewer times become <unk> (default 1). */
  minCount?: number;
  /** A fixed discount in (0, 1) for every order instead of modified Kneser–Ney's estimated ones. */
  discount?: number;
}

// The demonstration prior is on, its sharpness chosen per prompt by leave-one-out: the one setting
// measured that keeps zero-shot < random < BM25 on the averages of both the built-in suite and
// the real task folders (plugins/ngram-lm/README.md has the measurements).
// The copy component is on, its weights chosen per prompt from the demonstrations (ngram/copy.ts).
export const DEFAULT_MIX: Required<MixWeights> = { lambda: 0.3, mu: 0.5, kappa: 0.5, tau: 'loo', omega: 'loo' };
export const DEFAULT_ORDER = 4;

/** Trains a model on texts; each text is one sequence, started by BOS. */
export function trainNgramModel(texts: readonly string[], opts: NgramTrainOptions = {}): NgramModel {
  const order = opts.order ?? DEFAULT_ORDER;
  if (!Number.isInteger(order) || order < 1 || order > 8) throw new RangeError(`order must be an integer in 1..8, got ${order}`);
  const lowercase = opts.lowercase ?? true;
  const tokenized = texts.map((t) => tokenize(t, { lowercase }));
  const counts = new Map<string, number>();
  let total = 0;
  for (const toks of tokenized) {
    total += toks.length + 1;
    for (const t of toks) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const vocab = Vocabulary.fromCounts(counts, { maxSize: opts.maxVocab, minCount: opts.minCount });
  const stream = new Int32Array(total);
  let at = 0;
  for (const toks of tokenized) {
    stream[at++] = BOS_ID;
    stream.set(vocab.encode(toks), at);
    at += toks.length;
  }
  const est = estimateKneserNey(countNgrams(stream, order, vocab.size), opts.discount);
  return new NgramModel(vocab, est, {
    order,
    lowercase,
    discounts: est.discounts,
    trainedTokens: total - tokenized.length,
    trainedTexts: texts.length,
  });
}

export interface TokenTop {
  token: string;
  logProb: number;
}

/** Token-level view of a text, as an OpenAI-compatible server reports it. */
export interface TokenAnalysis {
  /** Surface text of each token. */
  tokens: string[];
  /** UTF-16 offset of each token in the text. */
  offsets: number[];
  logProbs: number[];
  /** The `top` most probable tokens at each position, when asked for. */
  top?: TokenTop[][];
}

export interface Completion extends TokenAnalysis {
  text: string;
  finishReason: 'stop' | 'length';
}

export class NgramLM implements LanguageModel {
  readonly id: string;
  private readonly scorer: NgramScorer;

  readonly mix: Required<MixWeights>;

  constructor(
    readonly model: NgramModel,
    mix: MixWeights = DEFAULT_MIX,
  ) {
    // Model files written before the demonstration prior or the copy existed have no κ, τ, ω: they get the defaults.
    this.mix = {
      lambda: mix.lambda, mu: mix.mu,
      kappa: mix.kappa ?? DEFAULT_MIX.kappa, tau: mix.tau ?? DEFAULT_MIX.tau, omega: mix.omega ?? DEFAULT_MIX.omega,
    };
    this.scorer = model.newScorer(this.mix);
    const m = this.mix;
    this.id = `ngram(order=${model.order},vocab=${model.vocab.size},lambda=${m.lambda},mu=${m.mu},kappa=${m.kappa},tau=${m.tau},omega=${m.omega})`;
  }

  static train(texts: readonly string[], opts: NgramTrainOptions & Partial<MixWeights> = {}): NgramLM {
    return new NgramLM(trainNgramModel(texts, opts), {
      lambda: opts.lambda ?? DEFAULT_MIX.lambda, mu: opts.mu ?? DEFAULT_MIX.mu, kappa: opts.kappa ?? DEFAULT_MIX.kappa, tau: opts.tau ?? DEFAULT_MIX.tau,
      omega: opts.omega ?? DEFAULT_MIX.omega,
    });
  }

  /**
   * The demonstration prior of the line that starts after `before` (events of the scorer, which
   * must have read `before`), or null when that line is not an answer after demonstrations.
   */
  private priorFor(before: string): Map<number, number> | null {
    if (this.mix.kappa === 0) return null;
    const split = splitPrompt(before);
    if (split === null) return null;
    const p1 = this.model.est.p1;
    const vocab = this.model.vocab;
    const weightOf = (token: string): number => {
      const id = vocab.id(token);
      return -Math.log(p1[id]! > 0 ? p1[id]! : p1[0]!);
    };
    const words = (text: string): string[] => this.model.encode(text).tokens.filter((t) => t !== '\n');
    const sc = this.scorer;
    const answers = split.demonstrations.map((d) => {
      const enc = this.model.encode(d.answer);
      return [...enc.ids].map((id, i) => sc.eventOf(id, enc.tokens[i]!));
    });
    const inputs = split.demonstrations.map((d) => words(d.input));
    let tau: number;
    if (this.mix.tau === 'loo') {
      // The LM without the prior, as leave-one-out sees it: unigram probabilities mixed, as the
      // in-context cache mixes them, with the words of the demonstration's own input.
      const unigram = (e: number): number => p1[e < p1.length ? e : 0]!;
      const own = split.demonstrations.map((d) => {
        const enc = this.model.encode(d.input);
        const counts = new Map<number, number>();
        enc.ids.forEach((id, i) => {
          const e = sc.eventOf(id, enc.tokens[i]!);
          counts.set(e, (counts.get(e) ?? 0) + 1 / enc.ids.length);
        });
        return counts;
      });
      const lambda = this.mix.lambda;
      const base = (d: number, t: number): number => {
        const w = answers[d]![t]!;
        return (1 - lambda) * unigram(w) + lambda * (own[d]!.get(w) ?? 0);
      };
      tau = chooseSharpness(inputs, answers, weightOf, base, this.mix.kappa);
      if (tau === 0) return null;
    } else tau = this.mix.tau;
    return answerDistribution(answers, softmaxWeights(inputSimilarities(words(split.input), inputs, weightOf), tau));
  }

  /** Loads a model file; mixing weights default to the ones saved with it. */
  static async load(file: string, mix: Partial<MixWeights> = {}): Promise<NgramLM> {
    const loaded = await loadNgram(file);
    return new NgramLM(loaded.model, { ...loaded.mix, ...stripUndefined(mix) });
  }

  save(file: string): Promise<void> {
    return saveNgram(file, this.model, this.mix);
  }

  serialize(): Uint8Array {
    return serializeNgram(this.model, this.mix);
  }

  async scoreContinuations(reqs: ScoreRequest[]): Promise<ContinuationScore[]> {
    return this.scoreSync(reqs);
  }

  /**
   * Requests sharing a context read it once. Context and continuation are tokenized together;
   * since a token can only merge with its neighbour across the boundary, the context's tokens
   * but its last two are shared and the rest is re-tokenized with each continuation.
   */
  scoreSync(reqs: ScoreRequest[]): ContinuationScore[] {
    const out = new Array<ContinuationScore>(reqs.length);
    const byContext = new Map<string, number[]>();
    reqs.forEach((r, i) => {
      const list = byContext.get(r.context);
      if (list) list.push(i);
      else byContext.set(r.context, [i]);
    });
    const sc = this.scorer;
    for (const [context, indices] of byContext) {
      const ctx = this.model.encode(context);
      const shared = Math.max(0, ctx.ids.length - 2);
      const tailStart = shared < ctx.starts.length ? ctx.starts[shared]! : context.length;
      sc.reset();
      for (let i = 0; i < shared; i++) sc.push(ctx.ids[i]!, ctx.tokens[i]!);
      const mark = sc.mark();
      const boundary = context.length - tailStart;
      const tailContext = context.slice(tailStart);
      // The line the continuation starts on began in the context; its prior reads the text before it.
      const lineStart = context.lastIndexOf('\n') + 1;
      let contextPrior: Map<number, number> | null | undefined;
      for (const r of indices) {
        const tailText = tailContext + reqs[r]!.continuation;
        const tail = this.model.encode(tailText);
        const lps: number[] = [];
        const texts: string[] = [];
        let scoring = false;
        for (let j = 0; j < tail.ids.length; j++) {
          if (tail.starts[j]! < boundary) {
            sc.push(tail.ids[j]!, tail.tokens[j]!);
            continue;
          }
          if (!scoring) {
            scoring = true;
            // The demo words are read by now (they precede the test input), so their events exist.
            if (contextPrior === undefined) contextPrior = this.priorFor(context.slice(0, lineStart));
            sc.setPrior(contextPrior);
          }
          lps.push(sc.scorePush(tail.ids[j]!, tail.tokens[j]!));
          texts.push(tailText.slice(tail.starts[j], tail.ends[j]));
          // A continuation running onto a new line: that line has its own prior.
          if (tail.tokens[j] === '\n' && j + 1 < tail.ids.length) sc.setPrior(this.priorFor(context.slice(0, tailStart) + tailText.slice(0, tail.ends[j])));
        }
        out[r] = summarizeTokens(lps, texts);
        sc.restore(mark);
      }
    }
    return out;
  }

  async generate(reqs: GenerateRequest[]): Promise<string[]> {
    return reqs.map((r) => this.complete(r.prompt, r.maxTokens, r.stop ?? [], 0, r.suppressLeadingStop ?? false).text);
  }

  chooseOption(context: string, options: string[]): Promise<OptionChoice> {
    return chooseByMeanLogProb((r) => this.scoreContinuations(r), context, options);
  }

  classify(context: string, labels: string[]): Promise<LabelChoice> {
    return classifyConstrained((r) => this.scoreContinuations(r), context, labels);
  }

  countTokens(text: string): number {
    return this.model.encode(text).ids.length;
  }

  /** Log-probability of every token of `text` (the first given BOS), optionally with the top alternatives. */
  analyze(text: string, top = 0): TokenAnalysis {
    const enc = this.model.encode(text);
    const sc = this.scorer;
    sc.reset();
    const logProbs: number[] = [];
    const tops: TokenTop[][] = [];
    for (let i = 0; i < enc.ids.length; i++) {
      // Each line after a newline has the prior scoreContinuations would give it.
      if (i > 0 && enc.tokens[i - 1] === '\n') sc.setPrior(this.priorFor(text.slice(0, enc.ends[i - 1])));
      if (top > 0) tops.push(this.topTokens(sc, top));
      logProbs.push(sc.scorePush(enc.ids[i]!, enc.tokens[i]!));
    }
    const tokens = enc.starts.map((s, i) => text.slice(s, enc.ends[i]));
    return { tokens, offsets: enc.starts, logProbs, ...(top > 0 ? { top: tops } : {}) };
  }

  /**
   * Greedy continuation of `prompt` (never <unk>, but unknown words read in the prompt may be copied): at most maxTokens tokens, cut before the first
   * stop string. Offsets are relative to the returned text. With `suppressLeadingStop` the first
   * token is the best one that does not begin a stop string (LLM-R's begin_suppress_tokens).
   * A trigram of generated tokens that repeats ends the text before the repetition.
   */
  complete(prompt: string, maxTokens: number, stop: readonly string[], top = 0, suppressLeadingStop = false): Completion {
    const sc = this.scorer;
    const enc = this.model.encode(prompt);
    sc.reset();
    for (let i = 0; i < enc.ids.length; i++) sc.push(enc.ids[i]!, enc.tokens[i]!);
    sc.setPrior(this.priorFor(prompt.slice(0, prompt.lastIndexOf('\n') + 1)));
    // The copy applies to written answers only, not to scored labels and options: on the built-in
    // suite it cost BM25's multiple choice up to 66 points (plugins/ngram-lm/README.md).
    sc.setCopy(sc.planCopy());
    // A lower-casing model writes a word as the prompt last wrote it ("Blue Spice", not "blue spice").
    const surface = new Map<string, string>();
    if (this.model.info.lowercase) enc.tokens.forEach((t, i) => surface.set(t, prompt.slice(enc.starts[i], enc.ends[i])));
    const detok = new Detokenizer(prompt);
    const tokens: string[] = [];
    const offsets: number[] = [];
    const logProbs: number[] = [];
    const tops: TokenTop[][] = [];
    const stops = stop.filter((s) => s.length > 0);
    let cut = -1;
    // Greedy n-gram decoding falls into loops ("for the for the …"); the first repeated trigram
    // of generated tokens ends the text before the repetition, which also keeps decoding short.
    const events: number[] = [];
    const trigrams = new Set<string>();
    for (let step = 0; step < maxTokens && cut < 0; step++) {
      const suppress = suppressLeadingStop && step === 0 && stops.length > 0;
      const best = sc.top(Math.max(1, top, suppress ? SUPPRESS_POOL : 1), true);
      if (suppress) {
        const allowed = best.filter((b) => !beginsStop(sc.eventText(b.event), stops));
        best.splice(0, best.length, ...allowed.slice(0, Math.max(1, top)));
      }
      if (best.length === 0) break;
      if (top > 0) tops.push(best.map((b) => ({ token: sc.eventText(b.event), logProb: b.logProb })));
      const e = best[0]!.event;
      const tok = surface.get(sc.eventText(e)) ?? sc.eventText(e);
      const before = detok.text.length;
      offsets.push(detok.push(tok));
      tokens.push(tok);
      logProbs.push(best[0]!.logProb);
      sc.pushEvent(e);
      cut = firstStop(detok.text, stops, before);
      events.push(e);
      if (cut < 0 && events.length >= 3) {
        const n = events.length;
        const key = `${events[n - 3]} ${events[n - 2]} ${events[n - 1]}`;
        if (trigrams.has(key)) cut = offsets[n - 3]!;
        trigrams.add(key);
      }
      if (tok === '\n' && cut < 0) sc.setPrior(this.priorFor(prompt + detok.text));
    }
    if (cut < 0) return { text: detok.text, tokens, offsets, logProbs, ...(top > 0 ? { top: tops } : {}), finishReason: 'length' };
    // Keep the tokens that start before the stop string.
    let keep = 0;
    while (keep < offsets.length && offsets[keep]! < cut) keep++;
    return {
      text: detok.text.slice(0, cut),
      tokens: tokens.slice(0, keep),
      offsets: offsets.slice(0, keep),
      logProbs: logProbs.slice(0, keep),
      ...(top > 0 ? { top: tops.slice(0, keep) } : {}),
      finishReason: 'stop',
    };
  }

  private topTokens(sc: NgramScorer, k: number): TokenTop[] {
    return sc.top(k, false).map((b) => ({ token: sc.eventText(b.event), logProb: b.logProb }));
  }
}

/** Candidates looked at for a first token that does not begin a stop string. */
const SUPPRESS_POOL = 16;

/** Whether a token starts a stop string (or is the start of one). */
function beginsStop(token: string, stops: readonly string[]): boolean {
  const t = token.replace(/^[ \t]+/, '');
  return stops.some((s) => t.startsWith(s) || (t.length > 0 && s.startsWith(t)));
}

/** Earliest position of a stop string that may involve text from `from` on, or -1. */
function firstStop(text: string, stops: readonly string[], from: number): number {
  let cut = -1;
  for (const s of stops) {
    const at = text.indexOf(s, Math.max(0, from - s.length + 1));
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}


