// LLaRA's adaptation with a tokenizer of Llama-2's layout: a SentencePiece-BPE tokenizer.json with
// byte fallback, the `▁` metaspace, <unk> <s> </s> at ids 0–2 and 32,000 ids. The 16 special
// tokens become ids 32000–32015, the token table and the untied LM head grow to 32,016 rows, the
// tokens are single ids at the end of every left-padded row, and a tokenizer without room for
// them is a clear error. The file is built here (no download): the Llama builder of the other
// tokenizer tests, its vocabulary filled up to Llama-2's size with pieces no merge reaches.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import adapt from '../../plugins/llara-adapt/index.js';
import evaluate from '../../plugins/llara-eval/index.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { savePretrained } from '../../src/lib/nn/pretrained.js';
import { loadTokenizer } from '../../src/lib/nn/tokenizer/core.js';
import type { Tokenizer } from '../../src/lib/nn/tokenizer/tokenizer.js';
import { jointRows, singleBatch } from '../../src/lib/llara/batch.js';
import { embedTexts, padIdOf } from '../../src/lib/llara/embed.js';
import { LLARA_SPECIAL_TOKENS, LlaraError, promptIds, withLlaraTokens } from '../../src/lib/llara/prompts.js';
import { addLlaraVocabulary } from '../../src/lib/llara/vocab.js';
import { runPlugin } from '../plugins/ctx.js';
import { BYTE_ID, LLAMA_ID, LLAMA_MERGES, llamaJson, llamaVocab } from './tokenizer-fixtures.js';
import { at } from '../util/at.js';

const LLAMA2_VOCAB = 32_000;
const SPECIAL_IDS = Array.from({ length: 16 }, (_, i) => LLAMA2_VOCAB + i);
const here = dirname(fileURLToPath(import.meta.url));
const TINY = join(here, '..', 'fixtures', 'llara', 'tiny');
const work = mkdtempSync(join(tmpdir(), 'retort-llama2-tok-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The prompts' words as whole pieces (Llama-2 has them), built letter by letter from the word start. */
const PROMPT_WORDS = ['"', 'summarize', 'the', 'above', 'passage', 'within', 'eight', 'words', 'predict', 'following'];
const SINGLE_CHARS = [...'abcdefghijklmnopqrstuvwxyz', '"', ',', ':'];

function promptPieces(): { pieces: string[]; merges: [string, string][] } {
  const have = new Set(llamaVocab());
  const pieces = SINGLE_CHARS.filter((c) => !have.has(c));
  const merges: [string, string][] = [];
  for (const word of PROMPT_WORDS) {
    let left = '▁';
    for (const ch of word) {
      const piece = left + ch;
      if (![...merges, ...LLAMA_MERGES].some(([a, b]) => a + b === piece)) merges.push([left, ch]);
      if (!have.has(piece) && !pieces.includes(piece)) pieces.push(piece);
      left = piece;
    }
  }
  return { pieces, merges };
}

/**
 * Llama's pieces, single letters, the prompt words, `extra`, then filler pieces (▁ + four letters,
 * never produced by a merge) up to `size` ids. The word merges rank before Llama's few, so each
 * word grows from its start as Llama-2's would.
 */
function llama2Model(size: number, extra: readonly string[] = []): { vocab: Record<string, number>; merges: [string, string][] } {
  const words = promptPieces();
  const vocab = [...llamaVocab(), ...words.pieces, ...extra];
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; vocab.length < size; i++) {
    let name = '';
    for (let n = i; name.length < 4; n = Math.floor(n / 26)) name += letters[n % 26];
    vocab.push(`▁${name}`);
  }
  return { vocab: Object.fromEntries(vocab.map((t, i) => [t, i])), merges: [...words.merges, ...LLAMA_MERGES] };
}

/** tokenizer.json of Llama-2's layout (newer form: Prepend + Replace normalizer), written to a folder. */
function writeLlama2(name: string, extra: readonly string[] = []): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(llamaJson('normalizer', llama2Model(LLAMA2_VOCAB, extra))));
  return join(dir, 'tokenizer.json');
}

const tinyLlama = (vocabSize: number) => new LlamaDecoder({ vocabSize, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 16, maxPositions: 160 }, 5);

let llama2: Tokenizer;

beforeAll(async () => {
  await initBackend();
  llama2 = await loadTokenizer(writeLlama2('llama2'));
});

