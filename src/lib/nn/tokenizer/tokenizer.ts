// The tokenizer pipeline: added tokens → normalizer → pre-tokenizer → model → truncation →
// post-processor → (batch) padding; decode runs the decoder. Mirrors Hugging Face `tokenizers`.

import { rename, writeFile } from 'node:fs/promises';
import { addedToken, AddedVocabulary, type AddedToken } from './added-tokens.js';
import { batchFromEncodings, type BatchEncoding } from './batch.js';
import type { Decoder } from './decoders.js';
import { plainEncoding, type Encoding, type Side } from './encoding.js';
import { TokenizerError } from './errors.js';
import type { JsonObject } from './json-fields.js';
import type { SubwordModel } from './models/model.js';
import type { Normalizer } from './normalizers.js';
import type { PostProcessor } from './post-processors.js';
import type { PreTokenizer } from './pre-tokenizers.js';
import { paddingJSON, truncationJSON, type PaddingSettings, type TruncationSettings, type TruncationStrategy } from './settings.js';
import { truncatePair } from './truncation.js';

export interface TokenizerParts {
  model: SubwordModel;
  normalizer?: Normalizer | null;
  preTokenizer?: PreTokenizer | null;
  postProcessor?: PostProcessor | null;
  decoder?: Decoder | null;
  addedTokens?: readonly AddedToken[];
  /** Defaults used when a call does not say (tokenizer.json `truncation` / `padding`). */
  truncation?: TruncationSettings | null;
  padding?: PaddingSettings | null;
}

export interface EncodeOptions {
  /** Add the post-processor's special tokens ([CLS] … [SEP], <s> …); default true. */
  addSpecialTokens?: boolean;
  /** Total length cap, special tokens included (overrides the file's truncation length). */
  maxLength?: number;
  /** Which end to cut; false turns truncation off. Default: the file's, else 'right'. */
  truncation?: Side | false;
  truncationStrategy?: TruncationStrategy;
}

export interface EncodedText extends Encoding {
  tokens: string[];
  attentionMask: number[];
}

export interface BatchOptions extends EncodeOptions {
  /** Second sequences, one per text (`[CLS] A [SEP] B [SEP]`). */
  pairs?: readonly string[];
  /** 'longest' (default unless the file fixes a length) or 'max_length' (to maxLength). */
  padding?: 'longest' | 'max_length';
  padSide?: Side;
  padToMultipleOf?: number;
  padId?: number;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

const PAD_CANDIDATES = ['[PAD]', '<pad>', '<|pad|>', '<|padding|>'];

export class Tokenizer {
  readonly model: SubwordModel;
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  readonly truncation: TruncationSettings | null;
  readonly padding: PaddingSettings | null;
  private readonly added: AddedVocabulary;

  constructor(parts: TokenizerParts) {
    this.model = parts.model;
    this.normalizer = parts.normalizer ?? null;
    this.preTokenizer = parts.preTokenizer ?? null;
    this.postProcessor = parts.postProcessor ?? null;
    this.decoder = parts.decoder ?? null;
    this.truncation = parts.truncation ?? null;
    this.padding = parts.padding ?? null;
    this.added = new AddedVocabulary(parts.addedTokens ?? [], this.normalizer);
  }

  get addedTokens(): readonly AddedToken[] {
    return this.added.tokens;
  }

  /** One past the largest id of the model or the added tokens. */
  get vocabSize(): number {
    let n = this.model.vocabSize;
    for (const t of this.added.tokens) n = Math.max(n, t.id + 1);
    return n;
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.added.byIdOf(id)?.content ?? this.model.idToToken(id);
  }

  /**
   * A tokenizer with more added tokens (HF's add_tokens / add_special_tokens): a token already in
   * the vocabulary keeps its id, a new one gets the next free id. Returns a new tokenizer.
   */
  withAddedTokens(tokens: readonly (string | (Partial<Omit<AddedToken, 'id'>> & { content: string }))[]): Tokenizer {
    const all = [...this.added.tokens];
    let next = this.vocabSize;
    for (const t of tokens) {
      const spec = typeof t === 'string' ? { content: t } : t;
      if (!spec.content) throw new TokenizerError('an added token cannot be empty');
      if (this.added.get(spec.content) || all.some((a) => a.content === spec.content)) continue;
      const id = this.model.tokenToId(spec.content) ?? next++;
      all.push(addedToken(id, spec.content, spec));
    }
    return new Tokenizer({
      model: this.model, normalizer: this.normalizer, preTokenizer: this.preTokenizer, postProcessor: this.postProcessor,
      decoder: this.decoder, truncation: this.truncation, padding: this.padding, addedTokens: all,
    });
  }

  /** The model ids of a text, without special tokens, truncation or padding. */
  tokenizeToIds(text: string): number[] {
    const ids: number[] = [];
    for (const piece of this.added.splitRaw(text)) {
      if ('token' in piece) {
        ids.push(piece.token.id);
        continue;
      }
      const normalized = this.normalizer ? this.normalizer.normalize(piece.text) : piece.text;
      for (const sub of this.added.splitNormalized(normalized)) {
        if ('token' in sub) {
          ids.push(sub.token.id);
          continue;
        }
        const isFirst = piece.start === 0 && sub.start === 0;
        const words = this.preTokenizer ? this.preTokenizer.preTokenize(sub.text, isFirst) : [sub.text];
        for (const w of words) if (w.length) for (const id of this.model.tokenize(w)) ids.push(id);
      }
    }
    return ids;
  }

