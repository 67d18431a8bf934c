// The module tree: HF parameter names and layouts, state-dict loading errors, freezing, seeds,
// tensor hygiene, and the backend choice.

import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendRuntime, BackendError, initBackend, plannedBackend } from '../../src/lib/nn/backend.js';
import { ConfigError, fromHfConfig, toHfConfig } from '../../src/lib/nn/config.js';
import { CrossEncoder } from '../../src/lib/nn/heads.js';
import { SeedStream } from '../../src/lib/nn/layers/dropout.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { StateDictError } from '../../src/lib/nn/module.js';
import { clsPool, gatherRows, l2Normalize, lastTokenPool, meanPool, positionsPool } from '../../src/lib/nn/pooling.js';
import { at } from '../util/at.js';

const bertTiny = { vocabSize: 20, hiddenSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 12, maxPositions: 8 };

describe('modules (wasm backend)', () => {
  beforeAll(async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.summary).toMatch(/^tfjs 4\.\d+\.\d+, backend wasm, SIMD on, threads (on|off), matmuls (OpenBLAS|wasm)$/);
  });

  it('uses Hugging Face names and layouts', () => {
    const bert = new BertEncoder(bertTiny);
    const sd = bert.stateDict();
    expect(sd.get('embeddings.word_embeddings.weight')?.shape).toEqual([20, 8]);
    expect(sd.get('encoder.layer.1.attention.self.query.weight')?.shape).toEqual([8, 8]);
    expect(sd.get('encoder.layer.0.intermediate.dense.weight')?.shape).toEqual([12, 8]); // [out, in]
    expect(sd.get('encoder.layer.0.output.dense.weight')?.shape).toEqual([8, 12]);
    expect(sd.has('pooler.dense.weight')).toBe(true);
    expect(sd.size).toBe(5 + 2 * 16 + 2);
    const untyped = new BertEncoder({ ...bertTiny, typeVocabSize: 0 });
    expect(untyped.stateDict().has('embeddings.token_type_embeddings.weight')).toBe(false);
    expect(untyped.forward({ inputIds: tf.tensor2d([[1, 2]], [1, 2], 'int32') }).hidden.shape).toEqual([1, 2, 8]);
    untyped.dispose();
    const cross = new CrossEncoder({ ...bertTiny, modelType: 'electra', embeddingSize: 6 });
    expect([...cross.stateDict().keys()].filter((k) => !k.startsWith('electra.encoder.'))).toEqual([
      'electra.embeddings.word_embeddings.weight',
      'electra.embeddings.position_embeddings.weight',
      'electra.embeddings.token_type_embeddings.weight',
      'electra.embeddings.LayerNorm.weight',
      'electra.embeddings.LayerNorm.bias',
      'electra.embeddings_project.weight',
      'electra.embeddings_project.bias',
      'classifier.dense.weight',
      'classifier.dense.bias',
      'classifier.out_proj.weight',
      'classifier.out_proj.bias',
    ]);
    const gpt = new Gpt2Decoder({ vocabSize: 20, hiddenSize: 8, numHeads: 2, numLayers: 1, maxPositions: 8 });
    expect(gpt.stateDict().get('transformer.h.0.attn.c_attn.weight')?.shape).toEqual([8, 24]); // Conv1D [in, out]
    expect(gpt.stateDict().get('transformer.h.0.mlp.c_fc.weight')?.shape).toEqual([8, 32]);
    const llama = new LlamaDecoder({ vocabSize: 20, hiddenSize: 8, numHeads: 4, numKvHeads: 2, numLayers: 1, intermediateSize: 12 });
    const lsd = llama.stateDict();
    expect(lsd.get('model.layers.0.self_attn.q_proj.weight')?.shape).toEqual([8, 8]);
    expect(lsd.get('model.layers.0.self_attn.k_proj.weight')?.shape).toEqual([4, 8]);
    expect(lsd.get('lm_head.weight')?.shape).toEqual([20, 8]);
    expect([...lsd.keys()].some((k) => k.endsWith('.bias'))).toBe(false);
    for (const m of [bert, cross, gpt, llama]) m.dispose();
  });

  it('loadStateDict names the missing, unexpected or misshapen tensor', () => {
    const bert = new BertEncoder(bertTiny);
    const good = new Map(bert.stateDict());
    const missing = new Map(good);
    missing.delete('encoder.layer.1.attention.self.key.bias');
    expect(() => bert.loadStateDict(missing, { source: 'ckpt.safetensors' })).toThrow('ckpt.safetensors: missing tensor "encoder.layer.1.attention.self.key.bias"');
    const extra = new Map(good);
    extra.set('encoder.layer.9.attention.self.key.bias', tf.zeros([8]));
    expect(() => bert.loadStateDict(extra)).toThrow('unexpected tensor "encoder.layer.9.attention.self.key.bias" (not a parameter of this model)');
    const bad = new Map(good);
    bad.set('pooler.dense.weight', tf.zeros([8, 4]));
    let err: unknown;
    try {
      bert.loadStateDict(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect((err as StateDictError).message).toBe('tensor "pooler.dense.weight" has shape [8,4] but the model expects [8,8]');
    expect((err as StateDictError).tensor).toBe('pooler.dense.weight');
    expect(bert.loadStateDict(missing, { strict: false }).missing).toEqual(['encoder.layer.1.attention.self.key.bias']);
    bert.dispose();
  });

  it('freeze and unfreeze decide what parameters() offers the optimiser', () => {
    const bert = new BertEncoder(bertTiny);
    const all = bert.parameters().size;
    expect(all).toBe(bert.stateDict().size);
    bert.embeddings.freeze();
    expect(bert.parameters().size).toBe(all - 5);
    expect([...bert.parameters().keys()].some((k) => k.startsWith('embeddings.'))).toBe(false);
    expect(bert.variables().get('embeddings.LayerNorm.bias')?.trainable).toBe(false);
    bert.setTrainable('embeddings.position_embeddings.weight', true);
    expect(bert.parameters().has('embeddings.position_embeddings.weight')).toBe(true);
    bert.unfreeze();
    expect(bert.parameters().size).toBe(all);
    bert.dispose();
  });

  it('the same seed builds the same weights; another seed other weights', () => {
    const a = new LlamaDecoder({ vocabSize: 20, hiddenSize: 8, numHeads: 2, numLayers: 1, intermediateSize: 12 }, 7);
    const b = new LlamaDecoder({ vocabSize: 20, hiddenSize: 8, numHeads: 2, numLayers: 1, intermediateSize: 12 }, 7);
    const c = new LlamaDecoder({ vocabSize: 20, hiddenSize: 8, numHeads: 2, numLayers: 1, intermediateSize: 12 }, 8);
    const w = (m: LlamaDecoder) => m.stateDict().get('model.layers.0.mlp.up_proj.weight')?.dataSync();
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    for (const m of [a, b, c]) m.dispose();
  });

  it('resizing the vocabulary keeps the old rows and the outputs over them (LLaRA adds tokens)', () => {
    for (const tied of [false, true]) {
      const llama = new LlamaDecoder({ vocabSize: 20, hiddenSize: 8, numHeads: 2, numLayers: 1, intermediateSize: 12, tieWordEmbeddings: tied }, 2);
      const ids = tf.tensor2d([[1, 5, 19]], [1, 3], 'int32');
      const before = tf.tidy(() => llama.forward({ inputIds: ids }).logits?.arraySync() as number[][][]);
      llama.setTrainable('model.embed_tokens.weight', false);
      llama.resizeVocab(36, 1);
      expect(llama.config.vocabSize).toBe(36);
      expect(llama.stateDict().get('model.embed_tokens.weight')?.shape).toEqual([36, 8]);
      expect(llama.stateDict().get('lm_head.weight')?.shape).toEqual(tied ? undefined : [36, 8]);
      expect(llama.parameters().has('model.embed_tokens.weight')).toBe(false); // the flag survives the resize
      const after = tf.tidy(() => llama.forward({ inputIds: tf.tensor2d([[1, 5, 19, 35]], [1, 4], 'int32') }).logits?.arraySync() as number[][][]);
      const [was, now] = [at(at(before, 0), 2), at(at(after, 0), 2)];
      expect(now.slice(0, 20).map((v, i) => Math.abs(v - at(was, i))).every((d) => d < 1e-5)).toBe(true);
      llama.dispose();
    }
    const gpt = new Gpt2Decoder({ vocabSize: 20, hiddenSize: 8, numHeads: 2, numLayers: 1, maxPositions: 8 }, 1);
    gpt.resizeVocab(24);
    expect(gpt.stateDict().get('transformer.wte.weight')?.shape).toEqual([24, 8]);
    expect(gpt.forward({ inputIds: tf.tensor2d([[23]], [1, 1], 'int32') }).logits?.shape).toEqual([1, 1, 24]);
    gpt.dispose();
  });

  it('dropout is seeded in training mode and off otherwise', () => {
    const bert = new BertEncoder(bertTiny, 3);
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const run = (training: boolean, seed: number) => tf.tidy(() => bert.forward({ inputIds: ids }, { training, rng: new SeedStream(seed) }).hidden.dataSync());
    expect(run(true, 1)).toEqual(run(true, 1));
    expect(run(true, 1)).not.toEqual(run(true, 2));
    expect(run(false, 1)).toEqual(run(false, 2));
    expect(() => bert.forward({ inputIds: ids }, { training: true })).toThrow(/needs mode.rng/);
    bert.dispose();
  });

  it('leaves no tensors behind: forward, backward and dispose', () => {
    const start = tf.memory().numTensors;
    const gpt = new Gpt2Decoder({ vocabSize: 20, hiddenSize: 8, numHeads: 2, numLayers: 1, maxPositions: 8 }, 1);
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(gpt.forward({ inputIds: ids }).logits as tf.Tensor) as tf.Scalar),
      [...gpt.parameters().values()]);
    tf.dispose([value, ...Object.values(grads), ids]);
    gpt.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('config errors and the config.json round trip', () => {
    expect(() => new BertEncoder({ hiddenSize: 10, numHeads: 4 })).toThrow(ConfigError);
    expect(() => new LlamaDecoder({ numHeads: 4, numKvHeads: 3 })).toThrow('Llama: num_attention_heads (4) must be a multiple of num_key_value_heads (3)');
    const llama = fromHfConfig({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 500000 });
    expect(llama.family).toBe('llama');
    expect(fromHfConfig(toHfConfig(llama, 'LlamaForCausalLM'))).toEqual(llama);
    expect(fromHfConfig({ architectures: ['ElectraForPreTraining'] }).family).toBe('bert');
    expect(() => fromHfConfig({}, 'x/config.json')).toThrow('x/config.json: unsupported architecture (no model_type or architectures given)');
  });

  it('pooling: mean over the mask, CLS, last token (left or right padding), given positions', () => {
    const h = tf.tensor3d([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]); // [2, 3, 2]
    const right = tf.tensor2d([[1, 1, 0], [1, 1, 1]], [2, 3], 'int32');
    expect(meanPool(h, right).arraySync()).toEqual([[2, 3], [9, 10]]);
    expect(clsPool(h).arraySync()).toEqual([[1, 2], [7, 8]]);
    expect(lastTokenPool(h, right, 'right').arraySync()).toEqual([[3, 4], [11, 12]]);
    expect(lastTokenPool(h, tf.tensor2d([[0, 1, 1], [1, 1, 1]], [2, 3], 'int32'), 'left').arraySync()).toEqual([[5, 6], [11, 12]]);
    expect(gatherRows(h, tf.tensor1d([2, 0], 'int32')).arraySync()).toEqual([[5, 6], [7, 8]]);
    expect(positionsPool(h, tf.tensor2d([[0, 2], [1, 2]], [2, 2], 'int32')).arraySync()).toEqual([[3, 4], [10, 11]]);
    const unit = l2Normalize(tf.tensor2d([[3, 4]])).arraySync() as number[][];
    expect(unit[0]?.[0]).toBeCloseTo(0.6, 6);
    // The gradient of a positional gather works on wasm (no UnsortedSegmentSum).
    const g = tf.grad((x: tf.Tensor) => tf.sum(positionsPool(x, tf.tensor2d([[0, 0], [1, 2]], [2, 2], 'int32'))))(h);
    expect(g.arraySync()).toEqual([[[1, 1], [0, 0], [0, 0]], [[0, 0], [0.5, 0.5], [0.5, 0.5]]]);
  });

  it('pooling: inputs of the wrong rank are an error naming them', () => {
    const flat = tf.tensor2d([[1, 2], [3, 4]]); // [2, 2]: no token axis
    expect(() => clsPool(flat)).toThrow('clsPool hidden states must have rank 3, got shape [2, 2]');
    expect(() => lastTokenPool(flat, flat, 'left')).toThrow('lastTokenPool hidden states must have rank 3');
    expect(() => gatherRows(flat, tf.tensor1d([0, 1], 'int32'))).toThrow('gatherRows hidden states must have rank 3');
    const h = tf.tensor3d([[[1, 2], [3, 4]]]); // [1, 2, 2]
    expect(() => positionsPool(h, tf.tensor1d([0], 'int32'))).toThrow('positionsPool positions must have rank 2, got shape [1]');
  });
});

