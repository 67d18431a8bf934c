// Invented words for the generated corpus: pronounceable, distinct from each other and from the
// English words of the templates, so which passage a query asks for depends only on the
// generator's choices. Every word has a paraphrase (another invented word) that queries may use in
// its place: a retriever can learn these pairs from training queries, BM25 cannot.

import { Rng } from '../../tasks/generated/rng.js';

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'kr', 'pl', 'st', 'tr', 'sh', 'th'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 'm', 'x'];

/** Draws invented words with no repeats over the lexicon's lifetime. */
export class WordMaker {
  private readonly used = new Set<string>();

  constructor(private readonly rng: Rng, reserved: Iterable<string> = []) {
    for (const w of reserved) this.used.add(w.toLowerCase());
  }

  /** A new word of 2 or 3 syllables. */
  word(): string {
    for (;;) {
      const syllables = this.rng.range(2, 3);
      let w = '';
      for (let i = 0; i < syllables; i++) w += this.rng.pick(ONSETS) + this.rng.pick(VOWELS);
      w += this.rng.pick(CODAS);
      if (!this.used.has(w)) {
        this.used.add(w);
        return w;
      }
    }
  }

  /** `n` new words. */
  words(n: number): string[] {
    return Array.from({ length: n }, () => this.word());
  }

  /** A new capitalised name. */
  name(): string {
    const w = this.word();
    return w.charAt(0).toUpperCase() + w.slice(1);
  }

  names(n: number): string[] {
    return Array.from({ length: n }, () => this.name());
  }
}

/** A word and the paraphrase queries may use for it. */
export interface Term {
  word: string;
  paraphrase: string;
}

export function terms(maker: WordMaker, n: number): Term[] {
  return Array.from({ length: n }, () => ({ word: maker.word(), paraphrase: maker.word() }));
}
