// A trained n-gram model and the scorer that walks a token stream through it.
//
// The scorer keeps, for the last token read, the slot of every n-gram ending there (order 1: the
// word id), so predicting the next word w costs one hash lookup per order: the n-gram (history,
// w) found at order n is exactly the history of order n+1 for the following token.
// Probabilities mix Kneser–Ney with the in-context cache:
//   P(w | history) = (1 − λ) · P_KN(w | history) + λ · P_cache(w | previous word)
// (λ is ignored while the cache is empty, at the first token).

import { BOS_ID, UNK_ID, Vocabulary, tokenizeWithOffsets, type TokenSpans } from '../../tokenize.js';
import { ContextCache } from './cache.js';
import { chooseCopyWeights, copyDistribution, indexPositions, pointerStarts, splitStream, type CopyPlan } from './copy.js';
import type { Discounts, EstimatedModel } from './estimate.js';
import type { NgramTable } from './table.js';

export interface NgramInfo {
  order: number;
  lowercase: boolean;
  discounts: Discounts[];
  /** Tokens and texts the model was trained on. */
  trainedTokens: number;
  trainedTexts: number;
}

export interface MixWeights {
  /** Weight λ of the in-context cache. */
  lambda: number;
  /** Weight μ of the bigram part inside the cache. */
  mu: number;
  /** Weight κ of the demonstration prior on answer lines (see demo-prior.ts); 0 turns it off. */
  kappa?: number;
  /** Sharpness τ of the demonstration weights, or 'loo': chosen per prompt by leave-one-out (demo-prior.ts). */
  tau?: number | 'loo';
  /** Weight ω of the copy component on answer lines (see copy.ts), or 'loo': chosen per prompt; 0 turns it off. */
  omega?: number | 'loo';
}

export interface EncodedText extends TokenSpans {
  ids: Int32Array;
}

export class NgramModel {
  /** Per order n ≥ 2 (index n − 2): the words seen after each history slot. */
  private successorIndex: ({ start: Int32Array; words: Int32Array } | null)[] = [];
  /** Successor lists sorted by probability, by order and history, built on first use. */
  private readonly ranked = new Map<number, Int32Array>();
  private bestUnigrams: number[] | null = null;

  constructor(
    readonly vocab: Vocabulary,
    readonly est: EstimatedModel,
    readonly info: NgramInfo,
  ) {
    if (est.vocabSize !== vocab.size) throw new Error(`model has ${est.vocabSize} word slots but the vocabulary ${vocab.size}`);
  }

  get order(): number {
    return this.est.order;
  }

  encode(text: string): EncodedText {
    const spans = tokenizeWithOffsets(text, { lowercase: this.info.lowercase });
    return { ...spans, ids: this.vocab.encode(spans.tokens) };
  }

  newScorer(mix: MixWeights): NgramScorer {
    return new NgramScorer(this, mix);
  }

  /** Words seen after `word` in training (its order-2 successors); empty for a unigram model. */
  successors(word: number): Int32Array {
    return this.successorsAt(2, word);
  }

  /**
   * Words seen after a history at order n: for n = 2 the history is a word id, for n > 2 the
   * slot of the (n−1)-gram in the order-(n−1) table (as the scorer keeps it).
   */
  successorsAt(n: number, history: number): Int32Array {
    const idx = this.successorIndex[n - 2] ?? (this.successorIndex[n - 2] = this.buildSuccessorIndex(n));
    if (history < 0 || history + 1 >= idx.start.length) return idx.words.subarray(0, 0);
    return idx.words.subarray(idx.start[history], idx.start[history + 1]);
  }

  /**
   * The order-n successors of a history (as in successorsAt), sorted by `value` descending (ties
   * by id); `value` must depend on the word and the history only, since the order is kept.
   */
  rankedSuccessors(n: number, history: number, value: (w: number) => number): Int32Array {
    const key = n * 4_294_967_296 + history;
    let ranked = this.ranked.get(key);
    if (ranked !== undefined) return ranked;
    ranked = Int32Array.from(this.successorsAt(n, history));
    const v = new Map<number, number>();
    for (const w of ranked) v.set(w, value(w));
    ranked.sort((x, y) => (v.get(y) as number) - (v.get(x) as number) || x - y);
    this.ranked.set(key, ranked);
    return ranked;
  }

