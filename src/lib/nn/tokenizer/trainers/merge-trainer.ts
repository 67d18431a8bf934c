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
  /** Sifts `c` up from the end, moving worse parents down into the hole. */
  push(c: Candidate): void {
    const h = this.items;
    let i = h.length;
    h.push(c);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p];
      if (parent === undefined || !this.better(c, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = c;
  }
  /** Takes the best candidate; the last one sifts down from the root (a missing child ends the walk). */
  pop(): Candidate {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) throw new Error('CandidateHeap.pop: the heap is empty');
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      let m = l;
      let child = h[l];
      if (child === undefined) break;
      const right = h[l + 1];
      if (right !== undefined && this.better(right, child)) {
        m = l + 1;
        child = right;
      }
      if (!this.better(child, last)) break;
      h[i] = child;
      i = m;
    }
    h[i] = last;
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
  // Each word as its current symbol ids, with its count; word indices order the merge updates.
  const words: { ids: number[]; count: number }[] = [];
  for (const [w, count] of entries) {
    const chars = [...w];
    words.push({ ids: chars.map((ch, i) => add(i > 0 && prefix ? prefix + ch : ch)), count });
  }

  // Pair statistics: weighted counts and the words each pair occurs in.
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  for (const [wi, { ids: w, count }] of words.entries()) {
    for (let i = 1; i < w.length; i++) {
      const left = w[i - 1];
      const right = w[i];
      if (left === undefined || right === undefined) continue;
      const key = left * PAIR + right;
      pairCount.set(key, (pairCount.get(key) ?? 0) + count);
      let s = where.get(key);
      if (!s) where.set(key, (s = new Set()));
      s.add(wi);
    }
  }
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
    const left = vocab[a];
    const right = vocab[b];
    if (left === undefined || right === undefined) throw new Error(`learnMerges: pair (${a}, ${b}) names an id outside the vocabulary of ${vocab.length}`);
    const merged = left + (prefix && right.startsWith(prefix) ? right.slice(prefix.length) : right);
    const newId = add(merged);
    merges.push([left, right]);

    const touched = new Map<number, number>();
    const change = (key: number, delta: number, wi: number): void => {
      const count = (pairCount.get(key) ?? 0) + delta;
      pairCount.set(key, count);
      touched.set(key, count);
      if (delta > 0) {
        let s = where.get(key);
        if (!s) where.set(key, (s = new Set()));
        s.add(wi);
      }
    };
    const inWords = [...(where.get(top.pair) ?? [])].sort((x, y) => x - y);
    for (const wi of inWords) {
      const word = words[wi];
      if (word === undefined) throw new Error(`learnMerges: word ${wi} is not among the ${words.length} words`);
      const { ids: w, count: c } = word;
      for (let i = 0; i + 1 < w.length; i++) {
        if (w[i] !== a || w[i + 1] !== b) continue;
        // The neighbours of the merged pair: reads off either end are undefined (no neighbour there).
        const before = i > 0 ? w[i - 1] : undefined;
        if (before !== undefined) {
          change(before * PAIR + a, -c, wi);
          change(before * PAIR + newId, c, wi);
        }
        w.splice(i, 2, newId);
        const after = w[i + 1];
        if (after !== undefined) {
          change(b * PAIR + after, -c, wi);
          change(newId * PAIR + after, c, wi);
        }
      }
    }
    pairCount.set(top.pair, 0);
    where.delete(top.pair);
    touched.delete(top.pair);
    // New or grown pairs enter the heap; shrunk ones are fixed lazily when popped.
    for (const [key, count] of [...touched.entries()].sort((x, y) => x[0] - y[0])) {
      if (count > 0 && key !== top.pair) heap.push({ count, pair: key });
    }
  }
  return { vocab, merges };
}
