// LoRA: unchanged outputs at initialisation, gradients by finite differences, a frozen base, a
// frozen adapter that training leaves alone, adapters switched and combined at run time, merge.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { makeInit } from '../../src/lib/nn/layers/init.js';
import { Linear } from '../../src/lib/nn/layers/linear.js';
import {
  activeAdapters,
  adapterStateDict,
  addLora,
  disableAdapter,
  enableAdapter,
  loadAdapterStateDict,
  LoraError,
  mergeAdapter,
  setAdapters,
  setAdapterTrainable,
  unmergeAdapter,
} from '../../src/lib/nn/lora.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { SeedStream } from '../../src/lib/nn/layers/dropout.js';
import { Module } from '../../src/lib/nn/module.js';
import { at } from '../util/at.js';

const tiny = { vocabSize: 30, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24, maxPositions: 12, hiddenDropout: 0, attentionDropout: 0 };
const ids = () => tf.tensor2d([[1, 5, 7, 2, 0], [3, 4, 9, 8, 6]], [2, 5], 'int32');
const mask = () => tf.tensor2d([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], [2, 5], 'int32');

function hidden(model: BertEncoder): Float32Array {
  return tf.tidy(() => model.forward({ inputIds: ids(), attentionMask: mask() }).hidden.dataSync() as Float32Array);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(at(a, i) - at(b, i)));
  return m;
}

/** Gives every B of an adapter random values, so the adapter changes outputs. */
function randomiseB(model: Module, name: string, seed: number): void {
  let s = seed;
  for (const [path, v] of model.variables()) if (path.includes(`.lora_B.${name}.`)) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', s++));
}

/** A module holding one Linear, to exercise LoRA on a bare layer. */
class One extends Module {
  readonly layer: Linear;
  constructor() {
    super();
    this.layer = this.child('proj', new Linear(5, 4, makeInit(3, 0.5)));
  }
}