  /** The k most probable unigrams (BOS excluded), best first, ties by id. */
  topUnigrams(k: number): number[] {
    if (this.bestUnigrams === null || this.bestUnigrams.length < k) {
      const p1 = this.est.p1;
      const ids = [...p1.keys()].filter((w) => w !== BOS_ID);
      ids.sort((a, b) => p1[b]! - p1[a]! || a - b);
      this.bestUnigrams = ids.slice(0, Math.max(k, 32));
    }
    return this.bestUnigrams.slice(0, k);
  }

  private buildSuccessorIndex(n: number): { start: Int32Array; words: Int32Array } {
    const t = this.est.tables[n - 2];
    // Histories of order 2 are word ids; of higher orders, slots of the table below.
    const H = n === 2 ? this.vocab.size : (this.est.tables[n - 3]?.cap ?? 0);
    const start = new Int32Array(H + 1);
    if (t === undefined) return { start, words: new Int32Array(0) };
    for (let s = 0; s < t.cap; s++) {
      const key = t.keyAt(s);
      if (key !== null) start[key[0] + 1]!++;
    }
    for (let v = 0; v < H; v++) start[v + 1]! += start[v]!;
    const fill = start.slice(0, H);
    const words = new Int32Array(start[H]!);
    for (let s = 0; s < t.cap; s++) {
      const key = t.keyAt(s);
      if (key !== null) words[fill[key[0]]!++] = key[1];
    }
    return { start, words };
  }
}

/** The model's most frequent words, which the copy's pointer treats as function words (copy.ts). */
const FUNCTION_WORDS = 100;

/** Successor lists longer than this are visited in order of probability by top(). */
const RANK_FROM = 64;

export interface ScorerMark {
  hist: Int32Array;
  cache: number;
  unknowns: number;
  read: number;
  copy: CopyPlan | null;
  copied: number;
}

export interface Scored {
  /** Event id (see NgramScorer). */
  event: number;
  logProb: number;
}

/**
 * Reads a token stream from BOS on; predicts and consumes one token at a time.
 *
 * Events. Without the cache (λ = 0) the events are the vocabulary (minus BOS) with <unk> standing
 * for every out-of-vocabulary word. With the cache, the out-of-vocabulary words already read in
 * this stream become events of their own (ids vocabSize, vocabSize+1, …, in order of first
 * appearance) so a prompt can teach new words, as names in demonstrations do; <unk> is then a
 * word never read before. The Kneser–Ney mass of <unk> is split evenly among these |O|+1 events:
 *   P(o) = (1 − λ) · P_KN(<unk> | h) / (|O| + 1) + λ · P_cache(o | previous word)   (o seen before)
 *   P(<unk>) = (1 − λ) · P_KN(<unk> | h) / (|O| + 1)
 * so the events still sum to one. The n-gram history always sees <unk> for such words.
 */
export class NgramScorer {
  // cur[0] is the cache identity of the previous token; cur[1] its word id; cur[n] the slot of
  // the n-gram of order n ending there (-1 if unseen).
  private cur: Int32Array;
  private nxt: Int32Array;
  private readonly cache: ContextCache;
  private readonly p1: Float64Array;
  private readonly gamma1: Float64Array;
  private readonly tables: NgramTable[];
  private readonly order: number;
  private readonly lambda: number;
  private readonly mu: number;
  private readonly vocabSize: number;
  /** Word id of the newline token (-1 when the vocabulary has none). */
  private readonly newlineId: number;
  /** Out-of-vocabulary words read in this stream, by first appearance (cache on only). */
  private readonly unknownIds = new Map<string, number>();
  private readonly unknownWords: string[] = [];
  /** The demonstration prior of the current answer line (event → probability), or null. */
  private prior: ReadonlyMap<number, number> | null = null;
  private readonly kappa: number;
  private readonly omega: number | 'loo';
  /** The events read since BOS and the probability the model (without prior or copy) gave each. */
  private readonly readEvents: number[] = [];
  private readonly readProbs: number[] = [];
  /** The copy plan of the current answer line, the answer tokens read on it, and C_t (copy.ts). */
  private copyPlan: CopyPlan | null = null;
  private readonly copied: number[] = [];
  private copyNext: Map<number, number> | null = null;
  /** Probabilities top() has computed so far (its cost, for tests and benchmarks). */
  evaluations = 0;

