// The joint LLaRA pass: the EBAR suffix cannot see the EBAE suffix, one joint pass equals the two
// separate prompts once the EBAR position ids are copied, left padding keeps the embedding tokens
// last, and the 16 tokens grow the model's vocabulary (tied and untied heads).

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { trainByteLevelBpe } from '../../src/lib/nn/tokenizer/index.js';
import { jointBatch, jointRows, singleBatch } from '../../src/lib/llara/batch.js';
import { LLARA_SPECIAL_TOKENS, LlaraError, promptIds, withLlaraTokens } from '../../src/lib/llara/prompts.js';
import { addLlaraVocabulary, type CausalDecoder } from '../../src/lib/llara/vocab.js';

const TEXTS = ['the river runs past the old mill', 'a market sells wool and salt each week', 'the mayor used to be a baker'];
const tokenizer = () => trainByteLevelBpe([...TEXTS, 'summarize the above passage within eight words predict the following'], { vocabSize: 300, minFrequency: 1 });

function models(vocab: number): [string, CausalDecoder][] {
  return [
    ['llama (untied)', new LlamaDecoder({ vocabSize: vocab, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32, maxPositions: 128 }, 3)],
    ['gpt2 (tied)', new Gpt2Decoder({ vocabSize: vocab, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32, maxPositions: 128 }, 3)],
  ];
}

