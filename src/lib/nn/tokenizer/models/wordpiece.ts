// WordPiece (BERT): greedy longest-match-first over a word, later pieces spelled with the
// continuation prefix ('##'); a word with any unmatched part becomes the unknown token whole.

import { TokenizerError } from '../errors.js';
import type { JsonObject } from '../json-fields.js';
import { indexVocab, vocabObject, WordCache, type SubwordModel } from './model.js';

export interface WordPieceOptions {
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
}

export class WordPiece implements SubwordModel {
  readonly type = 'WordPiece' as const;
  readonly unkToken: string;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
  private readonly toId: Map<string, number>;
  private readonly toToken: string[];
  private readonly unkId: number | undefined;
  private readonly cache = new WordCache();

  constructor(vocab: Iterable<[string, number]>, opts: WordPieceOptions = {}) {
    ({ toId: this.toId, toToken: this.toToken } = indexVocab(vocab));
    this.unkToken = opts.unkToken ?? '[UNK]';
    this.prefix = opts.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = opts.maxInputCharsPerWord ?? 100;
    this.unkId = this.toId.get(this.unkToken);
  }

  get vocabSize(): number {
    return this.toToken.length;
  }

  tokenize(word: string): readonly number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = this.split(word);
    this.cache.set(word, ids);
    return ids;
  }

  private split(word: string): number[] {
    // Code-point boundaries as UTF-16 offsets, so pieces never cut a surrogate pair.
    const bounds: number[] = [0];
    for (let i = 0; i < word.length;) {
      i += word.codePointAt(i)! > 0xffff ? 2 : 1;
      bounds.push(i);
    }
    const chars = bounds.length - 1;
    if (chars > this.maxInputCharsPerWord) return this.unk(word);
    const ids: number[] = [];
    let start = 0;
    while (start < chars) {
      let end = chars;
      let found: number | undefined;
      while (start < end) {
        const piece = word.slice(bounds[start], bounds[end]);
        found = this.toId.get(start > 0 ? this.prefix + piece : piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return this.unk(word);
      ids.push(found);
      start = end;
    }
    return ids;
  }

  private unk(word: string): number[] {
    if (this.unkId === undefined) throw new TokenizerError(`WordPiece: the unknown token '${this.unkToken}' is not in the vocabulary, so '${word}' cannot be encoded`);
    return [this.unkId];
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
    return {
      type: 'WordPiece',
      unk_token: this.unkToken,
      continuing_subword_prefix: this.prefix,
      max_input_chars_per_word: this.maxInputCharsPerWord,
      vocab: vocabObject(this.toToken),
    };
  }
}