  constructor(
    readonly model: NgramModel,
    mix: MixWeights,
  ) {
    if (!(mix.lambda >= 0 && mix.lambda < 1)) throw new RangeError(`cache weight λ must be in [0, 1), got ${mix.lambda}`);
    if (!(mix.mu >= 0 && mix.mu <= 1)) throw new RangeError(`cache bigram weight μ must be in [0, 1], got ${mix.mu}`);
    this.order = model.est.order;
    this.cur = new Int32Array(this.order + 1).fill(-1);
    this.nxt = new Int32Array(this.order + 1).fill(-1);
    this.vocabSize = model.vocab.size;
    const nl = model.vocab.id('\n');
    this.newlineId = nl === UNK_ID ? -1 : nl;
    this.cache = new ContextCache(this.vocabSize);
    this.p1 = model.est.p1;
    this.gamma1 = model.est.gamma1;
    this.tables = model.est.tables;
    this.lambda = mix.lambda;
    this.mu = mix.mu;
    this.kappa = mix.kappa ?? 0;
    if (!(this.kappa >= 0 && this.kappa < 1)) throw new RangeError(`demonstration prior weight κ must be in [0, 1), got ${this.kappa}`);
    this.omega = mix.omega ?? 0;
    if (this.omega !== 'loo' && !(this.omega >= 0 && this.omega < 1)) throw new RangeError(`copy weight ω must be in [0, 1) or 'loo', got ${String(this.omega)}`);
    this.reset();
  }

  /** Starts a new stream (history = BOS, empty cache). */
  reset(): void {
    this.cur.fill(-1);
    this.cur[0] = BOS_ID;
    this.cur[1] = BOS_ID;
    this.cache.reset();
    this.unknownIds.clear();
    this.unknownWords.length = 0;
    this.prior = null;
    this.readEvents.length = 0;
    this.readProbs.length = 0;
    this.setCopy(null);
  }

  /**
   * Sets the demonstration prior for the tokens that follow (until the next call); null turns
   * it off. P = (1 − κ) · P_ngram+cache + κ · P_demo, so the events still sum to one.
   */
  setPrior(prior: ReadonlyMap<number, number> | null): void {
    this.prior = this.kappa > 0 && prior !== null && prior.size > 0 ? prior : null;
  }

  get currentPrior(): ReadonlyMap<number, number> | null {
    return this.prior;
  }

  private withPrior(event: number, p: number): number {
    const prior = this.prior;
    return prior === null ? p : (1 - this.kappa) * p + this.kappa * (prior.get(event) ?? 0);
  }

  mark(): ScorerMark {
    return {
      hist: this.cur.slice(), cache: this.cache.mark(), unknowns: this.unknownWords.length,
      read: this.readEvents.length, copy: this.copyPlan, copied: this.copied.length,
    };
  }

  restore(m: ScorerMark): void {
    this.cur.set(m.hist);
    this.cache.rollback(m.cache);
    while (this.unknownWords.length > m.unknowns) this.unknownIds.delete(this.unknownWords.pop() as string);
    this.readEvents.length = m.read;
    this.readProbs.length = m.read;
    const copied = this.copied.slice(0, m.copied);
    this.setCopy(m.copy);
    for (const e of copied) this.copied.push(e);
    if (m.copy !== null) this.copyNext = copyDistribution(m.copy, this.copied);
  }

