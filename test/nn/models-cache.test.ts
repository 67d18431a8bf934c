// The decoders' key/value cache: a left-padded batch read once and then extended one token at a
// time gives, at every step, the logits a full recomputation of each row alone gives (Llama with
// grouped K/V heads and rotary positions, GPT-2 with learned positions, Llama with LoRA adapters
// and with NAT's dual adapters); the cache grows by one per step, fits only its own model, and leaks no tensor.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { addLora } from '../../src/lib/nn/lora.js';
import { cacheLength, disposeCache, KvCache, selectCacheRows } from '../../src/lib/nn/models/decoder.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { Module } from '../../src/lib/nn/module.js';
import { addNat, setNatMode } from '../../src/lib/nn/nat.js';
import { at } from '../util/at.js';

const TOL = 1e-5;
const PROMPTS = [
  [5, 9, 3, 12, 7, 30],
  [17, 2],
  [8, 8, 21, 4],
];
/** Tokens fed after each prompt, one per step (teacher forcing). */
const CONTINUATIONS = [
  [11, 4, 28, 3, 9],
  [6, 19, 1, 25, 13],
  [31, 7, 7, 2, 20],
];

/** Weights far from their small initial values, so that positions and masks change the logits. */
function randomise(model: Module, pattern: RegExp, seed: number, std = 0.3): void {
  let s = seed;
  for (const [name, v] of model.variables()) if (pattern.test(name) && !/norm|ln_/.test(name)) v.assign(tf.randomNormal(v.shape, 0, std, 'float32', s++));
}

type Decoder = LlamaDecoder | Gpt2Decoder;

