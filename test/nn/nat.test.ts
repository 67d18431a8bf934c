// NAT's dynamic integration unit (methods.md §4.1): Wx at initialisation, the corrected
// attention weights, the formula on a hand-worked layer, stage 1 and stage 2 training sets, and a
// frozen LoRA_neg in stage 2 that gets no gradient and does not move.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { makeInit } from '../../src/lib/nn/layers/init.js';
import { Linear } from '../../src/lib/nn/layers/linear.js';
import { causalLmLoss } from '../../src/lib/nn/losses.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { Module } from '../../src/lib/nn/module.js';
import { addNat, natLayers, natWeights, setNatMode, setNatStage, type NatDelta } from '../../src/lib/nn/nat.js';
import { AdamW } from '../../src/lib/nn/train/adamw.js';
import { at } from '../util/at.js';

const tinyLlama = { vocabSize: 24, hiddenSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 2, intermediateSize: 32, maxPositions: 16 };
const ids = () => tf.tensor2d([[1, 5, 7, 2, 9, 3], [3, 4, 9, 8, 6, 1]], [2, 6], 'int32');

function logits(model: LlamaDecoder | Gpt2Decoder): Float32Array {
  return tf.tidy(() => model.forward({ inputIds: ids() }).logits!.dataSync() as Float32Array);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(at(a, i) - at(b, i)));
  return m;
}

/** Random values for every variable whose name matches, so the test does not rest on zeros. */
function randomise(model: Module, pattern: RegExp, seed: number, std = 0.5): void {
  let s = seed;
  for (const [name, v] of model.variables()) if (pattern.test(name)) v.assign(tf.randomNormal(v.shape, 0, std, 'float32', s++));
}

class One extends Module {
  readonly proj: Linear;
  constructor(din: number, dout: number) {
    super();
    this.proj = this.child('proj', new Linear(din, dout, makeInit(3, 0.5), { bias: true }));
  }
}