  /**
   * The copy plan of the line starting here (the stream read so far ends with its newline), or
   * null when the copy is off there: ω = 0, not at a line start, or ω = 'loo' with fewer than
   * three demonstrations (so zero-shot never copies) or weights chosen as 0.
   */
  planCopy(): CopyPlan | null {
    if (this.omega === 0 || this.newlineId < 0) return null;
    const events = this.readEvents;
    const split = splitStream(events, this.newlineId);
    if (split === null) return null;
    const index = indexPositions(events);
    const p1 = this.p1;
    const idf = (e: number): number => -Math.log(e < this.vocabSize && p1[e]! > 0 ? p1[e]! : p1[UNK_ID]!);
    const functionWords = new Set(this.model.topUnigrams(FUNCTION_WORDS));
    const pointer = (from: number, to: number): Map<number, number> =>
      pointerStarts(events, from, to, (e) => this.eventText(e), idf, (e) => functionWords.has(e));
    const weights: [number, number] = this.omega === 'loo'
      ? chooseCopyWeights(events, this.readProbs, split.demonstrations, index, this.newlineId, pointer)
      : [this.omega, this.omega];
    if (weights[0] === 0 && weights[1] === 0) return null;
    return {
      source: events.slice(), index, newline: this.newlineId, weights,
      starts: pointer(split.inputStart, events.length - 1),
      lengths: split.demonstrations.map((d) => d.end - d.answerStart),
    };
  }

  /** Turns the copy on for the tokens that follow (a new answer line), or off (null). */
  setCopy(plan: CopyPlan | null): void {
    this.copyPlan = plan;
    this.copied.length = 0;
    this.copyNext = plan === null ? null : copyDistribution(plan, this.copied);
  }

  private withCopy(event: number, p: number): number {
    const next = this.copyNext;
    if (next === null || next.size === 0) return p;
    const w = (this.copyPlan as CopyPlan).weights[this.copied.length === 0 ? 0 : 1];
    return w === 0 ? p : (1 - w) * p + w * (next.get(event) ?? 0);
  }

  /** Records a consumed event; on an answer line the copy moves on (and ends with the line). */
  private record(event: number, p: number): void {
    this.readEvents.push(event);
    this.readProbs.push(p);
    const plan = this.copyPlan;
    if (plan === null) return;
    if (event === this.newlineId) this.setCopy(null);
    else {
      this.copied.push(event);
      this.copyNext = copyDistribution(plan, this.copied);
    }
  }

  /** Number of events right now: the vocabulary plus the unknown words read so far. */
  get eventCount(): number {
    return this.vocabSize + this.unknownWords.length;
  }

  /** The event of a token: its word id, or for an out-of-vocabulary token its own event if read before. */
  eventOf(id: number, token: string): number {
    if (id !== UNK_ID || this.lambda === 0) return id;
    return this.unknownIds.get(token) ?? UNK_ID;
  }

  /** The text of an event (<unk> for a never-seen word). */
  eventText(event: number): string {
    return event >= this.vocabSize ? this.unknownWords[event - this.vocabSize]! : this.model.vocab.token(event);
  }

  /** Kneser–Ney probability of word `w` after the current history; writes the next history into `out` when given. */
  private kneserNey(w: number, out: Int32Array | null): number {
    const cur = this.cur;
    const tables = this.tables;
    const N = this.order;
    let p = this.p1[w]!;
    if (out !== null) out[1] = w;
    if (N < 2) return p;
    let h = cur[1]!;
    let t = tables[0]!;
    let s = t.find(h, w);
    p = (s >= 0 ? t.slots[s * t.stride + 1]! : 0) + this.gamma1[h]! * p;
    if (out !== null) out[2] = s;
    let n = 3;
    // While the n-gram keeps being found, look up the next order; once it is missing no longer
    // one exists (suffixes of seen n-grams are seen), so only back-off weights remain.
    for (; n <= N && s >= 0; n++) {
      h = cur[n - 1]!;
      if (h < 0) break;
      const below = tables[n - 3]!;
      const g = below.slots[h * below.stride + 2]!;
      t = tables[n - 2]!;
      s = t.find(h, w);
      p = (s >= 0 ? t.slots[s * t.stride + 1]! : 0) + g * p;
      if (out !== null) out[n] = s;
    }
    for (; n <= N; n++) {
      h = cur[n - 1]!;
      if (out !== null) out[n] = -1;
      if (h < 0) continue;
      const below = tables[n - 3]!;
      p *= below.slots[h * below.stride + 2]!;
    }
    return p;
  }