const decoders = {
  llama: () => {
    const m = new LlamaDecoder({ vocabSize: 32, hiddenSize: 16, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 24 }, 3);
    randomise(m, /./, 10);
    return m;
  },
  gpt2: () => {
    const m = new Gpt2Decoder({ vocabSize: 32, hiddenSize: 16, numLayers: 2, numHeads: 2, maxPositions: 16,
      residDropout: 0, embdDropout: 0, attentionDropout: 0 }, 3);
    randomise(m, /./, 20);
    return m;
  },
  'llama + LoRA': () => {
    const m = new LlamaDecoder({ vocabSize: 32, hiddenSize: 16, numLayers: 2, numHeads: 4, intermediateSize: 24 }, 4);
    randomise(m, /./, 30);
    addLora(m, { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'], seed: 1 });
    randomise(m, /lora_B/, 40);
    return m;
  },
  'llama + NAT (mix mode)': () => {
    const m = new LlamaDecoder({ vocabSize: 32, hiddenSize: 16, numLayers: 2, numHeads: 4, intermediateSize: 24 }, 5);
    randomise(m, /./, 50);
    addNat(m, { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'], unitDim: 8, seed: 2 });
    setNatMode(m, 'mix');
    randomise(m, /lora_B|nat\.W_2/, 60);
    return m;
  },
};

/** Logits of the last token of `ids` read alone, without padding or cache: [V]. */
function fullLastLogits(model: Decoder, ids: number[]): Float32Array {
  return tf.tidy(() => {
    const logits = model.forward({ inputIds: tf.tensor2d([ids], [1, ids.length], 'int32') }).logits as tf.Tensor;
    return logits.slice([0, ids.length - 1, 0], [1, 1, -1]).dataSync() as Float32Array;
  });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(at(a, i) - at(b, i)));
  return m;
}

/** Left-padded prompts read with the cache, then one continuation token per step; the logits [b, V] after each. */
function cachedLogits(model: Decoder): { steps: Float32Array[][]; lengths: number[] } {
  const b = PROMPTS.length;
  const t = Math.max(...PROMPTS.map((p) => p.length));
  const mask = PROMPTS.map((p) => [...new Array(t - p.length).fill(0), ...new Array(p.length).fill(1)]);
  const ids = PROMPTS.map((p) => [...new Array(t - p.length).fill(0), ...p]);
  const positions = PROMPTS.map((p) => [...new Array(t - p.length).fill(0), ...p.map((_, j) => j)]);
  const rows = (logits: tf.Tensor) => tf.tidy(() => Array.from({ length: b }, (_, i) => logits.slice([i, 0], [1, -1]).dataSync() as Float32Array));
  const steps: Float32Array[][] = [];
  const lengths: number[] = [];
  let { cache, last } = tf.tidy(() => {
    const out = model.forward({ inputIds: tf.tensor2d(ids, [b, t], 'int32'), attentionMask: tf.tensor2d(mask, [b, t], 'int32'), positionIds: tf.tensor2d(positions, [b, t], 'int32'), useCache: true });
    return { cache: out.present as KvCache, last: (out.logits as tf.Tensor).slice([0, t - 1, 0], [b, 1, -1]).reshape([b, -1]) };
  });
  steps.push(rows(last));
  last.dispose();
  lengths.push(cacheLength(cache));
  for (let s = 0; s < at(CONTINUATIONS, 0).length; s++) {
    for (const m of mask) m.push(1);
    const next = tf.tidy(() => {
      const out = model.forward({
        inputIds: tf.tensor2d(CONTINUATIONS.map((c) => [at(c, s)]), [b, 1], 'int32'),
        attentionMask: tf.tensor2d(mask, [b, at(mask, 0).length], 'int32'),
        positionIds: tf.tensor2d(PROMPTS.map((p) => [p.length + s]), [b, 1], 'int32'),
        past: cache,
        useCache: true,
      });
      return { cache: out.present as KvCache, last: (out.logits as tf.Tensor).reshape([b, -1]) };
    });
    disposeCache(cache);
    cache = next.cache;
    steps.push(rows(next.last));
    next.last.dispose();
    lengths.push(cacheLength(cache));
  }
  disposeCache(cache);
  return { steps, lengths };
}

describe('key/value cache (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
  });

  for (const [name, make] of Object.entries(decoders)) {
    it(`${name}: cached logits equal a full recomputation at every step, with left padding`, () => {
      const model = make();
      const start = tf.memory().numTensors;
      const { steps, lengths } = cachedLogits(model);
      expect(tf.memory().numTensors).toBe(start);
      const t = Math.max(...PROMPTS.map((p) => p.length));
      expect(lengths).toEqual([t, t + 1, t + 2, t + 3, t + 4, t + 5]);
      let compared = 0;
      steps.forEach((rows, s) => {
        rows.forEach((got, i) => {
          const seq = [...at(PROMPTS, i), ...at(CONTINUATIONS, i).slice(0, s)];
          expect(maxDiff(got, fullLastLogits(model, seq)), `${name}, row ${i}, step ${s}`).toBeLessThan(TOL);
          compared++;
        });
      });
      expect(compared).toBe(PROMPTS.length * (at(CONTINUATIONS, 0).length + 1));
      model.dispose();
    });
  }

  it('without positionIds, positions continue from the cached length', () => {
    const model = decoders.llama();
    const seq = [4, 9, 13, 2, 27];
    const got = tf.tidy(() => {
      const first = model.forward({ inputIds: tf.tensor2d([seq.slice(0, 3)], [1, 3], 'int32'), useCache: true });
      const second = model.forward({ inputIds: tf.tensor2d([seq.slice(3)], [1, 2], 'int32'), past: first.present, useCache: true });
      expect(cacheLength(second.present)).toBe(5);
      return (second.logits as tf.Tensor).slice([0, 1, 0], [1, 1, -1]).dataSync() as Float32Array;
    });
    expect(maxDiff(got, fullLastLogits(model, seq))).toBeLessThan(TOL);
    model.dispose();
  });

  it('keeps chosen rows of a cache, and refuses a cache of another model or batch', () => {
    const model = decoders.gpt2();
    const other = decoders.llama();
    tf.tidy(() => {
      const out = model.forward({ inputIds: tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32'), useCache: true });
      const present = out.present as KvCache;
      expect(present).toHaveLength(2);
      expect(present[0]?.keys.shape).toEqual([2, 2, 3, 8]); // [h, b, t, hd]
      const kept = selectCacheRows(present, [1]);
      expect(kept[0]?.values.shape).toEqual([2, 1, 3, 8]);
      expect(maxDiff(at(kept, 1).keys.dataSync(), at(present, 1).keys.slice([0, 1, 0, 0], [-1, 1, -1, -1]).dataSync())).toBe(0);
      // The kept row goes on as if it had been alone.
      const alone = model.forward({ inputIds: tf.tensor2d([[7]], [1, 1], 'int32'), past: kept }).logits as tf.Tensor;
      expect(maxDiff(alone.dataSync(), fullLastLogits(model, [4, 5, 6, 7]))).toBeLessThan(TOL);
      expect(() => model.forward({ inputIds: tf.tensor2d([[7], [8]], [2, 1], 'int32'), past: kept })).toThrow(/cache holds 1 rows, the input 2/);
      const gptCache = [at(present, 0)];
      expect(() => other.forward({ inputIds: tf.tensor2d([[7], [8]], [2, 1], 'int32'), past: gptCache })).toThrow(/cache has 1 layers, the model 2/);
    });
    model.dispose();
    other.dispose();
  });

  it('gpt2: the cached length counts against n_positions', () => {
    const model = decoders.gpt2();
    tf.tidy(() => {
      const out = model.forward({ inputIds: tf.zeros([1, 16], 'int32'), useCache: true });
      expect(() => model.forward({ inputIds: tf.zeros([1, 1], 'int32'), past: out.present })).toThrow(/sequence length 17 exceeds n_positions 16/);
    });
    model.dispose();
  });
});