function slice(x: tf.Tensor, row: number, from: number, to: number): Float32Array {
  const d = x.shape[2] as number;
  return x.slice([row, from, 0], [1, to - from, d]).dataSync() as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

beforeAll(async () => {
  await initBackend();
});

describe('LLaRA tokens and vocabulary', () => {
  it('adds 16 special tokens after the vocabulary and resizes the embeddings and the LM head', () => {
    const tok = tokenizer();
    for (const [, model] of models(tok.vocabSize)) {
      const extended = addLlaraVocabulary(model, tok, 1);
      expect(extended.vocabSize).toBe(tok.vocabSize + 16);
      expect(LLARA_SPECIAL_TOKENS.map((t) => extended.tokenToId(t))).toEqual(Array.from({ length: 16 }, (_, i) => tok.vocabSize + i));
      expect(model.config.vocabSize).toBe(tok.vocabSize + 16);
      expect(model.vocabTable().shape).toEqual([tok.vocabSize + 16, 16]);
      // The tokens are read as single special ids inside text.
      expect(extended.encode('word <s3> word', { addSpecialTokens: false }).ids).toContain(tok.vocabSize + 2);
      // Adding again is a no-op.
      expect(addLlaraVocabulary(model, extended, 1).vocabSize).toBe(extended.vocabSize);
      model.dispose();
    }
  });

  it('refuses a tokenizer that spells a special token as ordinary text or does not fit the model', () => {
    const small = tokenizer();
    const spelt = small.withAddedTokens(['<s1>']);
    expect(() => withLlaraTokens(spelt)).toThrow(LlaraError);
    expect(() => withLlaraTokens(spelt)).toThrow(/already has <s1> as an ordinary added token/);
    expect(() => withLlaraTokens(small, small.vocabSize + 3)).toThrow(/no room/);
    const model = new LlamaDecoder({ vocabSize: small.vocabSize - 1, hiddenSize: 8, numLayers: 1, numHeads: 1, intermediateSize: 8 });
    expect(() => addLlaraVocabulary(model, small, 1)).toThrow(/do not belong together/);
    model.dispose();
  });
});

describe('the joint pass', () => {
  const tok0 = tokenizer();

  it('left pads, so the last 8 positions of every row are <s9>..<s16> and the EBAE tokens end R before', () => {
    const tok = withLlaraTokens(tok0);
    const p = promptIds(tok, 'llara');
    const texts = TEXTS.map((t) => tok.encode(t, { addSpecialTokens: false }).ids);
    const rows = jointRows(texts, p, 0);
    const s = (i: number) => tok.tokenToId(LLARA_SPECIAL_TOKENS[i]!)!;
    const r = p.ebar.length;
    for (let row = 0; row < texts.length; row++) {
      const ids = Array.from(rows.ids.slice(row * rows.t, (row + 1) * rows.t));
      expect(ids.slice(-8)).toEqual([8, 9, 10, 11, 12, 13, 14, 15].map(s));
      expect(ids.slice(-r - 8, -r)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(s));
      const mask = Array.from(rows.mask.slice(row * rows.t, (row + 1) * rows.t));
      const pad = rows.t - (p.prefix.length + texts[row]!.length + p.ebae.length + r);
      expect(mask.slice(0, pad).every((m) => m === 0)).toBe(true);
      expect(mask.slice(pad).every((m) => m === 1)).toBe(true);
      // Positions: 0.. from the first real token; the EBAR suffix repeats the EBAE suffix's.
      const pos = Array.from(rows.positions.slice(row * rows.t, (row + 1) * rows.t));
      const start = p.prefix.length + texts[row]!.length;
      expect(pos.slice(pad, pad + 3)).toEqual([0, 1, 2]);
      expect(pos.slice(-r)).toEqual(Array.from({ length: r }, (_, i) => start + i));
      expect(pos.slice(-r - p.ebae.length, -r)).toEqual(Array.from({ length: p.ebae.length }, (_, i) => start + i));
      // AR labels: the text ids, nothing else.
      const labels = Array.from(rows.labels.slice(row * rows.t, (row + 1) * rows.t)).filter((l) => l !== -100);
      expect(labels).toEqual(texts[row]);
    }
  });

  for (const [name] of models(10)) {
    it(`${name}: perturbing the EBAE-suffix tokens leaves the EBAR-suffix hidden states unchanged`, () => {
      const model = models(tok0.vocabSize).find(([n]) => n === name)![1];
      const tok = addLlaraVocabulary(model, tok0, 2);
      const p = promptIds(tok, 'llara');
      const texts = TEXTS.map((t) => tok.encode(t, { addSpecialTokens: false }).ids);
      const perturbed = { ...p, ebae: p.ebae.map((id, i) => (i % 2 === 0 ? (id + 17) % tok.vocabSize : id)) };
      tf.tidy(() => {
        const a = jointBatch(texts, p, 0);
        const b = jointBatch(texts, perturbed, 0);
        const run = (x: typeof a) => model.forward({ inputIds: x.inputIds, attentionMask: x.attentionMask,
          positionIds: x.positionIds, additiveMask: x.additiveMask }).hidden;
        const ha = run(a);
        const hb = run(b);
        for (let row = 0; row < texts.length; row++) {
          expect(maxDiff(slice(ha, row, a.t - a.r, a.t), slice(hb, row, b.t - b.r, b.t))).toBeLessThan(1e-5);
          // The EBAE suffix itself does change (the perturbation is real).
          expect(maxDiff(slice(ha, row, a.t - a.r - a.e, a.t - a.r), slice(hb, row, b.t - b.r - b.e, b.t - b.r))).toBeGreaterThan(1e-3);
        }
        // Without the suffix mask the EBAR suffix would see the change.
        const open = (x: typeof a) => model.forward({ inputIds: x.inputIds, attentionMask: x.attentionMask, positionIds: x.positionIds }).hidden;
        expect(maxDiff(slice(open(a), 0, a.t - a.r, a.t), slice(open(b), 0, b.t - b.r, b.t))).toBeGreaterThan(1e-3);
      });
      model.dispose();
    });

    it(`${name}: the joint pass equals the EBAE-only and EBAR-only passes (1e-5)`, () => {
      const model = models(tok0.vocabSize).find(([n]) => n === name)![1];
      const tok = addLlaraVocabulary(model, tok0, 2);
      const p = promptIds(tok, 'llara');
      const texts = TEXTS.map((t) => tok.encode(t, { addSpecialTokens: false }).ids);
      tf.tidy(() => {
        const j = jointBatch(texts, p, 0);
        const joint = model.forward({ inputIds: j.inputIds, attentionMask: j.attentionMask, positionIds: j.positionIds, additiveMask: j.additiveMask }).hidden;
        const sep = (suffix: number[]) => {
          const s = singleBatch(texts, p.prefix, suffix, 0);
          return { t: s.t, hidden: model.forward({ inputIds: s.inputIds, attentionMask: s.attentionMask, positionIds: s.positionIds }).hidden };
        };
        const ebae = sep(p.ebae);
        const ebar = sep(p.ebar);
        for (let row = 0; row < texts.length; row++) {
          expect(maxDiff(slice(joint, row, j.t - j.r - j.e, j.t - j.r), slice(ebae.hidden, row, ebae.t - j.e, ebae.t))).toBeLessThan(1e-5);
          expect(maxDiff(slice(joint, row, j.t - j.r, j.t), slice(ebar.hidden, row, ebar.t - j.r, ebar.t))).toBeLessThan(1e-5);
        }
        // Without the copied position ids the EBAR suffix differs from its separate pass.
        const plain = model.forward({ inputIds: j.inputIds, attentionMask: j.attentionMask, additiveMask: j.additiveMask }).hidden;
        expect(maxDiff(slice(plain, 0, j.t - j.r, j.t), slice(ebar.hidden, 0, ebar.t - j.r, ebar.t))).toBeGreaterThan(1e-4);
      });
      model.dispose();
    });
  }
});
