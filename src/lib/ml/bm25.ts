// Okapi BM25 over the shared tokenizer, with an inverted index in typed arrays.
//
//   score(q, d) = Σ_{t ∈ q} IDF(t) · f(t,d)·(k1 + 1) / (f(t,d) + k1·(1 − b + b·|d|/avgdl))
//   IDF(t)      = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))          (Lucene's form: never negative)
//
// Defaults k1 = 1.2, b = 0.75 (Robertson's; Lucene's BM25Similarity). Pyserini, which LLM-R used,
// defaults to k1 = 0.9, b = 0.4; pass those to match it. A query term repeated r times counts r
// times (as Lucene's bag-of-words queries do). Tokens are lower-cased words; punctuation and
// newlines are dropped. No stemming or stop words.

import { tokenize, type TokenizeOptions } from './tokenize.js';

export interface Bm25Options {
  k1?: number;
  b?: number;
}

export const BM25_DEFAULTS = { k1: 1.2, b: 0.75 } as const;
const TOKENS: TokenizeOptions = { lowercase: true, punctuation: false, newlines: false };

export function bm25Tokens(text: string): string[] {
  return tokenize(text, TOKENS);
}

export interface Bm25Hit {
  /** Index of the document in the indexed array. */
  doc: number;
  score: number;
}

export interface SearchOptions {
  /** Documents never returned (e.g. the query's own row). */
  exclude?: number | Iterable<number>;
}

export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly size: number;
  readonly avgDocLength: number;
  private readonly terms: Map<string, number>;
  private readonly idfs: Float64Array;
  /** Postings of term t: docs and weights in [start[t], start[t+1]). */
  private readonly start: Int32Array;
  private readonly postDoc: Int32Array;
  /** f·(k1+1) / (f + k1·norm(d)): the document side of the score, IDF not included. */
  private readonly postWeight: Float64Array;
  private readonly docLength: Int32Array;
  // Scratch for queries, reused so a query allocates nothing proportional to the corpus.
  private readonly acc: Float64Array;
  private readonly touched: Int32Array;

  private constructor(docTokens: string[][], opts: Bm25Options) {
    this.k1 = opts.k1 ?? BM25_DEFAULTS.k1;
    this.b = opts.b ?? BM25_DEFAULTS.b;
    if (!(this.k1 >= 0) || !Number.isFinite(this.k1)) throw new RangeError(`k1 must be ≥ 0, got ${this.k1}`);
    if (!(this.b >= 0 && this.b <= 1)) throw new RangeError(`b must be in [0, 1], got ${this.b}`);
    const N = docTokens.length;
    this.size = N;
    this.terms = new Map();
    this.docLength = new Int32Array(N);

    // Pass 1: term ids, document lengths, document frequencies, and each document's distinct
    // (term, frequency) pairs in flat growable arrays (a scratch count per term, no maps per doc).
    const df: number[] = [];
    let pairTerm = new Int32Array(1 << 16);
    let pairFreq = new Int32Array(1 << 16);
    const docPairStart = new Int32Array(N + 1);
    let scratch = new Int32Array(1024);
    const seen: number[] = [];
    let totalLength = 0;
    let pairs = 0;
    for (let d = 0; d < N; d++) {
      const toks = docTokens[d]!;
      this.docLength[d] = toks.length;
      totalLength += toks.length;
      seen.length = 0;
      for (const tok of toks) {
        let id = this.terms.get(tok);
        if (id === undefined) {
          id = df.length;
          this.terms.set(tok, id);
          df.push(0);
          if (id >= scratch.length) {
            const grown = new Int32Array(scratch.length * 2);
            grown.set(scratch);
            scratch = grown;
          }
        }
        if (scratch[id]!++ === 0) seen.push(id);
      }
      if (pairs + seen.length > pairTerm.length) {
        const size = Math.max(pairTerm.length * 2, pairs + seen.length);
        const t = new Int32Array(size);
        t.set(pairTerm);
        pairTerm = t;
        const f = new Int32Array(size);
        f.set(pairFreq);
        pairFreq = f;
      }
      for (const id of seen) {
        pairTerm[pairs] = id;
        pairFreq[pairs++] = scratch[id]!;
        scratch[id] = 0;
        df[id]!++;
      }
      docPairStart[d + 1] = pairs;
    }
    this.avgDocLength = N > 0 ? totalLength / N : 0;
    const T = df.length;
    this.idfs = new Float64Array(T);
    this.start = new Int32Array(T + 1);
    for (let t = 0; t < T; t++) {
      this.idfs[t] = Math.log(1 + (N - df[t]! + 0.5) / (df[t]! + 0.5));
      this.start[t + 1] = this.start[t]! + df[t]!;
    }

    // Pass 2: fill postings in document order, so each term's list is sorted by doc.
    this.postDoc = new Int32Array(pairs);
    this.postWeight = new Float64Array(pairs);
    const fill = this.start.slice(0, T);
    const { k1, b } = this;
    for (let d = 0; d < N; d++) {
      const norm = this.avgDocLength > 0 ? 1 - b + (b * this.docLength[d]!) / this.avgDocLength : 1;
      for (let i = docPairStart[d]!; i < docPairStart[d + 1]!; i++) {
        const p = fill[pairTerm[i]!]!++;
        const f = pairFreq[i]!;
        this.postDoc[p] = d;
        this.postWeight[p] = (f * (k1 + 1)) / (f + k1 * norm);
      }
    }
    this.acc = new Float64Array(N);
    this.touched = new Int32Array(N);
  }

  static build(docs: readonly string[], opts: Bm25Options = {}): Bm25Index {
    return new Bm25Index(docs.map(bm25Tokens), opts);
  }

  static fromTokens(docs: string[][], opts: Bm25Options = {}): Bm25Index {
    return new Bm25Index(docs, opts);
  }

  get vocabularySize(): number {
    return this.idfs.length;
  }

  /** IDF of a term (0 for a term no document has). */
  idf(term: string): number {
    const t = this.terms.get(term);
    return t === undefined ? 0 : this.idfs[t]!;
  }

  /** BM25 score of one document for a query (for checks; search() is the fast path). */
  score(query: string, doc: number): number {
    let s = 0;
    for (const tok of bm25Tokens(query)) {
      const t = this.terms.get(tok);
      if (t === undefined) continue;
      for (let p = this.start[t]!; p < this.start[t + 1]!; p++) {
        if (this.postDoc[p] === doc) s += this.idfs[t]! * this.postWeight[p]!;
      }
    }
    return s;
  }

  /** The k best documents for a query, best first; ties go to the lower index. */
  search(query: string, k: number, opts: SearchOptions = {}): Bm25Hit[] {
    return this.searchTokens(bm25Tokens(query), k, opts);
  }

  searchTokens(queryTokens: readonly string[], k: number, opts: SearchOptions = {}): Bm25Hit[] {
    if (k <= 0 || this.size === 0) return [];
    // Query term weights: IDF × how often the term is repeated in the query.
    const qw = new Map<number, number>();
    for (const tok of queryTokens) {
      const t = this.terms.get(tok);
      if (t !== undefined) qw.set(t, (qw.get(t) ?? 0) + this.idfs[t]!);
    }
    const { acc, touched, postDoc, postWeight, start } = this;
    let nTouched = 0;
    for (const [t, w] of qw) {
      for (let p = start[t]!, end = start[t + 1]!; p < end; p++) {
        const d = postDoc[p]!;
        // Every weight is positive, so 0 means "not touched yet".
        if (acc[d] === 0) touched[nTouched++] = d;
        acc[d]! += w * postWeight[p]!;
      }
    }
    const excluded = toSet(opts.exclude);
    const heap = new TopK(k);
    for (let i = 0; i < nTouched; i++) {
      const d = touched[i]!;
      if (excluded === null || !excluded.has(d)) heap.offer(d, acc[d]!);
      acc[d] = 0;
    }
    return heap.sorted();
  }
}