  /**
   * The interpolated probability of an order-n successor w up to order n, computed as
   * kneserNey() computes it on the way (so the same floating-point value).
   */
  private kneserNeyUpTo(w: number, n: number): number {
    const cur = this.cur;
    const tables = this.tables;
    let h = cur[1]!;
    let t = tables[0]!;
    let s = t.find(h, w);
    let p = (s >= 0 ? t.slots[s * t.stride + 1]! : 0) + this.gamma1[h]! * this.p1[w]!;
    for (let m = 3; m <= n && s >= 0; m++) {
      h = cur[m - 1]!;
      if (h < 0) break;
      const below = tables[m - 3]!;
      const g = below.slots[h * below.stride + 2]!;
      t = tables[m - 2]!;
      s = t.find(h, w);
      p = (s >= 0 ? t.slots[s * t.stride + 1]! : 0) + g * p;
    }
    return p;
  }

  /** Mixes P_KN of the event's word with the cache (see the class comment). */
  private mixed(event: number, pKN: number): number {
    const c = this.cache;
    if (this.lambda === 0 || c.total === 0) return pKN;
    if (event >= this.vocabSize || event === UNK_ID) {
      const share = pKN / (this.unknownWords.length + 1);
      const pc = event === UNK_ID ? 0 : c.prob(this.cur[0]!, event, this.mu);
      return (1 - this.lambda) * share + this.lambda * pc;
    }
    return (1 - this.lambda) * pKN + this.lambda * c.prob(this.cur[0]!, event, this.mu);
  }

  /** P(event | everything read so far), without consuming it. */
  prob(event: number): number {
    if (event === BOS_ID) return 0;
    return this.withCopy(event, this.withPrior(event, this.mixed(event, this.kneserNey(event >= this.vocabSize ? UNK_ID : event, null))));
  }

  /** Consumes a token (word id and its text) without scoring it. */
  push(id: number, token: string): void {
    this.scorePush(id, token);
  }

  /**
   * The newline that ends a blank line starts a new segment (a demonstration, or the test input):
   * as after BOS, the cache has no bigram history there. Otherwise the newline ending a line and
   * the one ending a blank line would share one cache history, and the bigram cache would predict
   * a segment's first word ("question", the template's start) after the newline ending a query,
   * where the answer goes. (A tokenizer with a "\n\n" token, as GPT-2's, keeps them apart too.)
   */
  private segmentStart(id: number): void {
    if (id === this.newlineId && this.cur[1] === this.newlineId) this.nxt[0] = BOS_ID;
  }

  /** log P(token | everything read so far), then consumes it. */
  scorePush(id: number, token: string): number {
    const pKN = this.kneserNey(id, this.nxt);
    if (this.lambda === 0) {
      this.swap();
      const p = this.withCopy(id, this.withPrior(id, pKN));
      this.record(id, pKN);
      return Math.log(p);
    }
    const event = this.eventOf(id, token);
    const cache = this.cache;
    const empty = cache.total === 0;
    // <unk>'s n-gram mass is shared by the unknown words read so far and a new one (before this
    // token joins them).
    const pn = event >= this.vocabSize || event === UNK_ID ? pKN / (this.unknownWords.length + 1) : pKN;
    const cid = this.cacheIdentity(event, token);
    const pc = cache.probThenAdd(this.cur[0]!, cid, this.mu);
    this.segmentStart(id);
    this.swap();
    const pModel = empty ? pKN : (1 - this.lambda) * pn + this.lambda * pc;
    // The copy's probability of this token is read before the token moves it on.
    const p = this.withCopy(event, this.withPrior(event, pModel));
    this.record(cid, pModel);
    return Math.log(p);
  }

