// Byte-pair encoding: a word starts as characters (or bytes), then the ranked merges apply,
// lowest rank first and leftmost among equals, until none applies. A heap of candidate merges
// over a linked list of symbols makes a word of n characters cost O(n log n), which matters for
// SentencePiece-style files without a pre-tokenizer, where a "word" is a whole text.

import { TokenizerError } from '../errors.js';
import type { JsonObject } from '../json-fields.js';
import { MinHeap } from './min-heap.js';
import { indexVocab, vocabObject, WordCache, type SubwordModel } from './model.js';

export interface BpeOptions {
  unkToken?: string | null;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  /** Consecutive unknown characters become one unknown token. */
  fuseUnk?: boolean;
  /** Characters outside the vocabulary become their UTF-8 bytes as `<0xNN>` tokens (SentencePiece). */
  byteFallback?: boolean;
  /** A word that is itself a token is not merged up from characters. */
  ignoreMerges?: boolean;
  /** Words longer than this (in UTF-16 units) are not cached. */
  cacheMaxWordLength?: number;
  /** Encode '▁'-words of a SentencePiece-style text one by one when that cannot change the result (default true). */
  metaspaceShortcut?: boolean;
}

const METASPACE = '\u2581';
const INNER_METASPACE = /[^\u2581]\u2581/u;

// Pair keys and heap keys pack two integers into one float64 exactly.
const PAIR = 2 ** 21; // ids < 2M
const POS = 2 ** 26; // positions < 64M; ranks < 2^27
const UTF8 = new TextEncoder();

export class BPE implements SubwordModel {
  readonly type = 'BPE' as const;
  readonly unkToken: string | null;
  readonly prefix: string | null;
  readonly suffix: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  /** Merges in rank order, as token pairs. */
  readonly merges: readonly (readonly [string, string])[];
  private readonly toId: Map<string, number>;
  private readonly toToken: string[];
  /** pair key → rank * PAIR + merged id. */
  private readonly mergeOf = new Map<number, number>();
  private readonly unkId: number | undefined;
  private readonly byteIds: (number | undefined)[] = [];
  private readonly cache = new WordCache();
  private readonly cacheMax: number;
  private readonly heap = new MinHeap();
  /**
   * Files without a pre-tokenizer (newer Llama layouts) hand the model whole texts. When '▁' is a
   * token and no token has a '▁' after another character, no merge can join across the start of
   * a '▁'-word, so each word merges on its own exactly as inside the text, and can be cached.
   */
  private readonly splitAtMetaspace: boolean;

  constructor(vocab: Iterable<[string, number]>, merges: readonly (readonly [string, string])[], opts: BpeOptions = {}) {
    ({ toId: this.toId, toToken: this.toToken } = indexVocab(vocab));
    if (this.toToken.length >= PAIR) throw new TokenizerError(`BPE: vocabularies of more than ${PAIR} tokens are not supported`);
    this.unkToken = opts.unkToken ?? null;
    this.prefix = opts.continuingSubwordPrefix ?? null;
    this.suffix = opts.endOfWordSuffix ?? null;
    this.fuseUnk = opts.fuseUnk ?? false;
    this.byteFallback = opts.byteFallback ?? false;
    this.ignoreMerges = opts.ignoreMerges ?? false;
    this.cacheMax = opts.cacheMaxWordLength ?? 256;
    this.merges = merges;
    this.unkId = this.unkToken === null ? undefined : this.toId.get(this.unkToken);
    if (this.unkToken !== null && this.unkId === undefined) throw new TokenizerError(`BPE: the unknown token '${this.unkToken}' is not in the vocabulary`);
    const plen = this.prefix?.length ?? 0;
    merges.forEach(([a, b], rank) => {
      const ia = this.toId.get(a);
      const ib = this.toId.get(b);
      // The merged token drops the continuation prefix of its right part.
      const merged = a + (plen && b.startsWith(this.prefix!) ? b.slice(plen) : b);
      const im = this.toId.get(merged);
      if (ia === undefined || ib === undefined || im === undefined) {
        const missing = ia === undefined ? a : ib === undefined ? b : merged;
        throw new TokenizerError(`BPE: merge ${rank} ('${a}' '${b}') uses '${missing}', which is not in the vocabulary`);
      }
      const key = ia * PAIR + ib;
      if (!this.mergeOf.has(key)) this.mergeOf.set(key, rank * PAIR + im);
    });
    if (this.byteFallback) for (let b = 0; b < 256; b++) this.byteIds[b] = this.toId.get(byteToken(b));
    this.splitAtMetaspace = (opts.metaspaceShortcut ?? true) && !this.prefix && !this.suffix && this.toId.has(METASPACE)
      && !this.toToken.some((t) => t !== undefined && INNER_METASPACE.test(t));
  }

  get vocabSize(): number {
    return this.toToken.length;
  }

