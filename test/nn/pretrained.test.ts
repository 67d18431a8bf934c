// Hugging Face model folders: save and reload each architecture, checkpoints from other HF classes
// (prefixes, extra heads, buffers), and the errors a user's bad folder gets.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { ConfigError } from '../../src/lib/nn/config.js';
import { CrossEncoder } from '../../src/lib/nn/heads.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { StateDictError } from '../../src/lib/nn/module.js';
import { loadPretrained, PretrainedModule, savePretrained } from '../../src/lib/nn/pretrained.js';
import { readSafetensorsSync, SafetensorsError, tfToTensors, writeSafetensorsSync } from '../../src/lib/nn/safetensors.js';

let root: string;
const ids = () => tf.tensor2d([[2, 7, 4, 9, 1]], [1, 5], 'int32');
const noDropout = { hiddenDropout: 0, attentionDropout: 0 };
const bertTiny = { vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12, maxPositions: 8, ...noDropout };

function output(model: PretrainedModule): Float32Array {
  return tf.tidy(() => {
    if (model instanceof CrossEncoder) return model.forward({ inputIds: ids() }).dataSync() as Float32Array;
    if (model instanceof BertEncoder) return model.forward({ inputIds: ids() }).hidden.dataSync() as Float32Array;
    return model.forward({ inputIds: ids() }).logits?.dataSync() as Float32Array;
  });
}

function folder(name: string): string {
  return join(root, name);
}

