// LLaRA's prompts and special tokens (methods.md §5.2, FlagEmbedding research/LLARA pretrain/data.py).
//
//   joint input = prefix + text + EBAE suffix + EBAR suffix
//   prefix      = '"'
//   EBAE suffix = '", summarize the above passage within eight words: <s1>…<s8>'
//   EBAR suffix = '", predict the following passage within eight words: <s9>…<s16>'
//
// The 16 `<sN>` tokens are added to the tokenizer as special tokens and the model's input
// embeddings and LM head get 16 new rows. The v1 paper form has one embedding token per prompt
// (`</s>`, here the tokenizer's end-of-text token) and shorter wording.

import { NodeFailure } from '../../plugin/api.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';

export class LlaraError extends NodeFailure {
  constructor(message: string) {
    super(message);
    this.name = 'LlaraError';
  }
}

export const LLARA_SPECIAL_TOKENS: readonly string[] = Array.from({ length: 16 }, (_, i) => `<s${i + 1}>`);

export type PromptForm = 'llara' | 'v1';

/** The token ids of one prompt form for one tokenizer: what surrounds every text. */
export interface PromptIds {
  form: PromptForm;
  prefix: number[];
  /** EBAE (passage) suffix; its last `k` ids are the embedding tokens. */
  ebae: number[];
  /** EBAR (query / next passage) suffix; its last `k` ids are the embedding tokens. */
  ebar: number[];
  /** Embedding tokens per suffix: 8 (llara) or 1 (v1). */
  k: number;
  /** Ids never used as bag-of-tokens targets (the tokenizer's special tokens and the 16 added). */
  ignoreIds: number[];
}

export const WORDING: Record<PromptForm, { prefix: string; ebae: string; ebar: string }> = {
  llara: { prefix: '"', ebae: '", summarize the above passage within eight words: ', ebar: '", predict the following passage within eight words: ' },
  v1: { prefix: '', ebae: ' The original sentence: ', ebar: ' The next sentence: ' },
};

/** The prompts' words, for a tokenizer trained from scratch that should spell them compactly. */
export function promptWording(): string[] {
  return Object.values(WORDING).flatMap((w) => [w.prefix, w.ebae, w.ebar]).filter((x) => x !== '');
}

/** End-of-text spellings of the tokenizers we know (Llama, GPT-2 / our byte-level BPE). */
const EOS_CANDIDATES = ['</s>', '<|endoftext|>', '<eos>'];

export function eosId(tok: Tokenizer): number | undefined {
  for (const t of EOS_CANDIDATES) {
    const id = tok.tokenToId(t);
    if (id !== undefined) return id;
  }
  return undefined;
}

/**
 * The tokenizer with `<s1>`…`<s16>` added (a tokenizer that already has them as added special
 * tokens, e.g. an adapted model's, is returned as it is). A `<sN>` that is an ordinary vocabulary
 * entry would be spelt inside passages too, so it is an error, as is a vocabulary without room.
 */
export function withLlaraTokens(tok: Tokenizer, maxVocab = 1 << 24): Tokenizer {
  const have = LLARA_SPECIAL_TOKENS.map((t) => tok.addedTokens.find((a) => a.content === t));
  if (have.every((a) => a?.special)) return tok;
  for (const t of LLARA_SPECIAL_TOKENS) {
    const added = tok.addedTokens.find((a) => a.content === t);
    if (added && !added.special) throw new LlaraError(`the tokenizer already has ${t} as an ordinary added token (id ${added.id}); LLaRA needs it as a special token of its own`);
    if (!added && tok.model.tokenToId(t) !== undefined) {
      throw new LlaraError(`the tokenizer's vocabulary already spells ${t} (id ${tok.model.tokenToId(t)}): there is no room for LLaRA's 16 special tokens without changing how passages are read`);
    }
  }
  if (tok.vocabSize + LLARA_SPECIAL_TOKENS.length > maxVocab) {
    throw new LlaraError(`the tokenizer has ${tok.vocabSize} ids and at most ${maxVocab} fit: no room for LLaRA's 16 special tokens`);
  }
  return tok.withAddedTokens(LLARA_SPECIAL_TOKENS.map((content) => ({ content, special: true, normalized: false })));
}

function plain(tok: Tokenizer, text: string): number[] {
  return text === '' ? [] : tok.encode(text, { addSpecialTokens: false }).ids;
}

/** The prompt ids of `form` for a tokenizer that holds the 16 special tokens (withLlaraTokens). */
export function promptIds(tok: Tokenizer, form: PromptForm): PromptIds {
  const w = WORDING[form];
  const special = (token: string) => {
    const id = tok.tokenToId(token);
    if (id === undefined) throw new LlaraError(`the tokenizer lacks ${token}: add LLaRA's tokens first`);
    return id;
  };
  const ignoreIds = tok.addedTokens.filter((a) => a.special).map((a) => a.id);
  if (form === 'v1') {
    const eos = eosId(tok);
    if (eos === undefined) throw new LlaraError(`the v1 form embeds at the end-of-text token, and the tokenizer has none (${EOS_CANDIDATES.join(', ')})`);
    return { form, prefix: plain(tok, w.prefix), ebae: [...plain(tok, w.ebae.trimEnd()), eos],
      ebar: [...plain(tok, w.ebar.trimEnd()), eos], k: 1, ignoreIds: [...new Set([...ignoreIds, eos])] };
  }
  return {
    form,
    prefix: plain(tok, w.prefix),
    ebae: [...plain(tok, w.ebae), ...LLARA_SPECIAL_TOKENS.slice(0, 8).map(special)],
    ebar: [...plain(tok, w.ebar), ...LLARA_SPECIAL_TOKENS.slice(8, 16).map(special)],
    k: 8,
    ignoreIds,
  };
}

/** Text ids that fit beside the prompt in `maxLength` tokens (the joint prompt holds both suffixes). */
export function textBudget(p: PromptIds, maxLength: number, joint: boolean): number {
  const fixed = p.prefix.length + p.ebae.length + (joint ? p.ebar.length : 0);
  const room = maxLength - fixed;
  if (room < 1) throw new LlaraError(`maxLength ${maxLength} leaves no room for text: the prompt alone takes ${fixed} tokens`);
  return room;
}
