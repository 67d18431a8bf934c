// A causal decoder laid out like Hugging Face's LlamaForCausalLM.
//
//   ids [b, t] → embed_tokens                                                     [b, t, d]
//   rotary tables from the position ids                                          [1, b, t, hd]
//   N × block: x = x + self_attn(input_layernorm(x));  x = x + mlp(post_attention_layernorm(x))
//              (RMSNorm; rotary Q, K; grouped K/V heads; SwiGLU MLP; no biases)
//   norm → hidden                                                                 [b, t, d]
//   lm_head (untied by default) → logits                                          [b, t, V]
//
// With `past` (a key/value cache, [kvh, b, tPast, hd] per layer, keys already rotated), ids are
// only the new tokens: their rotary angles come from their absolute positions (tPast.. unless
// given), and each block attends to the cached keys and values too.

import * as tf from '@tensorflow/tfjs';
import { LlamaConfig, llamaConfig } from '../config.js';
import { attentionBias, rotaryTables, SelfAttention } from '../layers/attention.js';
import { Mode } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { SwiGluFfn } from '../layers/ffn.js';
import { Init, makeInit } from '../layers/init.js';
import { Linear } from '../layers/linear.js';
import { linearTransposed } from '../layers/matmul.js';
import { RMSNorm } from '../layers/norm.js';
import { Module } from '../module.js';
import { dims } from '../shape.js';
import { cacheLength, checkCache, DecoderInputs, DecoderOutput, defaultPositions, KvCache, LayerKv } from './decoder.js';

class LlamaBlock extends Module {
  readonly inputNorm: RMSNorm;
  readonly attn: SelfAttention;
  readonly postNorm: RMSNorm;
  readonly mlp: SwiGluFfn;

  constructor(c: LlamaConfig, init: Init) {
    super();
    const d = c.hiddenSize;
    this.inputNorm = this.child('input_layernorm', new RMSNorm(d, c.rmsNormEps));
    this.attn = this.child(
      'self_attn',
      new SelfAttention(
        {
          dim: d,
          heads: c.numHeads,
          kvHeads: c.numKvHeads,
          headDim: c.headDim,
          bias: c.attentionBias,
          layout: 'out_in',
          names: { q: 'q_proj', k: 'k_proj', v: 'v_proj', out: 'o_proj' },
          dropout: c.attentionDropout,
        },
        init,
      ),
    );
    this.postNorm = this.child('post_attention_layernorm', new RMSNorm(d, c.rmsNormEps));
    const ffn = { dim: d, hidden: c.intermediateSize, bias: c.mlpBias, layout: 'out_in' as const, act: c.hiddenAct };
    this.mlp = this.child('mlp', new SwiGluFfn(ffn, { gate: 'gate_proj', up: 'up_proj', down: 'down_proj' }, init));
  }

  /** x [b, t, d] → [b, t, d], and this layer's keys (rotated) and values [kvh, b, tPast + t, hd]. */
  forward(x: tf.Tensor, bias: tf.Tensor | undefined, rotary: { cos: tf.Tensor; sin: tf.Tensor }, mode?: Mode, past?: LayerKv): { x: tf.Tensor; kv: LayerKv } {
    const attn = this.attn.attend(this.inputNorm.forward(x), { bias, rotary, past }, mode);
    x = tf.add(x, attn.output);
    x = tf.add(x, this.mlp.forward(this.postNorm.forward(x), mode));
    return { x, kv: { keys: attn.keys, values: attn.values } };
  }
}

export class LlamaDecoder extends Module {
  readonly config: LlamaConfig;
  readonly embedTokens: Embedding;
  readonly blocks: LlamaBlock[] = [];
  readonly norm: RMSNorm;
  /** Undefined when tied to embed_tokens. */
  readonly lmHead: Linear | undefined;

  constructor(config: Partial<LlamaConfig> = {}, seed = 0) {
    super();
    const c = (this.config = llamaConfig(config));
    const init = makeInit(seed, c.initializerRange);
    this.embedTokens = this.child('model.embed_tokens', new Embedding(c.vocabSize, c.hiddenSize, init));
    for (let i = 0; i < c.numLayers; i++) this.blocks.push(this.child(`model.layers.${i}`, new LlamaBlock(c, init)));
    this.norm = this.child('model.norm', new RMSNorm(c.hiddenSize, c.rmsNormEps));
    if (!c.tieWordEmbeddings) this.lmHead = this.child('lm_head', new Linear(c.hiddenSize, c.vocabSize, init, { bias: false }));
  }

  override aliases(): Set<string> {
    return this.lmHead ? new Set() : new Set(['lm_head.weight']);
  }

  /**
   * Changes the vocabulary size (LLaRA adds 16 special tokens): the token table and an untied
   * LM head keep their rows and get new ones drawn with `seed`.
   */
  resizeVocab(size: number, seed = 0): void {
    const init = makeInit(seed, this.config.initializerRange);
    this.embedTokens.resize(size, init);
    this.lmHead?.resizeOutputs(size, init);
    this.config.vocabSize = size;
  }

  /** The LM head as [V, d] (the token table when tied): logits = h · tableᵀ, e.g. at chosen positions. */
  vocabTable(): tf.Tensor2D {
    return (this.lmHead?.weight ?? this.embedTokens.weight) as tf.Tensor2D;
  }

  forward(inputs: DecoderInputs, mode?: Mode): DecoderOutput {
    const [b, t] = dims(inputs.inputIds, 2, 'input ids');
    checkCache(inputs.past, this.blocks.length, b);
    const tPast = cacheLength(inputs.past);
    const positions = inputs.positionIds ?? defaultPositions(b, t, tPast); // [b, t], absolute
    const rotary = rotaryTables(positions, this.config.headDim, this.config.ropeTheta); // [1, b, t, hd]
    const bias = attentionBias(b, t, tPast + t, {
      paddingMask: inputs.attentionMask,
      additiveMask: inputs.additiveMask,
      causal: inputs.causal ?? true,
    }); // [1|h, b, t, tPast + t]
    let x = this.embedTokens.forward(inputs.inputIds); // [b, t, d]
    const present: KvCache = [];
    this.blocks.forEach((block, i) => {
      const out = block.forward(x, bias, rotary, mode, inputs.past?.[i]);
      x = out.x;
      if (inputs.useCache) present.push(out.kv);
    });
    const hidden = this.norm.forward(x);
    const cache = inputs.useCache ? { present } : {};
    if (inputs.logits === false) return { hidden, ...cache };
    const logits = linearTransposed(hidden.reshape([b * t, -1]) as tf.Tensor2D, this.vocabTable()).reshape([b, t, -1]); // [b, t, V]
    return { hidden, logits, ...cache };
  }
}