/** Writes a folder from a config object and named tensors. */
function writeFolder(name: string, config: object, tensors: Map<string, tf.Tensor>): string {
  const dir = folder(name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeSafetensorsSync(join(dir, 'model.safetensors'), tfToTensors(tensors));
  return dir;
}

describe('pretrained folders (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
    root = mkdtempSync(join(tmpdir(), 'retort-pretrained-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const cases: [string, () => PretrainedModule, string][] = [
    ['bert', () => new BertEncoder(bertTiny, 1), 'BertModel'],
    ['electra-cross', () => new CrossEncoder({ ...bertTiny, modelType: 'electra', embeddingSize: 6 }, 2), 'ElectraForSequenceClassification'],
    ['bert-cross', () => new CrossEncoder(bertTiny, 2), 'BertForSequenceClassification'],
    ['gpt2', () => new Gpt2Decoder({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositions: 8, residDropout: 0, embdDropout: 0, attentionDropout: 0 }, 3), 'GPT2LMHeadModel'],
    ['llama', () => new LlamaDecoder({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, numKvHeads: 1, intermediateSize: 12 }, 4), 'LlamaForCausalLM'],
  ];
  for (const [name, make, architecture] of cases) {
    it(`${name}: saves a Hugging Face folder that loads back to the same outputs`, async () => {
      const model = make();
      const dir = folder(name);
      await savePretrained(dir, model, { tokenizerJson: '{"version":"1.0"}' });
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(config.architectures).toEqual([architecture]);
      const stored = readSafetensorsSync(join(dir, 'model.safetensors'));
      expect([...stored.tensors.keys()].sort()).toEqual([...model.stateDict().keys()].sort());
      const loaded = await loadPretrained(dir);
      expect(loaded.model.constructor).toBe(model.constructor);
      expect(loaded.architecture).toBe(architecture);
      expect(loaded.tokenizerPath).toBe(join(dir, 'tokenizer.json'));
      expect(loaded.ignored).toEqual([]);
      expect(output(loaded.model)).toEqual(output(model));
      model.dispose();
      loaded.model.dispose();
    });
  }

  it('a tied GPT-2 head is not stored twice, and an untied one is', async () => {
    const tied = new Gpt2Decoder({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositions: 8 }, 1);
    const untied = new Gpt2Decoder({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositions: 8, tieWordEmbeddings: false }, 1);
    expect(tied.stateDict().has('lm_head.weight')).toBe(false);
    expect(untied.stateDict().get('lm_head.weight')?.shape).toEqual([20, 8]);
    await savePretrained(folder('untied'), untied);
    const back = await loadPretrained(folder('untied'));
    expect((back.model as Gpt2Decoder).lmHead).toBeDefined();
    tied.dispose();
    untied.dispose();
    back.model.dispose();
  });

  it('loads checkpoints of other HF classes: prefixes, extra heads and buffers', async () => {
    // BertForMaskedLM-style: `bert.` prefix, a `cls.` head and a position_ids buffer.
    const enc = new BertEncoder(bertTiny, 5);
    const prefixed = new Map([...enc.stateDict()].map(([k, v]) => [`bert.${k}`, v as tf.Tensor]));
    prefixed.set('cls.predictions.bias', tf.zeros([20]));
    prefixed.set('bert.embeddings.position_ids', tf.range(0, 8, 1, 'int32').reshape([1, 8]));
    const mlm = writeFolder('bert-mlm', { architectures: ['BertForMaskedLM'], model_type: 'bert', vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 12, max_position_embeddings: 8, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }, prefixed);
    const a = await loadPretrained(mlm);
    expect(a.model).toBeInstanceOf(BertEncoder);
    expect(a.ignored.sort()).toEqual(['bert.embeddings.position_ids', 'cls.predictions.bias']);
    expect(output(a.model)).toEqual(output(enc));

    // ELECTRA discriminator as a reward model: no classifier in the checkpoint, so a new head.
    const disc = new BertEncoder({ ...bertTiny, modelType: 'electra', pooler: false }, 6);
    const discTensors = new Map([...disc.stateDict()].map(([k, v]) => [`electra.${k}`, v as tf.Tensor]));
    discTensors.set('discriminator_predictions.dense.weight', tf.zeros([8, 8]));
    const dir = writeFolder('electra-disc', { architectures: ['ElectraForPreTraining'], model_type: 'electra', vocab_size: 20, hidden_size: 8, embedding_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 12, max_position_embeddings: 8, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }, discTensors);
    const b = await loadPretrained(dir, { as: 'cross-encoder' });
    expect(b.model).toBeInstanceOf(CrossEncoder);
    expect(b.ignored).toEqual(['discriminator_predictions.dense.weight']);
    const ce = b.model as CrossEncoder;
    expect(tf.tidy(() => ce.encoder.forward({ inputIds: ids() }).hidden.dataSync()))
      .toEqual(tf.tidy(() => disc.forward({ inputIds: ids() }).hidden.dataSync()));

    // GPT2Model-style keys (no `transformer.` prefix) with the attn.bias buffer.
    const gpt = new Gpt2Decoder({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositions: 8 }, 7);
    const bare = new Map([...gpt.stateDict()].map(([k, v]) => [k.replace(/^transformer\./, ''), v as tf.Tensor]));
    bare.set('h.0.attn.bias', tf.ones([1, 1, 8, 8]));
    const c = await loadPretrained(writeFolder('gpt2-bare', { architectures: ['GPT2Model'], model_type: 'gpt2', vocab_size: 20, n_embd: 8, n_layer: 1, n_head: 2, n_positions: 8 }, bare));
    expect(c.ignored).toEqual(['h.0.attn.bias']);
    expect(output(c.model)).toEqual(output(gpt));
    for (const m of [enc, disc, gpt, a.model, b.model, c.model]) m.dispose();
  });

  it('an unknown architecture is a ConfigError naming the file and the model type', async () => {
    const dir = writeFolder('t5', { architectures: ['T5ForConditionalGeneration'], model_type: 't5' }, new Map([['x', tf.zeros([1])]]));
    const err = await loadPretrained(dir).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(
      `${join(dir, 'config.json')}: unsupported architecture (model_type "t5", architectures ["T5ForConditionalGeneration"]); supported: BERT, ELECTRA (and E5-style BERT encoders), GPT-2, Llama`,
    );
  });

  it('a truncated safetensors file is a SafetensorsError naming the file', async () => {
    const dir = folder('truncated');
    await savePretrained(dir, new BertEncoder(bertTiny, 1));
    const file = join(dir, 'model.safetensors');
    truncateSync(file, statSync(file).size - 10);
    const err = await loadPretrained(dir).catch((e) => e);
    expect(err).toBeInstanceOf(SafetensorsError);
    expect(err.message).toContain(file);
  });

  it('a tensor whose shape does not match config.json is named, with the file', async () => {
    const dir = folder('mismatch');
    await savePretrained(dir, new BertEncoder(bertTiny, 1));
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, intermediate_size: 16 }));
    const err = await loadPretrained(dir).catch((e) => e);
    expect(err).toBeInstanceOf(StateDictError);
    expect(err.message).toBe(
      `${join(dir, 'model.safetensors')}: tensor "encoder.layer.0.intermediate.dense.weight" has shape [12,8] but the model expects [16,8]`,
    );
    expect(err.tensor).toBe('encoder.layer.0.intermediate.dense.weight');
  });

  it('a missing tensor is named', async () => {
    const enc = new BertEncoder(bertTiny, 1);
    const partial = new Map(enc.stateDict());
    partial.delete('encoder.layer.0.output.LayerNorm.bias');
    const dir = writeFolder('missing', { model_type: 'bert', vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 12, max_position_embeddings: 8 }, partial);
    await expect(loadPretrained(dir)).rejects.toThrow(`${join(dir, 'model.safetensors')}: missing tensor "encoder.layer.0.output.LayerNorm.bias"`);
    enc.dispose();
  });

  it('a weight the architecture lacks is an error, not silently dropped', async () => {
    const llama = new LlamaDecoder({ vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12 }, 1);
    const withBias = new Map(llama.stateDict());
    withBias.set('model.layers.0.self_attn.q_proj.bias', tf.zeros([8]));
    const config = { model_type: 'llama', vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 12 };
    const dir = writeFolder('llama-bias', config, withBias);
    await expect(loadPretrained(dir)).rejects.toThrow(
      `${join(dir, 'model.safetensors')}: unexpected tensor "model.layers.0.self_attn.q_proj.bias" (config.json describes a model without it)`,
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, rope_scaling: { type: 'linear', factor: 2 } }));
    await expect(loadPretrained(dir)).rejects.toThrow(`${join(dir, 'config.json')}: "rope_scaling" is not supported`);
    llama.dispose();
  });

  it('folders without config.json, with only pytorch_model.bin, or with a bad config value', async () => {
    const empty = folder('empty');
    mkdirSync(empty, { recursive: true });
    await expect(loadPretrained(empty)).rejects.toThrow(`${empty}: no config.json`);
    const bin = folder('bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    writeFileSync(join(bin, 'pytorch_model.bin'), 'x');
    await expect(loadPretrained(bin)).rejects.toThrow(`${bin}: only pytorch_model.bin is present`);
    writeFileSync(join(bin, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: '8' }));
    await expect(loadPretrained(bin)).rejects.toThrow(`${join(bin, 'config.json')}: "hidden_size" must be a number, got "8"`);
    writeFileSync(join(bin, 'config.json'), '{not json');
    await expect(loadPretrained(bin)).rejects.toThrow(`${join(bin, 'config.json')}: not valid JSON`);
  });
});
