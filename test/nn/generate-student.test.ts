// The student's greedy decoding, now on the key/value cache, writes exactly what the decoding it
// replaced wrote (every step re-reading the right-padded prefix), on a fixed random student with a
// character tokenizer whose end-of-text and next-question ids are ones the student writes.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import type { Tokenizer } from '../../src/lib/nn/tokenizer/tokenizer.js';
import { END_OF_TEXT, greedyDecode, lmBatch, NEXT_QUESTION, PAD, specialIds } from '../../src/lib/reasoning/student.js';
import { at } from '../util/at.js';

/** The decoding greedyDecode used before the cache: the whole sequence again at every step. */
function recomputingGreedyDecode(model: LlamaDecoder, tok: Tokenizer, prompts: string[], maxNew: number, maxLength: number): string[] {
  const { eos, pad } = specialIds(tok);
  const rows = prompts.map((p) => ({
    prompt: tok.encode(p, { addSpecialTokens: false }).ids.slice(-(maxLength - maxNew)),
    generated: [] as number[],
    done: false,
  }));
  for (let step = 0; step < maxNew && rows.some((r) => !r.done); step++) {
    const live = rows.filter((r) => !r.done);
    const seqs = live.map((r) => [...r.prompt, ...r.generated]);
    const next = tf.tidy(() => {
      const batch = lmBatch(seqs, pad);
      const logits = model.forward({ inputIds: batch.inputIds, attentionMask: batch.attentionMask }).logits as tf.Tensor3D;
      const [b, t, v] = logits.shape;
      const last = tf.tensor1d(seqs.map((s, k) => k * t + s.length - 1), 'int32');
      return tf.argMax(tf.gather(logits.reshape([b * t, v]), last), -1).dataSync() as Int32Array;
    });
    live.forEach((r, k) => {
      const token = at(next, k);
      if (token === eos) r.done = true;
      else r.generated.push(token);
      if (tok.decode(r.generated).includes(NEXT_QUESTION)) r.done = true;
    });
  }
  return rows.map((r) => at(tok.decode(r.generated).split(NEXT_QUESTION), 0).trim());
}

/**
 * A character tokenizer over a 40-id vocabulary; `question` decodes to the next-question marker,
 * `eos` is end-of-text, 39 is padding.
 */
function charTokenizer(eos: number, question: number): Tokenizer {
  const letter = (i: number) => (i === question ? NEXT_QUESTION : String.fromCharCode(97 + (i % 26)) + (i >= 26 ? ' ' : ''));
  const tok = {
    tokenToId: (t: string) => (t === END_OF_TEXT ? eos : t === PAD ? 39 : undefined),
    encode: (text: string) => ({ ids: [...text].map((c) => c.charCodeAt(0) % 37) }),
    decode: (ids: ArrayLike<number>) => Array.from(ids, letter).join(''),
  };
  return tok as unknown as Tokenizer;
}

const PROMPTS = ['Question: Ann has 3 apples.\nAnswer:', 'Question: 12 birds?\nAnswer:', 'Question: A train leaves at 9 and stops twice, then?\nAnswer:', 'Q: x\nAnswer:'];

describe('student greedy decoding with the cache (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
  });

  it('writes what re-reading the whole sequence at every step wrote, stopping at end-of-text and at a next question', () => {
    const model = new LlamaDecoder({ vocabSize: 40, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 48 }, 1);
    let seed = 1;
    for (const [name, v] of model.variables()) if (!name.includes('norm')) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', seed++));
    // A first run that never stops shows which ids the model writes; two of them become the stops.
    const free = recomputingGreedyDecode(model, charTokenizer(38, 38), PROMPTS, 12, 64);
    const ids = (text: string) => [...text.replace(/ /g, '')].map((c) => c.charCodeAt(0) - 97);
    const eos = at(ids(at(free, 0)), 3);
    const question = ids(at(free, 1)).find((i) => i !== eos) as number;
    const tok = charTokenizer(eos, question);
    const start = tf.memory().numTensors;
    const fast = greedyDecode(model, tok, PROMPTS, 12, 64);
    expect(tf.memory().numTensors).toBe(start);
    const slow = recomputingGreedyDecode(model, tok, PROMPTS, 12, 64);
    expect(fast).toEqual(slow);
    expect(fast[0]?.replace(/ /g, '')).toHaveLength(3); // stopped at end-of-text
    expect(fast.some((t, i) => t.replace(/ /g, '').length < ids(at(free, i)).length)).toBe(true);
    expect(new Set(fast).size).toBe(PROMPTS.length);
    model.dispose();
  });
});