  tokenize(text: string): string[] {
    return this.tokenizeToIds(text).map((id) => this.idToToken(id)!);
  }

  encode(text: string, opts: EncodeOptions & { pair?: string } = {}): EncodedText {
    const e = this.encodeOne(text, opts.pair ?? null, opts);
    return { ...e, tokens: e.ids.map((id) => this.idToToken(id)!), attentionMask: e.ids.map(() => 1) };
  }

  private encodeOne(text: string, pair: string | null, opts: EncodeOptions): Encoding {
    let a = plainEncoding(this.tokenizeToIds(text), 0);
    let b = pair === null ? null : plainEncoding(this.tokenizeToIds(pair), 1);
    const addSpecial = opts.addSpecialTokens ?? true;
    const trunc = this.truncationFor(opts);
    if (trunc) {
      const added = addSpecial && this.postProcessor ? this.postProcessor.addedTokens(b !== null) : 0;
      if (trunc.maxLength < added) throw new TokenizerError(`maxLength ${trunc.maxLength} leaves no room: the special tokens alone take ${added}`);
      [a, b] = truncatePair(a, b, trunc.maxLength - added, trunc.strategy, trunc.direction);
    }
    if (addSpecial && this.postProcessor) return this.postProcessor.process(a, b);
    return b ? { ids: [...a.ids, ...b.ids], typeIds: [...a.typeIds, ...b.typeIds], specialTokensMask: [...a.specialTokensMask, ...b.specialTokensMask] } : a;
  }

  private truncationFor(opts: EncodeOptions): TruncationSettings | null {
    if (opts.truncation === false) return null;
    const base = this.truncation;
    const maxLength = opts.maxLength ?? base?.maxLength;
    if (maxLength === undefined) {
      if (opts.truncation) throw new TokenizerError(`truncation '${opts.truncation}' needs maxLength (the tokenizer file sets none)`);
      return null;
    }
    return { maxLength, direction: opts.truncation || base?.direction || 'right', strategy: opts.truncationStrategy ?? base?.strategy ?? 'longest_first', stride: base?.stride ?? 0 };
  }

  /** Encodes texts (or text pairs) into one padded batch of int32 rows, `shape = [batch, length]`. */
  encodeBatch(texts: readonly string[], opts: BatchOptions = {}): BatchEncoding {
    if (opts.pairs && opts.pairs.length !== texts.length) throw new TokenizerError(`encodeBatch: ${texts.length} texts but ${opts.pairs.length} pairs`);
    const encodings = texts.map((t, i) => this.encodeOne(t, opts.pairs?.[i] ?? null, opts));
    const pad = this.padding;
    const mode = opts.padding ?? (pad && pad.length !== 'longest' ? 'max_length' : 'longest');
    let length: number | 'longest' = 'longest';
    if (mode === 'max_length') {
      const fixed = opts.maxLength ?? (pad && pad.length !== 'longest' ? pad.length : this.truncation?.maxLength);
      if (fixed === undefined) throw new TokenizerError("padding 'max_length' needs maxLength (or a fixed padding length in tokenizer.json)");
      length = fixed;
    }
    return batchFromEncodings(encodings, {
      length,
      side: opts.padSide ?? pad?.direction ?? 'right',
      multipleOf: opts.padToMultipleOf ?? pad?.padToMultipleOf ?? null,
      padId: opts.padId ?? pad?.padId ?? this.defaultPadId(),
      padTypeId: pad?.padTypeId ?? 0,
    });
  }

  private defaultPadId(): number {
    for (const t of PAD_CANDIDATES) {
      const id = this.tokenToId(t);
      if (id !== undefined) return id;
    }
    return 0; // masked out by the attention mask either way
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (const id of Array.from(ids)) {
      if (opts.skipSpecialTokens && this.added.byIdOf(id)?.special) continue;
      const t = this.idToToken(id);
      if (t !== undefined) tokens.push(t);
    }
    return this.decoder ? this.decoder.decodeChain(tokens).join('') : tokens.join(' ');
  }

  /** Decodes each row of a batch, dropping padding (attention mask 0). */
  decodeBatch(batch: BatchEncoding, opts: DecodeOptions = {}): string[] {
    const [rows, len] = batch.shape;
    const out: string[] = [];
    for (let r = 0; r < rows; r++) {
      const mask = batch.attentionMask.subarray(r * len, (r + 1) * len);
      out.push(this.decode(batch.inputIds.subarray(r * len, (r + 1) * len).filter((_, j) => Boolean(mask[j])), opts));
    }
    return out;
  }

  /** The tokenizer.json object (HF layout and key order). */
  toJSON(): JsonObject {
    return {
      version: '1.0',
      truncation: this.truncation ? truncationJSON(this.truncation) : null,
      padding: this.padding ? paddingJSON(this.padding) : null,
      added_tokens: this.added.tokens.map((t) => ({
        id: t.id,
        content: t.content,
        single_word: t.singleWord,
        lstrip: t.lstrip,
        rstrip: t.rstrip,
        normalized: t.normalized,
        special: t.special,
      })),
      normalizer: this.normalizer?.toJSON() ?? null,
      pre_tokenizer: this.preTokenizer?.toJSON() ?? null,
      model: this.model.toJSON(),
      post_processor: this.postProcessor?.toJSON() ?? null,
      decoder: this.decoder?.toJSON() ?? null,
    };
  }

  /** Writes tokenizer.json atomically (a reader never sees half a file). */
  async save(path: string): Promise<void> {
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(this.toJSON(), null, 2) + '\n');
    await rename(tmp, path);
  }
}
