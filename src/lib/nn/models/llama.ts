// A causal decoder laid out like Hugging Face's LlamaForCausalLM.
//
//   ids [b, t] → embed_tokens                                                     [b, t, d]
//   rotary tables from the position ids                                          [1, b, t, hd]
//   N × block: x = x + self_attn(input_layernorm(x));  x = x + mlp(post_attention_layernorm(x))
//              (RMSNorm; rotary Q, K; grouped K/V heads; SwiGLU MLP; no biases)
//   norm → hidden                                                                 [b, t, d]
//   lm_head (untied by default) → logits                                          [b, t, V]

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
import { DecoderInputs, DecoderOutput, defaultPositions } from './decoder.js';

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

  /** x [b, t, d] → [b, t, d]. */
  forward(x: tf.Tensor, bias: tf.Tensor | undefined, rotary: { cos: tf.Tensor; sin: tf.Tensor }, mode?: Mode): tf.Tensor {
    x = tf.add(x, this.attn.forward(this.inputNorm.forward(x), { bias, rotary }, mode));
    return tf.add(x, this.mlp.forward(this.postNorm.forward(x), mode));
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
    const [b, t] = inputs.inputIds.shape;
    const positions = inputs.positionIds ?? defaultPositions(b, t);
    const rotary = rotaryTables(positions, this.config.headDim, this.config.ropeTheta); // [1, b, t, hd]
    const bias = attentionBias(b, t, t, {
      paddingMask: inputs.attentionMask,
      additiveMask: inputs.additiveMask,
      causal: inputs.causal ?? true,
    }); // [1|h, b, t, t]
    let x = this.embedTokens.forward(inputs.inputIds); // [b, t, d]
    for (const block of this.blocks) x = block.forward(x, bias, rotary, mode);
    const hidden = this.norm.forward(x);
    if (inputs.logits === false) return { hidden };
    const logits = linearTransposed(hidden.reshape([b * t, -1]) as tf.Tensor2D, this.vocabTable()).reshape([b, t, -1]); // [b, t, V]
    return { hidden, logits };
  }
}