function toSet(x: number | Iterable<number> | undefined): Set<number> | null {
  if (x === undefined) return null;
  if (typeof x === 'number') return new Set([x]);
  return x instanceof Set ? (x as Set<number>) : new Set(x);
}

/** A bounded min-heap keeping the k best (score desc, doc asc). */
class TopK {
  private readonly docs: number[] = [];
  private readonly scores: number[] = [];
  constructor(private readonly k: number) {}

  /** a ranks below b. */
  private worse(i: number, j: number): boolean {
    const si = this.scores[i]!;
    const sj = this.scores[j]!;
    return si < sj || (si === sj && this.docs[i]! > this.docs[j]!);
  }

  offer(doc: number, score: number): void {
    const { docs, scores } = this;
    if (docs.length < this.k) {
      docs.push(doc);
      scores.push(score);
      this.up(docs.length - 1);
      return;
    }
    // Replace the root (the worst kept) if the newcomer ranks above it.
    if (score < scores[0]! || (score === scores[0] && doc > docs[0]!)) return;
    docs[0] = doc;
    scores[0] = score;
    this.down(0);
  }

  sorted(): Bm25Hit[] {
    const out = this.docs.map((doc, i) => ({ doc, score: this.scores[i]! }));
    return out.sort((a, b) => b.score - a.score || a.doc - b.doc);
  }

  private swap(i: number, j: number): void {
    [this.docs[i], this.docs[j]] = [this.docs[j]!, this.docs[i]!];
    [this.scores[i], this.scores[j]] = [this.scores[j]!, this.scores[i]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.docs.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.worse(l, m)) m = l;
      if (r < n && this.worse(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}