describe('LoRA (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
  });

  it('leaves outputs unchanged at initialisation and freezes the base', () => {
    const model = new BertEncoder(tiny, 1);
    const before = hidden(model);
    const baseNames = [...model.stateDict().keys()];
    const paths = addLora(model, { rank: 4, alpha: 8, targets: ['query', 'value'] });
    expect(paths).toEqual(['encoder.layer.0.attention.self.query', 'encoder.layer.0.attention.self.value']);
    expect(maxDiff(hidden(model), before)).toBeLessThan(1e-6);
    expect([...model.parameters().keys()].sort()).toEqual([
      'encoder.layer.0.attention.self.query.lora_A.default.weight',
      'encoder.layer.0.attention.self.query.lora_B.default.weight',
      'encoder.layer.0.attention.self.value.lora_A.default.weight',
      'encoder.layer.0.attention.self.value.lora_B.default.weight',
    ]);
    expect([...model.stateDict().keys()]).toEqual(baseNames); // a base checkpoint stays a base checkpoint
    model.dispose();
  });

  it('has gradients that match finite differences (A, B and the input)', () => {
    const one = new One();
    addLora(one, { rank: 2, alpha: 3, targets: ['proj'], seed: 5 });
    randomiseB(one, 'default', 11);
    const x = tf.randomNormal([3, 5], 0, 1, 'float32', 2);
    const probe = tf.randomNormal([3, 4], 0, 1, 'float32', 4);
    const loss = (input: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(tf.tanh(one.layer.forward(input)), probe)) as tf.Scalar);
    const params = one.parameters();
    const { grads } = tf.variableGrads(() => loss(x), [...params.values()]);
    const eps = 1e-2;
    let checked = 0;
    for (const v of params.values()) {
      const analytic = grads[v.name]!.dataSync(); // variableGrads gives one per variable
      const values = v.dataSync().slice();
      for (let i = 0; i < values.length; i++) {
        const lossAt = (delta: number) => {
          const shifted = values.slice();
          shifted[i] = at(shifted, i) + delta;
          v.assign(tf.tensor(shifted, v.shape));
          return loss(x).arraySync();
        };
        const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
        v.assign(tf.tensor(values, v.shape));
        expect(Math.abs(numeric - at(analytic, i))).toBeLessThan(2e-3);
        checked++;
      }
    }
    expect(checked).toBe(2 * 5 + 4 * 2);
    // The input gradient includes the adapter's path.
    const dx = tf.grad((input: tf.Tensor) => loss(input))(x).dataSync();
    const xs = x.dataSync();
    for (const i of [0, 7, 14]) {
      const lossAt = (delta: number) => {
        const shifted = xs.slice();
        shifted[i] = at(shifted, i) + delta;
        return loss(tf.tensor(shifted, x.shape)).arraySync();
      };
      expect(Math.abs((lossAt(eps) - lossAt(-eps)) / (2 * eps) - at(dx, i))).toBeLessThan(2e-3);
    }
    one.dispose();
  });

  it('gives a frozen adapter no gradient: training moves only the trainable adapter', () => {
    const model = new BertEncoder(tiny, 2);
    addLora(model, { name: 'task', rank: 2, alpha: 2, targets: ['query', 'value'], seed: 1 });
    addLora(model, { name: 'negative', rank: 2, alpha: 2, targets: ['query', 'value'], seed: 2 });
    randomiseB(model, 'negative', 7);
    setAdapterTrainable(model, 'negative', false);
    const params = model.parameters();
    expect([...params.keys()].every((k) => k.includes('.task.'))).toBe(true);
    const snapshot = new Map([...model.variables()].map(([k, v]) => [k, v.dataSync().slice()]));
    const probe = tf.randomNormal([2, 5, 16], 0, 1, 'float32', 9);
    const opt = tf.train.sgd(0.5);
    for (let step = 0; step < 2; step++) {
      opt.minimize(() => tf.sum(tf.mul(model.forward({ inputIds: ids(), attentionMask: mask() }).hidden, probe)) as tf.Scalar, false, [...params.values()]);
    }
    for (const [k, v] of model.variables()) {
      const same = maxDiff(v.dataSync() as Float32Array, snapshot.get(k) as Float32Array) === 0;
      expect(same, k).toBe(!k.includes('.task.'));
    }
    opt.dispose();
    model.dispose();
  });

  it('switches and combines adapters at run time', () => {
    const model = new BertEncoder(tiny, 3);
    const base = hidden(model);
    addLora(model, { name: 'a', rank: 2, alpha: 2, targets: ['query', 'value', 'intermediate.dense'], seed: 1 });
    addLora(model, { name: 'b', rank: 3, alpha: 6, targets: ['query', 'value', 'intermediate.dense'], seed: 2 });
    randomiseB(model, 'a', 10);
    randomiseB(model, 'b', 20);
    expect(activeAdapters(model)).toEqual({ a: 1, b: 1 });
    setAdapters(model, {});
    expect(maxDiff(hidden(model), base)).toBeLessThan(1e-6);
    setAdapters(model, { a: 1 });
    const onlyA = hidden(model);
    expect(maxDiff(onlyA, base)).toBeGreaterThan(1e-3);
    disableAdapter(model, 'a');
    enableAdapter(model, 'b');
    const onlyB = hidden(model);
    expect(maxDiff(onlyB, onlyA)).toBeGreaterThan(1e-3);
    setAdapters(model, { a: 1, b: 1 });
    expect(maxDiff(hidden(model), base)).toBeGreaterThan(1e-3);
    expect(activeAdapters(model)).toEqual({ a: 1, b: 1 });
    expect(() => enableAdapter(model, 'c')).toThrow(LoraError);
    expect(() => enableAdapter(model, 'c')).toThrow(/no adapter "c" \(adapters: a, b\)/);
    model.dispose();
  });

  it('combines adapter updates linearly on a layer', () => {
    const one = new One();
    addLora(one, { name: 'a', rank: 2, alpha: 2, targets: ['proj'], seed: 1 });
    addLora(one, { name: 'b', rank: 2, alpha: 4, targets: ['proj'], seed: 2 });
    randomiseB(one, 'a', 3);
    randomiseB(one, 'b', 4);
    const x = tf.randomNormal([3, 5], 0, 1, 'float32', 8);
    const run = (w: Record<string, number>) => {
      setAdapters(one, w);
      return one.layer.forward(x).dataSync() as Float32Array;
    };
    const base = run({});
    const a = run({ a: 1 });
    const b = run({ b: 1 });
    const mix = run({ a: 0.5, b: -2 });
    const want = base.map((v, i) => v + 0.5 * (at(a, i) - v) - 2 * (at(b, i) - v));
    expect(maxDiff(mix, want)).toBeLessThan(1e-5);
    one.dispose();
  });

  it('merges an adapter into the base weight and unmerges it', () => {
    const model = new BertEncoder(tiny, 4);
    const base = hidden(model);
    addLora(model, { rank: 2, alpha: 4, targets: ['key', 'output.dense'], seed: 3 });
    randomiseB(model, 'default', 5);
    const adapted = hidden(model);
    mergeAdapter(model, 'default');
    expect(maxDiff(hidden(model), adapted)).toBeLessThan(1e-5);
    expect(() => mergeAdapter(model, 'default')).toThrow(/already merged/);
    unmergeAdapter(model, 'default');
    expect(maxDiff(hidden(model), adapted)).toBeLessThan(1e-5);
    disableAdapter(model, 'default');
    expect(maxDiff(hidden(model), base)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('works on GPT-2 (fused c_attn, Conv1D layout) and Llama (GQA q/v)', () => {
    const gpt = new Gpt2Decoder({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositions: 8,
      residDropout: 0, embdDropout: 0, attentionDropout: 0 }, 1);
    const llama = new LlamaDecoder({ vocabSize: 20, hiddenSize: 16, numLayers: 1, numHeads: 4, numKvHeads: 2, intermediateSize: 20 }, 1);
    const input = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    for (const [model, targets] of [[gpt, ['c_attn', 'mlp.c_proj']], [llama, ['q_proj', 'v_proj']]] as const) {
      const before = model.forward({ inputIds: input }).logits?.dataSync() as Float32Array;
      addLora(model, { rank: 2, alpha: 2, targets: [...targets] });
      expect(maxDiff(model.forward({ inputIds: input }).logits?.dataSync() as Float32Array, before)).toBeLessThan(1e-6);
      randomiseB(model, 'default', 1);
      expect(maxDiff(model.forward({ inputIds: input }).logits?.dataSync() as Float32Array, before)).toBeGreaterThan(1e-4);
      model.dispose();
    }
  });

  it('names unmatched targets and the layers that exist', () => {
    const model = new BertEncoder(tiny, 5);
    expect(() => addLora(model, { rank: 2, alpha: 2, targets: ['q_proj'] })).toThrow(/match no Linear layer \(layer names here: query, key, value, dense/);
    expect(() => addLora(model, { rank: 0, alpha: 2, targets: ['query'] })).toThrow(/rank must be a positive integer/);
    model.dispose();
  });

  it('applies seeded dropout in training mode only', () => {
    const one = new One();
    addLora(one, { rank: 2, alpha: 2, dropout: 0.5, targets: ['proj'] });
    randomiseB(one, 'default', 1);
    const x = tf.randomNormal([4, 5], 0, 1, 'float32', 1);
    const infer = one.layer.forward(x).dataSync() as Float32Array;
    const t1 = one.layer.forward(x, { training: true, rng: new SeedStream(7) }).dataSync() as Float32Array;
    const t2 = one.layer.forward(x, { training: true, rng: new SeedStream(7) }).dataSync() as Float32Array;
    expect(maxDiff(t1, t2)).toBe(0);
    expect(maxDiff(t1, infer)).toBeGreaterThan(1e-4);
    one.dispose();
  });

  it('exports and reloads one adapter under PEFT names', () => {
    const model = new BertEncoder(tiny, 6);
    addLora(model, { name: 'task', rank: 2, alpha: 2, targets: ['query'] });
    randomiseB(model, 'task', 3);
    const saved = new Map([...adapterStateDict(model, 'task')].map(([k, v]) => [k, v.clone()]));
    expect([...saved.keys()]).toEqual([
      'base_model.model.encoder.layer.0.attention.self.query.lora_A.weight',
      'base_model.model.encoder.layer.0.attention.self.query.lora_B.weight',
    ]);
    const want = hidden(model);
    const other = new BertEncoder(tiny, 6);
    addLora(other, { name: 'task', rank: 2, alpha: 2, targets: ['query'], seed: 99 });
    loadAdapterStateDict(other, 'task', saved);
    expect(maxDiff(hidden(other), want)).toBe(0);
    saved.set('base_model.model.encoder.layer.0.attention.self.query.lora_A.weight', tf.zeros([3, 16]));
    expect(() => loadAdapterStateDict(other, 'task', saved, 'adapter.safetensors')).toThrow(
      'adapter.safetensors: tensor "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight" has shape [3,16] but the adapter expects [2,16]',
    );
    tf.dispose([...saved.values()]);
    model.dispose();
    other.dispose();
  });
});
