// Generation with the key/value cache: greedy output equals a decoder that re-reads the whole
// sequence at every step (right padding, no cache), rows stop on their own, sampling repeats with
// its seed and does not depend on the rest of the batch, and no tensor is left behind.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { CausalLm, generate, GenerateOptions } from '../../src/lib/nn/generate.js';
import { DecoderInputs, DecoderOutput } from '../../src/lib/nn/models/decoder.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { Module } from '../../src/lib/nn/module.js';
import { argMax, sampleToken } from '../../src/lib/nn/sampling.js';
import { dims } from '../../src/lib/nn/shape.js';
import { Rng } from '../../src/lib/nn/train/rng.js';
import { at } from '../util/at.js';

const PROMPTS = [
  [5, 9, 3, 12, 7, 30],
  [17, 2],
  [8, 8, 21, 4],
  [1, 14, 22],
];

function randomise(model: Module, seed: number): void {
  let s = seed;
  for (const [name, v] of model.variables()) if (!/norm|ln_/.test(name)) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', s++));
}

const models = {
  llama: () => {
    const m = new LlamaDecoder({ vocabSize: 32, hiddenSize: 16, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 24 }, 3);
    randomise(m, 10);
    return m;
  },
  gpt2: () => {
    const m = new Gpt2Decoder({ vocabSize: 32, hiddenSize: 16, numLayers: 2, numHeads: 2, maxPositions: 32,
      residDropout: 0, embdDropout: 0, attentionDropout: 0 }, 3);
    randomise(m, 20);
    return m;
  },
};

/** Greedy decoding the slow way: every step reads every unfinished row again, right-padded. */
function recomputeGreedy(model: CausalLm, prompts: number[][], maxNew: number, stop: Set<number>): number[][] {
  const rows = prompts.map((prompt) => ({ prompt, generated: [] as number[], done: false }));
  for (let s = 0; s < maxNew && rows.some((r) => !r.done); s++) {
    const live = rows.filter((r) => !r.done);
    const seqs = live.map((r) => [...r.prompt, ...r.generated]);
    const t = Math.max(...seqs.map((q) => q.length));
    const next = tf.tidy(() => {
      const ids = tf.tensor2d(seqs.map((q) => [...q, ...new Array(t - q.length).fill(0)]), [seqs.length, t], 'int32');
      const mask = tf.tensor2d(seqs.map((q) => [...new Array(q.length).fill(1), ...new Array(t - q.length).fill(0)]), [seqs.length, t], 'int32');
      const logits = model.forward({ inputIds: ids, attentionMask: mask }).logits as tf.Tensor;
      const last = tf.tensor1d(seqs.map((q, k) => k * t + q.length - 1), 'int32');
      return tf.argMax(tf.gather(logits.reshape([seqs.length * t, -1]), last), -1).dataSync();
    });
    live.forEach((r, k) => {
      const token = at(next, k);
      if (stop.has(token)) r.done = true;
      else r.generated.push(token);
    });
  }
  return rows.map((r) => r.generated);
}

/**
 * A stand-in decoder whose next token is `chain[last token]` (logits 10 there, 0 elsewhere); its
 * "cache" records the ids read, so row selection is visible in what it predicts.
 */
function chainModel(chain: number[]): CausalLm & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    forward(inputs: DecoderInputs): DecoderOutput {
      const [b, t] = dims(inputs.inputIds, 2, 'input ids');
      calls.push(b);
      const ids = inputs.inputIds.toFloat().reshape([1, b, t, 1]);
      const keys = inputs.past ? tf.concat([at(inputs.past, 0).keys, ids], 2) : ids;
      const next = tf.gather(tf.tensor1d(chain, 'int32'), inputs.inputIds.toInt());
      const logits = tf.mul(tf.oneHot(next, chain.length), 10);
      return { hidden: logits, logits, present: [{ keys, values: tf.clone(keys) }] };
    },
  };
}

const LETTERS = 'abcdefghijklmnop';
const decode = (ids: number[]) => ids.map((i) => LETTERS[i]).join('');