  /** Consumes an event chosen by top() (its text is known to the scorer). */
  pushEvent(event: number): void {
    this.push(event >= this.vocabSize ? UNK_ID : event, this.eventText(event));
  }

  /** The cache identity of an event; a new out-of-vocabulary word becomes an event of its own. */
  private cacheIdentity(event: number, token: string): number {
    let cid = event;
    if (event === UNK_ID) {
      cid = this.vocabSize + this.unknownWords.length;
      this.unknownIds.set(token, cid);
      this.unknownWords.push(token);
    }
    this.nxt[0] = cid;
    return cid;
  }

  private swap(): void {
    const t = this.cur;
    this.cur = this.nxt;
    this.nxt = t;
  }

  /**
   * The k most probable next events, best first (ties by id). Exact: an event that is no
   * successor of the history, cached word or prior word only gets back-off mass proportional to
   * its unigram probability, so it cannot beat the best unigrams; successors are visited in order
   * of probability and only until they can no longer enter the top k.
   */
  top(k: number, excludeUnknown: boolean): Scored[] {
    const seen = new Set<number>();
    const best: Scored[] = [];
    const consider = (e: number): number => {
      if (e === BOS_ID || (excludeUnknown && e === UNK_ID) || seen.has(e)) return Infinity;
      seen.add(e);
      this.evaluations++;
      const logProb = Math.log(this.prob(e));
      best.push({ event: e, logProb });
      return logProb;
    };
    // First the words whose probability has a term of its own: cached words and unknowns, prior
    // words, <unk>, and the best unigrams (the only candidates after an unseen word).
    if (this.lambda > 0) {
      for (const w of this.cache.touched) if (this.cache.uni[w]! > 0) consider(w);
      for (let i = 0; i < this.unknownWords.length; i++) consider(this.vocabSize + i);
    }
    if (this.prior !== null) for (const w of this.prior.keys()) consider(w);
    if (this.copyNext !== null) for (const w of this.copyNext.keys()) consider(w);
    consider(UNK_ID); // its n-gram mass is shared among the unknown words
    for (const w of this.model.topUnigrams(k + 2)) consider(w);
    // The rest: a word whose longest seen n-gram here has order n gets P_n(w | history) times
    // back-off weights and mixing factors the same for every such word, so along the order-n
    // successors sorted by P_n its probability never rises (a word that also has a longer n-gram
    // has at least that probability and was bounded at its own order). Orders are walked from
    // the longest down; once a word falls strictly below the k-th best, no later one of that
    // order can enter or tie into the top k.
    let bar: number;
    const kth = (): number => {
      if (best.length < k) return -Infinity;
      best.sort((a, b) => b.logProb - a.logProb || a.event - b.event);
      best.length = k;
      return best[k - 1]!.logProb;
    };
    for (let n = this.order; n >= 2; n--) {
      const history = n === 2 ? this.cur[1]! : this.cur[n - 1]!;
      if (history < 0) continue;
      // Short lists are cheaper to score whole than to sort (most longer histories occur once).
      const all = this.model.successorsAt(n, history);
      if (all.length <= RANK_FROM) {
        for (const w of all) consider(w);
        continue;
      }
      bar = kth();
      for (const w of this.model.rankedSuccessors(n, history, (x) => this.kneserNeyUpTo(x, n))) {
        const lp = consider(w);
        if (lp === Infinity) continue;
        if (lp < bar) break;
        if (best.length >= 4 * k + 64) bar = kth();
      }
    }
    best.sort((a, b) => b.logProb - a.logProb || a.event - b.event);
    return best.slice(0, k);
  }
}
