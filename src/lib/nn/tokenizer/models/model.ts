// What every subword model offers the tokenizer: a word → ids, and the vocabulary both ways.

import type { JsonObject } from '../json-fields.js';

export interface SubwordModel {
  readonly type: 'WordPiece' | 'BPE';
  /** The token for what the vocabulary cannot spell (null: a byte-level model has none). */
  readonly unkToken: string | null;
  /** The ids of one pre-tokenized word (cached: the same word always gives the same ids). */
  tokenize(word: string): readonly number[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** One past the largest id. */
  readonly vocabSize: number;
  vocab(): Map<string, number>;
  toJSON(): JsonObject;
}

/** A bounded word → ids cache: cleared when full, which keeps memory flat on long streams of new words. */
export class WordCache {
  private readonly map = new Map<string, readonly number[]>();
  constructor(private readonly capacity = 100_000) {}
  get(word: string): readonly number[] | undefined {
    return this.map.get(word);
  }
  set(word: string, ids: readonly number[]): void {
    if (this.map.size >= this.capacity) this.map.clear();
    this.map.set(word, ids);
  }
}

/** Token → id from a vocab object; ids must be unique non-negative integers. */
export function indexVocab(entries: Iterable<[string, number]>): { toId: Map<string, number>; toToken: string[] } {
  const toId = new Map<string, number>();
  const toToken: string[] = [];
  for (const [token, id] of entries) {
    toId.set(token, id);
    toToken[id] = token;
  }
  return { toId, toToken };
}

export function vocabObject(toToken: readonly (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  toToken.forEach((t, id) => {
    if (t !== undefined) out[t] = id;
  });
  return out;
}
