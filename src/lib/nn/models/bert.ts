// A bidirectional encoder laid out like Hugging Face's BertModel (and ElectraModel).
//
//   ids [b, t] → word + position + type embeddings → LayerNorm → dropout      [b, t, e]
//   (ELECTRA, e ≠ d: embeddings_project)                                        [b, t, d]
//   N × block:  post-LN (BERT):  x = LN(x + attn(x));   x = LN(x + ffn(x))
//               pre-LN (option): x = x + attn(LN(x));   x = x + ffn(LN(x)); final LN
//   pooler (BERT only): tanh(W · h[:, 0])                                       [b, d]
//
// Parameter names are the HF state-dict names of BertModel/ElectraModel without the `bert.` /
// `electra.` prefix (pretrained.ts adds or strips it).

import * as tf from '@tensorflow/tfjs';
import { BertConfig, bertConfig } from '../config.js';
import { attentionBias, MaskInputs, SelfAttention } from '../layers/attention.js';
import { dropout, Mode } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { MlpFfn } from '../layers/ffn.js';
import { Init, makeInit } from '../layers/init.js';
import { Linear } from '../layers/linear.js';
import { LayerNorm } from '../layers/norm.js';
import { Module } from '../module.js';
import { dims } from '../shape.js';

export interface EncoderInputs {
  /** [b, t] int32. */
  inputIds: tf.Tensor;
  /** [b, t], 1 = token, 0 = padding. */
  attentionMask?: tf.Tensor;
  /** [b, t] int32, segment A = 0 / B = 1; zeros when absent. */
  tokenTypeIds?: tf.Tensor;
  /** [b, t] int32; 0..t-1 when absent. */
  positionIds?: tf.Tensor;
  /** Additive [b, 1|h, t, t], combined with the padding mask. */
  additiveMask?: tf.Tensor;
}

export interface EncoderOutput {
  /** Last hidden states [b, t, d]. */
  hidden: tf.Tensor;
  /** tanh pooler over [CLS] [b, d], when the model has one. */
  pooled?: tf.Tensor;
}

class BertEmbeddings extends Module {
  readonly word: Embedding;
  readonly position: Embedding;
  /** Absent when type_vocab_size is 0 (a model without segment embeddings). */
  readonly type: Embedding | undefined;
  readonly norm: LayerNorm;

  constructor(c: BertConfig, init: Init) {
    super();
    this.word = this.child('word_embeddings', new Embedding(c.vocabSize, c.embeddingSize, init));
    this.position = this.child('position_embeddings', new Embedding(c.maxPositions, c.embeddingSize, init));
    if (c.typeVocabSize > 0) this.type = this.child('token_type_embeddings', new Embedding(c.typeVocabSize, c.embeddingSize, init));
    this.norm = this.child('LayerNorm', new LayerNorm(c.embeddingSize, c.layerNormEps));
  }

  /** ids, positions, types [b, t] → [b, t, e]. */
  forward(ids: tf.Tensor, positions: tf.Tensor, types: tf.Tensor): tf.Tensor {
    let x = tf.add(this.word.forward(ids), this.position.forward(positions));
    if (this.type) x = tf.add(x, this.type.forward(types));
    return this.norm.forward(x);
  }
}

class BertBlock extends Module {
  readonly attention: SelfAttention;
  readonly attentionNorm: LayerNorm;
  readonly ffn: MlpFfn;
  readonly ffnNorm: LayerNorm;

