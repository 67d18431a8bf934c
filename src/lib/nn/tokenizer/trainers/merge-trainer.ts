// Learning BPE merges from word counts (the procedure of HF's BpeTrainer, which its
// WordPieceTrainer reuses with a '##' continuation prefix).
//
// Vocabulary order: special tokens, then the alphabet sorted by code point, then (with a prefix)
// each prefixed character as first met in the words sorted by code units, then one token per merge.
// Each step merges the most frequent adjacent pair; ties go to the pair whose (left id, right id)
// is smallest, so the result depends only on the corpus and the options. Training stops at
// `vocabSize` or when the best pair occurs fewer than `minFrequency` times.

export interface MergeTrainerOptions {
  vocabSize: number;
  minFrequency: number;
  specialTokens: readonly string[];
  /** Characters always in the vocabulary, seen or not (the 256 byte characters for byte-level BPE). */
  initialAlphabet?: readonly string[];
  /** Marks pieces that continue a word ('##' for WordPiece). */
  continuingSubwordPrefix?: string;
}

export interface LearnedMerges {
  /** Token of each id. */
  vocab: string[];
  merges: [string, string][];
}

const PAIR = 2 ** 21;

interface Candidate {
  count: number;
  pair: number;
}

/** Max-heap on (count, then smallest pair key). */
class CandidateHeap {
  private items: Candidate[] = [];
  get size(): number {
    return this.items.length;
  }
  private better(a: Candidate, b: Candidate): boolean {
    return a.count > b.count || (a.count === b.count && a.pair < b.pair);
  }
  push(c: Candidate): void {
    const h = this.items;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): Candidate {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.better(h[l], h[m])) m = l;
        if (r < h.length && this.better(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function learnMerges(wordCounts: ReadonlyMap<string, number>, opts: MergeTrainerOptions): LearnedMerges {
  const vocab: string[] = [];
  const ids = new Map<string, number>();
  const add = (t: string): number => {
    let id = ids.get(t);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(t);
      ids.set(t, id);
    }
    return id;
  };
  for (const t of opts.specialTokens) add(t);

  const entries = [...wordCounts.entries()].sort((a, b) => byCodeUnits(a[0], b[0]));
  const alphabet = new Set<string>(opts.initialAlphabet ?? []);
  for (const [w] of entries) for (const ch of w) alphabet.add(ch);
  for (const ch of [...alphabet].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)) add(ch);

  const prefix = opts.continuingSubwordPrefix ?? '';
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of entries) {
    const chars = [...w];
    words.push(chars.map((ch, i) => add(i > 0 && prefix ? prefix + ch : ch)));
    counts.push(c);
  }

  // Pair statistics: weighted counts and the words each pair occurs in.
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const key = w[i] * PAIR + w[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + counts[wi]);
      let s = where.get(key);
      if (!s) where.set(key, (s = new Set()));
      s.add(wi);
    }
  });
  const heap = new CandidateHeap();
  for (const [pair, count] of [...pairCount.entries()].sort((a, b) => a[0] - b[0])) heap.push({ count, pair });

  const merges: [string, string][] = [];
  while (vocab.length < opts.vocabSize && heap.size > 0) {
    const top = heap.pop();
    const current = pairCount.get(top.pair) ?? 0;
    if (current !== top.count) {
      // A stale entry: requeue with the true count (counts only fall, so order stays right).
      if (current > 0) heap.push({ count: current, pair: top.pair });
      continue;
    }
    if (current < Math.max(1, opts.minFrequency)) break;
    const a = Math.floor(top.pair / PAIR);
    const b = top.pair - a * PAIR;
    const right = vocab[b];
    const merged = vocab[a] + (prefix && right.startsWith(prefix) ? right.slice(prefix.length) : right);
    const newId = add(merged);
    merges.push([vocab[a], right]);

    const touched = new Map<number, number>();
    const change = (key: number, delta: number, wi: number): void => {
      pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
      touched.set(key, pairCount.get(key)!);
      if (delta > 0) {
        let s = where.get(key);
        if (!s) where.set(key, (s = new Set()));
        s.add(wi);
      }
    };
    const inWords = [...(where.get(top.pair) ?? [])].sort((x, y) => x - y);
    for (const wi of inWords) {
      const w = words[wi];
      const c = counts[wi];
      for (let i = 0; i + 1 < w.length; i++) {
        if (w[i] !== a || w[i + 1] !== b) continue;
        if (i > 0) {
          change(w[i - 1] * PAIR + a, -c, wi);
          change(w[i - 1] * PAIR + newId, c, wi);
        }
        w.splice(i, 2, newId);
        if (i + 1 < w.length) {
          change(b * PAIR + w[i + 1], -c, wi);
          change(newId * PAIR + w[i + 1], c, wi);
        }
      }
    }
    pairCount.set(top.pair, 0);
    where.delete(top.pair);
    touched.delete(top.pair);
    // New or grown pairs enter the heap; shrunk ones are fixed lazily when popped.
    for (const key of [...touched.keys()].sort((x, y) => x - y)) {
      const count = pairCount.get(key)!;
      if (count > 0 && key !== top.pair) heap.push({ count, pair: key });
    }
  }
  return { vocab, merges };
}
