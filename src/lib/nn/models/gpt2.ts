// A causal decoder laid out like Hugging Face's GPT2LMHeadModel.
//
//   ids [b, t] → wte + wpe → dropout                                   [b, t, d]
//   N × block (pre-LN): x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))
//   ln_f → hidden                                                      [b, t, d]
//   lm_head (tied to wte unless configured otherwise) → logits        [b, t, V]
//
// Weights use GPT-2's Conv1D layout, [in, out]; c_attn holds Q, K, V side by side.
// With `past` (a key/value cache, [h, b, tPast, hd] per layer), ids are only the new tokens:
// positions continue from tPast and each block attends to the cached keys and values too.

import * as tf from '@tensorflow/tfjs';
import { Gpt2Config, gpt2Config } from '../config.js';
import { attentionBias, SelfAttention } from '../layers/attention.js';
import { dropout, Mode } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { MlpFfn } from '../layers/ffn.js';
import { Init, makeInit } from '../layers/init.js';
import { Linear } from '../layers/linear.js';
import { linearTransposed } from '../layers/matmul.js';
import { LayerNorm } from '../layers/norm.js';
import { Module } from '../module.js';
import { dims } from '../shape.js';
import { cacheLength, checkCache, DecoderInputs, DecoderOutput, defaultPositions, KvCache, LayerKv } from './decoder.js';

class Gpt2Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: SelfAttention;
  readonly ln2: LayerNorm;
  readonly mlp: MlpFfn;

  constructor(
    private readonly c: Gpt2Config,
    init: Init,
  ) {
    super();
    const d = c.hiddenSize;
    this.ln1 = this.child('ln_1', new LayerNorm(d, c.layerNormEps));
    this.attn = this.child(
      'attn',
      new SelfAttention(
        { dim: d, heads: c.numHeads, bias: true, layout: 'in_out', names: { qkv: 'c_attn', out: 'c_proj' }, dropout: c.attentionDropout },
        init,
      ),
    );
    this.ln2 = this.child('ln_2', new LayerNorm(d, c.layerNormEps));
    const ffn = { dim: d, hidden: c.intermediateSize, bias: true, layout: 'in_out' as const, act: c.hiddenAct };
    this.mlp = this.child('mlp', new MlpFfn(ffn, { up: 'c_fc', down: 'c_proj' }, init));
  }

  /** x [b, t, d] → [b, t, d], and this layer's keys and values [h, b, tPast + t, hd]. */
  forward(x: tf.Tensor, bias: tf.Tensor | undefined, mode?: Mode, past?: LayerKv): { x: tf.Tensor; kv: LayerKv } {
    const p = this.c.residDropout;
    const attn = this.attn.attend(this.ln1.forward(x), { bias, past }, mode);
    x = tf.add(x, dropout(attn.output, p, mode));
    x = tf.add(x, dropout(this.mlp.forward(this.ln2.forward(x), mode), p, mode));
    return { x, kv: { keys: attn.keys, values: attn.values } };
  }
}

export class Gpt2Decoder extends Module {
  readonly config: Gpt2Config;
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly blocks: Gpt2Block[] = [];
  readonly lnF: LayerNorm;
  /** Undefined when tied to wte. */
  readonly lmHead: Linear | undefined;

  constructor(config: Partial<Gpt2Config> = {}, seed = 0) {
    super();
    const c = (this.config = gpt2Config(config));
    const init = makeInit(seed, c.initializerRange);
    this.wte = this.child('transformer.wte', new Embedding(c.vocabSize, c.hiddenSize, init));
    this.wpe = this.child('transformer.wpe', new Embedding(c.maxPositions, c.hiddenSize, init));
    for (let i = 0; i < c.numLayers; i++) this.blocks.push(this.child(`transformer.h.${i}`, new Gpt2Block(c, init)));
    this.lnF = this.child('transformer.ln_f', new LayerNorm(c.hiddenSize, c.layerNormEps));
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
    this.wte.resize(size, init);
    this.lmHead?.resizeOutputs(size, init);
    this.config.vocabSize = size;
  }

  /** The LM head as [V, d] (the token table when tied): logits = h · tableᵀ, e.g. at chosen positions. */
  vocabTable(): tf.Tensor2D {
    return (this.lmHead?.weight ?? this.wte.weight) as tf.Tensor2D;
  }

  forward(inputs: DecoderInputs, mode?: Mode): DecoderOutput {
    const [b, t] = dims(inputs.inputIds, 2, 'input ids');
    checkCache(inputs.past, this.blocks.length, b);
    const tPast = cacheLength(inputs.past);
    const total = tPast + t;
    if (total > this.config.maxPositions) throw new Error(`sequence length ${total} exceeds n_positions ${this.config.maxPositions}`);
    const positions = inputs.positionIds ?? defaultPositions(b, t, tPast); // [b, t], absolute
    let x = tf.add(this.wte.forward(inputs.inputIds), this.wpe.forward(positions)); // [b, t, d]
    x = dropout(x, this.config.embdDropout, mode);
    const bias = attentionBias(b, t, total, {
      paddingMask: inputs.attentionMask,
      additiveMask: inputs.additiveMask,
      causal: inputs.causal ?? true,
    }); // [1|h, b, t, tPast + t]
    const present: KvCache = [];
    this.blocks.forEach((block, i) => {
      const out = block.forward(x, bias, mode, inputs.past?.[i]);
      x = out.x;
      if (inputs.useCache) present.push(out.kv);
    });
    const hidden = this.lnF.forward(x);
    const cache = inputs.useCache ? { present } : {};
    if (inputs.logits === false) return { hidden, ...cache };
    const logits = linearTransposed(hidden.reshape([b * t, -1]) as tf.Tensor2D, this.vocabTable()).reshape([b, t, -1]); // [b, t, V]
    return { hidden, logits, ...cache };
  }
}