  constructor(
    private readonly c: BertConfig,
    init: Init,
  ) {
    super();
    this.attention = this.child(
      'attention',
      new SelfAttention(
        {
          dim: c.hiddenSize,
          heads: c.numHeads,
          bias: true,
          layout: 'out_in',
          names: { q: 'self.query', k: 'self.key', v: 'self.value', out: 'output.dense' },
          dropout: c.attentionDropout,
        },
        init,
      ),
    );
    this.attentionNorm = this.child('attention.output.LayerNorm', new LayerNorm(c.hiddenSize, c.layerNormEps));
    const ffnOptions = { dim: c.hiddenSize, hidden: c.intermediateSize, bias: true, layout: 'out_in' as const, act: c.hiddenAct };
    this.ffn = this.child('', new MlpFfn(ffnOptions, { up: 'intermediate.dense', down: 'output.dense' }, init));
    this.ffnNorm = this.child('output.LayerNorm', new LayerNorm(c.hiddenSize, c.layerNormEps));
  }

  /** x [b, t, d], bias head-major [1|h, b, t, t] → [b, t, d]. */
  forward(x: tf.Tensor, bias: tf.Tensor | undefined, mode?: Mode): tf.Tensor {
    const p = this.c.hiddenDropout;
    if (this.c.preLayerNorm) {
      x = tf.add(x, dropout(this.attention.forward(this.attentionNorm.forward(x), { bias }, mode), p, mode));
      return tf.add(x, dropout(this.ffn.forward(this.ffnNorm.forward(x), mode), p, mode));
    }
    x = this.attentionNorm.forward(tf.add(x, dropout(this.attention.forward(x, { bias }, mode), p, mode)));
    return this.ffnNorm.forward(tf.add(x, dropout(this.ffn.forward(x, mode), p, mode)));
  }
}

export class BertEncoder extends Module {
  readonly config: BertConfig;
  readonly embeddings: BertEmbeddings;
  readonly project: Linear | undefined;
  readonly blocks: BertBlock[] = [];
  readonly finalNorm: LayerNorm | undefined;
  readonly pooler: Linear | undefined;

  constructor(config: Partial<BertConfig> = {}, seed = 0) {
    super();
    const c = (this.config = bertConfig(config));
    const init = makeInit(seed, c.initializerRange);
    this.embeddings = this.child('embeddings', new BertEmbeddings(c, init));
    if (c.embeddingSize !== c.hiddenSize) {
      this.project = this.child('embeddings_project', new Linear(c.embeddingSize, c.hiddenSize, init));
    }
    for (let i = 0; i < c.numLayers; i++) this.blocks.push(this.child(`encoder.layer.${i}`, new BertBlock(c, init)));
    if (c.preLayerNorm) this.finalNorm = this.child('encoder.LayerNorm', new LayerNorm(c.hiddenSize, c.layerNormEps));
    if (c.pooler) this.pooler = this.child('pooler.dense', new Linear(c.hiddenSize, c.hiddenSize, init));
  }

  forward(inputs: EncoderInputs, mode?: Mode): EncoderOutput {
    const [b, t] = dims(inputs.inputIds, 2, 'input ids');
    if (t > this.config.maxPositions) {
      throw new Error(`sequence length ${t} exceeds max_position_embeddings ${this.config.maxPositions}`);
    }
    const positions = inputs.positionIds ?? tf.range(0, t, 1, 'int32').reshape([1, t]).tile([b, 1]);
    const types = inputs.tokenTypeIds ?? tf.zeros([b, t], 'int32');
    let x = dropout(this.embeddings.forward(inputs.inputIds, positions, types), this.config.hiddenDropout, mode); // [b, t, e]
    if (this.project) x = this.project.forward(x, mode); // [b, t, d]
    const masks: MaskInputs = { paddingMask: inputs.attentionMask, additiveMask: inputs.additiveMask };
    const bias = attentionBias(b, t, t, masks); // [1|h, b, t, t]
    for (const block of this.blocks) x = block.forward(x, bias, mode);
    if (this.finalNorm) x = this.finalNorm.forward(x);
    const out: EncoderOutput = { hidden: x };
    if (this.pooler) out.pooled = tf.tanh(this.pooler.forward(x.slice([0, 0, 0], [b, 1, -1]).reshape([b, -1])));
    return out;
  }
}