describe('a Llama-2-format tokenizer', () => {
  it('is of the real layout: 32,000 ids, <unk> <s> </s> at 0–2, byte fallback, ▁ metaspace', () => {
    expect(llama2.vocabSize).toBe(LLAMA2_VOCAB);
    expect(['<unk>', '<s>', '</s>'].map((t) => llama2.tokenToId(t))).toEqual([0, 1, 2]);
    // "hello" is a merged piece after the prepended ▁; "é" has no piece and falls back to its bytes.
    expect(llama2.encode('hello é', { addSpecialTokens: false }).ids).toEqual([LLAMA_ID('▁hello'), LLAMA_ID('▁'), BYTE_ID(0xc3), BYTE_ID(0xa9)]);
    expect(llama2.encode('hello').ids[0]).toBe(1); // <s> first, as Llama-2's template has it
  });

  it('takes the 16 special tokens as ids 32000–32015, read as single ids in text, and keeps them in its JSON', async () => {
    const tok = withLlaraTokens(llama2);
    expect(tok.vocabSize).toBe(LLAMA2_VOCAB + 16);
    expect(LLARA_SPECIAL_TOKENS.map((t) => tok.tokenToId(t))).toEqual(SPECIAL_IDS);
    // Before, `<s1>` is spelt out in bytes and pieces; after, it is one id.
    expect(llama2.encode('<s1>', { addSpecialTokens: false }).ids.length).toBeGreaterThan(1);
    expect(tok.encode('words: <s1><s2><s3>', { addSpecialTokens: false }).ids.slice(-3)).toEqual(SPECIAL_IDS.slice(0, 3));
    // The adapted folder's tokenizer.json reads back with the same ids, as special tokens.
    const dir = join(work, 'roundtrip');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.toJSON()));
    const back = await loadTokenizer(join(dir, 'tokenizer.json'));
    expect(LLARA_SPECIAL_TOKENS.map((t) => back.tokenToId(t))).toEqual(SPECIAL_IDS);
    expect(back.addedTokens.filter((a) => a.id >= LLAMA2_VOCAB).every((a) => a.special)).toBe(true);
    expect(withLlaraTokens(back)).toBe(back);
  });

  it('spells the prompts as the released code does: the suffix string encodes to the prompt ids', () => {
    const tok = withLlaraTokens(llama2);
    const p = promptIds(tok, 'llara');
    expect(p.ebae.slice(-8)).toEqual(SPECIAL_IDS.slice(0, 8));
    expect(p.ebar.slice(-8)).toEqual(SPECIAL_IDS.slice(8));
    // '▁"' then ',' '▁summarize' … '▁words' ':' '▁' (the space before <s1>) and the 8 tokens.
    expect(p.prefix.map((id) => tok.idToToken(id))).toEqual(['▁"']);
    expect(p.ebae.slice(0, -8).map((id) => tok.idToToken(id))).toEqual(['▁"', ',', '▁summarize', '▁the', '▁above', '▁passage', '▁within', '▁eight', '▁words', ':', '▁']);
    expect(p.ebar.slice(0, -8).map((id) => tok.idToToken(id))).toEqual(['▁"', ',', '▁predict', '▁the', '▁following', '▁passage', '▁within', '▁eight', '▁words', ':', '▁']);
    const suffix = (words: string, from: number) => words + LLARA_SPECIAL_TOKENS.slice(from, from + 8).join('');
    expect(tok.encode(suffix('", summarize the above passage within eight words: ', 0), { addSpecialTokens: false }).ids).toEqual(p.ebae);
    expect(tok.encode(suffix('", predict the following passage within eight words: ', 8), { addSpecialTokens: false }).ids).toEqual(p.ebar);
    // <unk> <s> </s> and the 16 tokens are never bag-of-tokens targets.
    expect(new Set(p.ignoreIds)).toEqual(new Set([0, 1, 2, ...SPECIAL_IDS]));
  });

  it('grows the token table and the untied LM head to 32,016 rows, keeping the rows already there', () => {
    const model = tinyLlama(LLAMA2_VOCAB);
    const before = model.embedTokens.weight.slice([31_990, 0], [10, 8]).dataSync();
    const headBefore = model.lmHead!.weight.slice([0, 0], [10, 8]).dataSync();
    const tok = addLlaraVocabulary(model, llama2, 1);
    expect(tok.vocabSize).toBe(LLAMA2_VOCAB + 16);
    expect(model.config.vocabSize).toBe(LLAMA2_VOCAB + 16);
    expect(model.embedTokens.weight.shape).toEqual([LLAMA2_VOCAB + 16, 8]);
    expect(model.lmHead!.weight.shape).toEqual([LLAMA2_VOCAB + 16, 8]);
    expect(Array.from(model.embedTokens.weight.slice([31_990, 0], [10, 8]).dataSync())).toEqual(Array.from(before));
    expect(Array.from(model.lmHead!.weight.slice([0, 0], [10, 8]).dataSync())).toEqual(Array.from(headBefore));
    model.dispose();
  });

  it('puts the special tokens, as single ids, at the end of every left-padded row', () => {
    const model = tinyLlama(LLAMA2_VOCAB);
    const tok = addLlaraVocabulary(model, llama2, 1);
    const p = promptIds(tok, 'llara');
    const padId = padIdOf(tok);
    expect(padId).toBe(2); // Llama-2 has no <pad>: </s>, hidden by the attention mask
    const texts = ['hello world', 'hello', 'world hello hello world é'].map((t) => tok.encode(t, { addSpecialTokens: false }).ids);
    const rows = jointRows(texts, p, padId);
    const r = p.ebar.length;
    for (let row = 0; row < texts.length; row++) {
      const ids = Array.from(rows.ids.slice(row * rows.t, (row + 1) * rows.t));
      expect(ids.slice(-8)).toEqual(SPECIAL_IDS.slice(8));
      expect(ids.slice(-r - 8, -r)).toEqual(SPECIAL_IDS.slice(0, 8));
      const pad = rows.t - (p.prefix.length + at(texts, row).length + p.ebae.length + r);
      expect(ids.slice(0, pad).every((id) => id === padId)).toBe(true);
    }
    expect(rows.t - (p.prefix.length + at(texts, 1).length + p.ebae.length + r)).toBeGreaterThan(0); // a row really is padded
    // The one-prompt rows (passages with EBAE) end with <s1>…<s8>, and the model reads them.
    tf.tidy(() => {
      const single = singleBatch(texts, p.prefix, p.ebae, padId);
      const last = single.inputIds.slice([0, single.t - 8], [texts.length, 8]).arraySync() as number[][];
      for (const row of last) expect(row).toEqual(SPECIAL_IDS.slice(0, 8));
      const { logits } = model.forward({ inputIds: single.inputIds, attentionMask: single.attentionMask, positionIds: single.positionIds });
      expect(logits!.shape).toEqual([texts.length, single.t, LLAMA2_VOCAB + 16]);
      const e = embedTexts({ model, tok, prompt: p, maxLength: 64, padId }, ['hello world', 'hello'], 'passage');
      expect(e.shape).toEqual([2, 8]);
      expect(Array.from(tf.norm(e, 2, 1).dataSync()).every((n) => Math.abs(n - 1) < 1e-5)).toBe(true);
    });
    model.dispose();
  });

  it('refuses a tokenizer without room for the 16 tokens with a clear error', async () => {
    // The vocabulary already spells <s1> as an ordinary piece: passages would be read differently.
    const spelt = await loadTokenizer(writeLlama2('spelt', ['<s1>']));
    expect(() => withLlaraTokens(spelt)).toThrow(LlaraError);
    const id = llama2Model(LLAMA2_VOCAB, ['<s1>']).vocab['<s1>'];
    expect(() => withLlaraTokens(spelt)).toThrow(new RegExp(`vocabulary already spells <s1> \\(id ${id}\\).*no room for LLaRA's 16 special tokens`));
    // An id limit the 16 do not fit under.
    expect(() => withLlaraTokens(llama2, LLAMA2_VOCAB + 15)).toThrow(/has 32000 ids and at most 32015 fit: no room for LLaRA's 16 special tokens/);
    // A model whose table is smaller than the tokenizer does not belong to it.
    const small = tinyLlama(LLAMA2_VOCAB - 1);
    expect(() => addLlaraVocabulary(small, llama2, 1)).toThrow(/32000 ids but the model's embedding table only 31999 rows/);
    small.dispose();
  });
});