  tokenize(word: string): readonly number[] {
    if (this.splitAtMetaspace && word.length > 1 && word.indexOf(METASPACE, 1) > 0) return this.tokenizeMetaspaceWords(word);
    return this.tokenizeWord(word);
  }

  private tokenizeWord(word: string): readonly number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = this.ignoreMerges && this.toId.has(word) ? [this.toId.get(word)!] : this.mergeWord(word);
    if (word.length <= this.cacheMax) this.cache.set(word, ids);
    return ids;
  }

  private tokenizeMetaspaceWords(text: string): number[] {
    const out: number[] = [];
    let start = 0;
    for (let i = 1; i <= text.length; i++) {
      // A word starts at a '▁' that follows another character (runs of '▁' stay together).
      if (i === text.length || (text[i] === METASPACE && text[i - 1] !== METASPACE)) {
        for (const id of this.tokenizeWord(text.slice(start, i))) out.push(id);
        start = i;
      }
    }
    return out;
  }

  /** The initial symbols of a word: characters, else `<0xNN>` bytes, else the unknown token. */
  private symbols(word: string): number[] {
    const ids: number[] = [];
    let lastWasUnk = false;
    let i = 0;
    while (i < word.length) {
      const cp = word.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      let piece = word.slice(i, i + width);
      if (this.prefix !== null && i > 0) piece = this.prefix + piece;
      i += width;
      if (this.suffix !== null && i === word.length) piece += this.suffix;
      const id = this.toId.get(piece);
      if (id !== undefined) {
        ids.push(id);
        lastWasUnk = false;
        continue;
      }
      if (this.byteFallback) {
        const bytes = UTF8.encode(String.fromCodePoint(cp));
        const byteIds = Array.from(bytes, (b) => this.byteIds[b]);
        if (byteIds.every((b) => b !== undefined)) {
          for (const b of byteIds) ids.push(b!);
          lastWasUnk = false;
          continue;
        }
      }
      if (this.unkId === undefined) throw new TokenizerError(`BPE: '${String.fromCodePoint(cp)}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) is not in the vocabulary and the model has no unknown token`);
      if (!(this.fuseUnk && lastWasUnk)) ids.push(this.unkId);
      lastWasUnk = true;
    }
    return ids;
  }

  private mergeWord(word: string): number[] {
    const ids = this.symbols(word);
    const n = ids.length;
    if (n < 2) return ids;
    // The symbols as a linked list over positions (-1: none); a merge keeps the left position and
    // marks the right one removed (id -1).
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = this.heap;
    heap.clear();
    const consider = (pos: number): void => {
      const right = slot(next, pos);
      if (right < 0) return;
      const m = this.mergeOf.get(slot(ids, pos) * PAIR + slot(ids, right));
      if (m !== undefined) heap.push(Math.floor(m / PAIR) * POS + pos);
    };
    for (let i = 0; i < n - 1; i++) consider(i);
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / POS);
      const pos = key - rank * POS;
      const id = slot(ids, pos);
      const right = slot(next, pos);
      // Skip entries made stale by an earlier merge (a removed symbol or a changed pair).
      if (id < 0 || right < 0) continue;
      const m = this.mergeOf.get(id * PAIR + slot(ids, right));
      if (m === undefined || Math.floor(m / PAIR) !== rank) continue;
      ids[pos] = m % PAIR;
      ids[right] = -1;
      const after = slot(next, right);
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = slot(prev, pos);
      if (before >= 0) consider(before);
      consider(pos);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = slot(next, i)) out.push(slot(ids, i));
    return out;
  }

  tokenToId(token: string): number | undefined {
    return this.toId.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.toToken[id];
  }

  vocab(): Map<string, number> {
    return new Map(this.toId);
  }

  toJSON(): JsonObject {
    // Merges as "a b" strings when no token holds a space (readable by every tokenizers
    // version), else as [a, b] pairs (the form newer versions write).
    const spaced = this.merges.some(([a, b]) => a.includes(' ') || b.includes(' '));
    return {
      type: 'BPE',
      dropout: null,
      unk_token: this.unkToken,
      continuing_subword_prefix: this.prefix,
      end_of_word_suffix: this.suffix,
      fuse_unk: this.fuseUnk,
      byte_fallback: this.byteFallback,
      ignore_merges: this.ignoreMerges,
      vocab: vocabObject(this.toToken),
      merges: spaced ? this.merges.map(([a, b]) => [a, b]) : this.merges.map(([a, b]) => `${a} ${b}`),
    };
  }
}

/** SentencePiece's byte token: `<0x0A>`. */
export function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/**
 * A word's entry at a position taken from its own symbol links, so in [0, n) by construction. Marked
 * rather than checked: this is the innermost read of encoding, and a check here costs ~20% of it.
 */
function slot(entries: ArrayLike<number>, pos: number): number {
  return entries[pos]!;
}