describe('NAT (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
  });

  it('outputs Wx at initialisation, whatever the adapters hold, because W₂ = 0', () => {
    const model = new LlamaDecoder(tinyLlama, 1);
    const before = logits(model);
    const paths = addNat(model, { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'], unitDim: 8, seed: 2 });
    expect(paths).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    for (const [, d] of natLayers(model)) expect(Math.max(...(d.w2.dataSync() as Float32Array).map(Math.abs))).toBe(0);
    randomise(model, /lora_B\.(pos|neg)/, 10); // the adapters now change h_pos and h_neg
    setNatMode(model, 'mix');
    expect(maxDiff(logits(model), before)).toBeLessThan(1e-6);
    setNatMode(model, 'neg');
    expect(maxDiff(logits(model), before)).toBeGreaterThan(1e-3); // ...and they do matter outside mix mode
    setNatMode(model, 'base');
    expect(maxDiff(logits(model), before)).toBe(0);
    model.dispose();
  });

  it('α_pos ∈ [0.5, 1.5], α_neg ∈ [−0.5, 0.5], α_pos = a_pos + 0.5 and α_pos + α_neg = 1 for any scores', () => {
    const scores = tf.randomNormal([2, 500], 0, 20, 'float32', 4);
    const [sp, sn] = tf.unstack(scores) as [tf.Tensor1D, tf.Tensor1D];
    const { alphaPos, alphaNeg } = natWeights(sp, sn);
    const ap = alphaPos.dataSync();
    const an = alphaNeg.dataSync();
    const p = sp.dataSync();
    const n = sn.dataSync();
    for (let i = 0; i < ap.length; i++) {
      expect(ap[i]).toBeGreaterThanOrEqual(0.5);
      expect(ap[i]).toBeLessThanOrEqual(1.5);
      expect(an[i]).toBeGreaterThanOrEqual(-0.5);
      expect(an[i]).toBeLessThanOrEqual(0.5);
      expect(at(ap, i) + at(an, i)).toBeCloseTo(1, 6);
      // a_pos by hand: 1 / (1 + e^(s_neg − s_pos)).
      expect(ap[i]).toBeCloseTo(1 / (1 + Math.exp(at(n, i) - at(p, i))) + 0.5, 5);
    }
    // The code's form: alpha = 2β·a_neg − β, output weights (1 − alpha, alpha).
    const [tiePos, tieNeg] = [tf.tensor1d([3]), tf.tensor1d([3])];
    const tie = natWeights(tiePos, tieNeg);
    expect([tie.alphaPos.dataSync()[0], tie.alphaNeg.dataSync()[0]]).toEqual([1, 0]);
  });

  it('computes y = Wx + α_pos v_pos + α_neg v_neg on a layer worked by hand', () => {
    const one = new One(2, 2);
    const [delta] = natLayers((addNat(one, { rank: 1, alpha: 2, targets: ['proj'], unitDim: 1 }), one)).map(([, d]) => d) as [NatDelta];
    one.proj.weight.assign(tf.tensor2d([[1, 0], [0, 2]])); // W [out, in]
    one.proj.bias!.assign(tf.tensor1d([0.5, -0.5]));
    delta.aPos.assign(tf.tensor2d([[1, 1]]));
    delta.bPos.assign(tf.tensor2d([[0.5], [0]]));
    delta.aNeg.assign(tf.tensor2d([[1, -1]]));
    delta.bNeg.assign(tf.tensor2d([[0], [1]]));
    delta.wQ.assign(tf.tensor2d([[1, 1]]));
    delta.wK.assign(tf.tensor2d([[1, 0]]));
    delta.w1.assign(tf.tensor2d([[0, 1]]));
    delta.w2.assign(tf.tensor2d([[1], [2]]));
    setNatMode(one, 'mix');
    // x = (1, 2): Wx + b = (1.5, 3.5); s = 2.
    // h_pos = (1.5, 3.5) + 2·(0.5, 0)·(1 + 2) = (4.5, 3.5);  h_neg = (1.5, 3.5) + 2·(0, 1)·(1 − 2) = (1.5, 1.5)
    // q = 3; k_pos = 4.5, k_neg = 1.5; a_pos = σ(13.5 − 4.5) = σ(9)
    // v_pos = (1, 2)·GELU(3.5);  v_neg = (1, 2)·GELU(1.5)
    const geluExact = (z: number) => 0.5 * z * (1 + erf(z / Math.SQRT2));
    const aPos = 1 / (1 + Math.exp(-9));
    const mixed = (aPos + 0.5) * geluExact(3.5) + (1 - aPos - 0.5) * geluExact(1.5);
    const y = tf.tidy(() => one.proj.forward(tf.tensor2d([[1, 2]])).dataSync());
    expect(y[0]).toBeCloseTo(1.5 + mixed, 4);
    expect(y[1]).toBeCloseTo(3.5 + 2 * mixed, 4);
    // Stage 1's forward: Wx + s·B_neg A_neg x.
    setNatMode(one, 'neg');
    expect([...tf.tidy(() => one.proj.forward(tf.tensor2d([[1, 2]])).dataSync())]).toEqual([1.5, 1.5]);
    one.dispose();
  });

  it('trains LoRA_neg alone in stage 1, then LoRA_pos and the unit in stage 2', () => {
    const model = new Gpt2Decoder({ vocabSize: 24, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32,
      maxPositions: 16, embdDropout: 0, residDropout: 0, attentionDropout: 0 }, 1);
    const base = logits(model);
    addNat(model, { rank: 2, alpha: 4, targets: ['c_attn'], unitDim: 4 }); // c_attn: 16 → 48, so W_K and W_1 read 48
    const names = () => [...model.parameters().keys()].map((n) => n.replace('transformer.h.0.attn.c_attn.', '')).sort();
    expect(names()).toEqual(['lora_A.neg.weight', 'lora_B.neg.weight']);
    setNatStage(model, 2);
    expect(names()).toEqual(['lora_A.pos.weight', 'lora_B.pos.weight', 'nat.W_1.weight', 'nat.W_2.weight', 'nat.W_K.weight', 'nat.W_Q.weight']);
    expect(natLayers(model)[0]?.[1].mode).toBe('mix');
    randomise(model, /lora_B/, 5);
    expect(maxDiff(logits(model), base)).toBeLessThan(1e-6);
    expect([...model.stateDict().keys()].some((k) => k.includes('lora_') || k.includes('nat.'))).toBe(false); // the base checkpoint stays clean
    model.dispose();
  });

  it('gives LoRA_neg zero gradient in stage 2 and leaves it unchanged, though it shapes the output', () => {
    const model = new LlamaDecoder(tinyLlama, 1);
    addNat(model, { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'], unitDim: 8, seed: 3 });
    randomise(model, /lora_B\.neg|nat\.W_2/, 20, 0.3); // a trained LoRA_neg, and a unit past its first step
    setNatStage(model, 2);
    const loss = () => {
      const input = ids();
      return causalLmLoss(model.forward({ inputIds: input }).logits as tf.Tensor3D, input);
    };
    const negVars = [...model.variables()].filter(([n]) => /lora_[AB]\.neg/.test(n)).map(([, v]) => v);
    expect(negVars).toHaveLength(8); // 2 layers × (q_proj, v_proj) × (A, B)

    // LoRA_neg does shape the stage-2 output: moving it moves the logits.
    const [, firstNat] = at(natLayers(model), 0);
    const negA = firstNat.aNeg;
    const before = logits(model);
    negA.assign(tf.add(negA, 0.5));
    expect(maxDiff(logits(model), before)).toBeGreaterThan(1e-4);
    negA.assign(tf.sub(negA, 0.5));

    // The gradient the training step computes has no LoRA_neg entry; asking for it explicitly gives none.
    const { grads } = tf.variableGrads(loss, [...model.parameters().values(), ...negVars]);
    for (const v of negVars) expect(grads[v.name] ?? null).toBeNull();
    const posGrad = grads[firstNat.bPos.name]!; // a stage-2 parameter: it has a gradient
    expect(Math.max(...(posGrad.dataSync() as Float32Array).map(Math.abs))).toBeGreaterThan(0);

    // Three optimizer steps: LoRA_neg bit-identical, LoRA_pos and the unit moved.
    const snapshot = (vs: tf.Variable[]) => vs.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    const negBefore = snapshot(negVars);
    const posVars = [...model.parameters().values()];
    const posBefore = snapshot(posVars);
    const opt = new AdamW(model.parameters(), { lr: 1e-2 });
    for (let step = 0; step < 3; step++) {
      const g = tf.variableGrads(loss, posVars);
      opt.step(new Map([...model.parameters()].map(([n, v]) => [n, g.grads[v.name]!]))); // one per parameter
      tf.dispose(g);
    }
    snapshot(negVars).forEach((v, i) => expect(v).toEqual(negBefore[i]));
    expect(snapshot(posVars).some((v, i) => maxDiff(v, at(posBefore, i)) > 0)).toBe(true);
    model.dispose();
  });
});

/** erf by its Taylor series (plenty for |x| ≤ 3). */
function erf(x: number): number {
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