describe('the llara-adapt stage on a Llama-2-format base model', () => {
  async function baseFolder(name: string, tokenizerJson: string): Promise<string> {
    const dir = join(work, name);
    const model = tinyLlama(LLAMA2_VOCAB);
    await savePretrained(dir, model, { tokenizerJson });
    model.dispose();
    return dir;
  }

  it('adapts it: 32,016 ids in the saved config and tokenizer, and the folder evaluates', async () => {
    const base = await baseFolder('base', readFileSync(join(work, 'llama2', 'tokenizer.json'), 'utf8'));
    const a = await runPlugin(adapt, join(work, 'adapted'), { steps: 1, batchSize: 2, maxLength: 48, logEvery: 1 }, { corpus: TINY, model: base });
    expect(Number.isFinite(a.metrics['adapt/final_loss'])).toBe(true);
    expect(a.metrics['adapt/ebar_enabled']).toBe(1);
    const out = join(work, 'adapted', 'model');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).vocab_size).toBe(LLAMA2_VOCAB + 16);
    const added = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')).added_tokens as { id: number; content: string; special: boolean }[];
    expect(added.filter((t) => t.id >= LLAMA2_VOCAB).map((t) => [t.id, t.content, t.special]))
      .toEqual(SPECIAL_IDS.map((id, i) => [id, LLARA_SPECIAL_TOKENS[i], true]));
    const e = await runPlugin(evaluate, join(work, 'adapted-eval'), {}, { beir: [TINY], model: out });
    expect(e.metrics['tiny/recall_at_100']).toBe(1);
  });

  it('fails the node with the clear error when the tokenizer has no room', async () => {
    const base = await baseFolder('base-spelt', readFileSync(writeLlama2('spelt-base', ['<s1>']), 'utf8'));
    const error = await runPlugin(adapt, join(work, 'adapted-spelt'), { steps: 1, batchSize: 4, maxLength: 96 }, { corpus: TINY, model: base })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LlaraError);
    expect((error as Error).message).toMatch(/already spells <s1>.*no room for LLaRA's 16 special tokens/);
  });
});