describe('generate (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
  });

  for (const [name, make] of Object.entries(models)) {
    it(`${name}: greedy output equals recomputing the whole sequence at every step, with per-row stops`, () => {
      const model = make();
      const free = recomputeGreedy(model, PROMPTS, 10, new Set());
      const start = tf.memory().numTensors;
      expect(generate(model, PROMPTS, { maxNewTokens: 10, padId: 0 }).map((g) => g.tokens)).toEqual(free);
      // Row 0's second token as a stop token: row 0 leaves the batch early, some row goes on.
      const row0 = at(free, 0);
      const stop = new Set([at(row0, 1)]);
      const slow = recomputeGreedy(model, PROMPTS, 10, stop);
      const fast = generate(model, PROMPTS, { maxNewTokens: 10, padId: 0, stopTokenIds: [...stop] });
      expect(fast.map((g) => g.tokens)).toEqual(slow);
      const fast0 = at(fast, 0);
      expect(fast0.tokens).toHaveLength(row0.indexOf(at(row0, 1)));
      expect(fast0.finish).toBe('stop-token');
      expect(fast.some((g) => g.tokens.length > fast0.tokens.length + 1)).toBe(true);
      expect(tf.memory().numTensors).toBe(start);
      model.dispose();
    });
  }

  it('samples repeat with the seed, change with it, and do not depend on the other rows', () => {
    const model = models.llama();
    const o: GenerateOptions = { maxNewTokens: 12, padId: 0, temperature: 1.5, seed: 7 };
    const start = tf.memory().numTensors;
    const a = generate(model, PROMPTS, o).map((g) => g.tokens);
    expect(generate(model, PROMPTS, o).map((g) => g.tokens)).toEqual(a);
    expect(generate(model, PROMPTS, { ...o, seed: 8 }).map((g) => g.tokens)).not.toEqual(a);
    expect(generate(model, [at(PROMPTS, 0)], o)[0]?.tokens).toEqual(a[0]);
    const greedy = generate(model, PROMPTS, { maxNewTokens: 12, padId: 0 }).map((g) => g.tokens);
    expect(a).not.toEqual(greedy);
    expect(generate(model, PROMPTS, { ...o, topK: 1 }).map((g) => g.tokens)).toEqual(greedy);
    expect(tf.memory().numTensors).toBe(start);
    model.dispose();
  });

  it('stops a row at a stop string and cuts its text before it; the others go on in a smaller batch', () => {
    // a→b→c→d→a …, e→f→e…; "cd" appears in row 0 after three tokens.
    const model = chainModel([1, 2, 3, 0, 5, 4, 0, 0]);
    const out = generate(model, [[0], [4, 4]], { maxNewTokens: 6, padId: 7, stopStrings: ['cd', 'zz'], decode });
    expect(out[0]).toEqual({ tokens: [1, 2, 3], text: 'b', finish: 'stop-string' });
    expect(out[1]).toEqual({ tokens: [5, 4, 5, 4, 5, 4], text: 'fefefe', finish: 'length' });
    expect(model.calls).toEqual([2, 2, 2, 1, 1, 1]); // prefill, then one call per token; row 0 leaves after its third
  });

  it('drops a stop token, and gives nothing for maxNewTokens 0', () => {
    const model = chainModel([1, 2, 3, 0]);
    expect(generate(model, [[0]], { maxNewTokens: 5, padId: 0, stopTokenIds: [3], decode })[0]).toEqual({ tokens: [1, 2], text: 'bc', finish: 'stop-token' });
    expect(generate(model, [[0]], { maxNewTokens: 0, padId: 0 })[0]).toEqual({ tokens: [], finish: 'length' });
    expect(generate(model, [], { maxNewTokens: 3, padId: 0 })).toEqual([]);
  });

  it('refuses options it cannot honour, with the reason', () => {
    const model = chainModel([0]);
    expect(() => generate(model, [[0]], { maxNewTokens: -1, padId: 0 })).toThrow(/maxNewTokens must be an integer ≥ 0/);
    expect(() => generate(model, [[0]], { maxNewTokens: 2, padId: 0, temperature: -1 })).toThrow(/temperature must be a finite number ≥ 0/);
    expect(() => generate(model, [[0]], { maxNewTokens: 2, padId: 0, topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => generate(model, [[0]], { maxNewTokens: 2, padId: 0, topK: 1.5 })).toThrow(/topK must be an integer/);
    expect(() => generate(model, [[0]], { maxNewTokens: 2, padId: 0, stopStrings: ['x'] })).toThrow(/stop strings need a decode function/);
    expect(() => generate(model, [[0], []], { maxNewTokens: 2, padId: 0 })).toThrow(/prompt 1 has no tokens/);
  });
});

describe('sampleToken', () => {
  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
  const draw = (o: Parameters<typeof sampleToken>[1], n = 20000) => {
    const rng = new Rng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const token = sampleToken(logits, o, rng);
      counts[token] = at(counts, token) + 1;
    }
    return counts.map((c) => c / n);
  };

  it('draws from softmax(logits / T)', () => {
    const f = draw({ temperature: 1 });
    [0.5, 0.3, 0.15, 0.05].forEach((p, i) => expect(Math.abs(at(f, i) - p)).toBeLessThan(0.01));
    const z = 0.5 ** 0.5 + 0.3 ** 0.5 + 0.15 ** 0.5 + 0.05 ** 0.5; // T = 2: p^(1/2), renormalised
    const g = draw({ temperature: 2 });
    [0.5, 0.3, 0.15, 0.05].forEach((p, i) => expect(Math.abs(at(g, i) - p ** 0.5 / z)).toBeLessThan(0.01));
  });

  it('top-k keeps the k most likely tokens, top-p the smallest set reaching p, renormalised', () => {
    const k = draw({ temperature: 1, topK: 2 });
    expect(at(k, 2) + at(k, 3)).toBe(0);
    expect(Math.abs(at(k, 0) - 0.5 / 0.8)).toBeLessThan(0.01);
    const p = draw({ temperature: 1, topP: 0.79 }); // 0.5 + 0.3 reaches it
    expect(at(p, 2) + at(p, 3)).toBe(0);
    expect(Math.abs(at(p, 1) - 0.3 / 0.8)).toBeLessThan(0.01);
    expect(draw({ temperature: 1, topP: 0.81 })[2]).toBeGreaterThan(0.1);
    expect(draw({ temperature: 1, topP: 0.2 }, 200)).toEqual([1, 0, 0, 0]);
  });

  it('is greedy at temperature 0, taking the first of equal maxima', () => {
    expect(sampleToken([0.1, 2, 2, -1], {}, new Rng(1))).toBe(1);
    expect(argMax([3, 1, 3])).toBe(0);
  });

  it('has nothing to sample from an empty row of logits, and says so', () => {
    expect(() => sampleToken([], { temperature: 1 }, new Rng(1))).toThrow('sampleToken: no logits to sample from');
  });
});