describe('backend choice', () => {
  const saved = process.env.RETORT_TF_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.RETORT_TF_BACKEND;
    else process.env.RETORT_TF_BACKEND = saved;
  });

  it('plans wasm when no native tfjs is installed, and honours RETORT_TF_BACKEND', () => {
    delete process.env.RETORT_TF_BACKEND;
    expect(plannedBackend()).toBe('wasm');
    expect(backendRuntime()).toEqual({ tfjs: tf.version.tfjs, tfBackend: 'wasm', tfMatmul: 'openblas' }); // the addon is built here and in CI
    process.env.RETORT_TF_BACKEND = 'cpu';
    expect(backendRuntime().tfBackend).toBe('cpu');
    process.env.RETORT_TF_BACKEND = 'blas';
    expect(plannedBackend()).toBe('blas');
    process.env.RETORT_TF_BACKEND = 'webgpu';
    expect(() => plannedBackend()).toThrow(BackendError);
    expect(() => plannedBackend()).toThrow('RETORT_TF_BACKEND=webgpu is not a backend; use one of wasm, cpu, blas, tensorflow, tensorflow-gpu');
  });

  it('the models give the same outputs on cpu as on wasm', async () => {
    const bert = new BertEncoder({ ...bertTiny, hiddenDropout: 0, attentionDropout: 0 }, 4);
    const ids = [[1, 2, 3, 4, 5]];
    const onWasm = tf.tidy(() => bert.forward({ inputIds: tf.tensor2d(ids, [1, 5], 'int32') }).hidden.dataSync().slice());
    const weights = new Map([...bert.stateDict()].map(([k, v]) => [k, { shape: v.shape, data: v.dataSync().slice() }]));
    await tf.setBackend('cpu');
    try {
      const again = new BertEncoder({ ...bertTiny, hiddenDropout: 0, attentionDropout: 0 }, 0);
      again.loadStateDict(new Map([...weights].map(([k, w]) => [k, tf.tensor(w.data, w.shape)])));
      const onCpu = tf.tidy(() => again.forward({ inputIds: tf.tensor2d(ids, [1, 5], 'int32') }).hidden.dataSync());
      let max = 0;
      for (let i = 0; i < onCpu.length; i++) max = Math.max(max, Math.abs(at(onCpu, i) - at(onWasm, i)));
      expect(max).toBeLessThan(1e-5);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
