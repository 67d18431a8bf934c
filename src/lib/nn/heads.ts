// Scoring heads for cross-encoders (the reward model), with Hugging Face names:
//   'bert':    BertForSequenceClassification   classifier(pooler(h[:, 0]))
//   'electra': ElectraClassificationHead        classifier.out_proj(gelu(classifier.dense(h[:, 0])))

import * as tf from '@tensorflow/tfjs';
import { BertConfig } from './config.js';
import { gelu } from './layers/activations.js';
import { dropout, Mode } from './layers/dropout.js';
import { makeInit } from './layers/init.js';
import { Linear } from './layers/linear.js';
import { BertEncoder, EncoderInputs } from './models/bert.js';
import { Module } from './module.js';
import { clsPool } from './pooling.js';

export type HeadStyle = 'bert' | 'electra';

export class ScalarHead extends Module {
  readonly style: HeadStyle;
  readonly dense: Linear | undefined;
  readonly out: Linear;
  private readonly dropoutRate: number;

  constructor(style: HeadStyle, hidden: number, numLabels = 1, dropoutRate = 0.1, seed = 0) {
    super();
    this.style = style;
    this.dropoutRate = dropoutRate;
    const init = makeInit(seed);
    if (style === 'electra') {
      this.dense = this.child('dense', new Linear(hidden, hidden, init));
      this.out = this.child('out_proj', new Linear(hidden, numLabels, init));
    } else {
      this.out = this.child('', new Linear(hidden, numLabels, init));
    }
  }

  /** 'bert': the pooled output [b, d]; 'electra': the hidden states [b, t, d]. → [b, labels]. */
  forward(features: tf.Tensor, mode?: Mode): tf.Tensor {
    if (this.dense) {
      const cls = dropout(clsPool(features), this.dropoutRate, mode);
      return this.out.forward(dropout(gelu(this.dense.forward(cls, mode)), this.dropoutRate, mode), mode);
    }
    return this.out.forward(dropout(features, this.dropoutRate, mode), mode);
  }
}

/** An encoder and a scalar head: one logit per (query, candidate) pair. HF names `bert.*`/`electra.*` + `classifier.*`. */
export class CrossEncoder extends Module {
  readonly encoder: BertEncoder;
  readonly head: ScalarHead;

  constructor(config: Partial<BertConfig> = {}, seed = 0, numLabels = 1) {
    super();
    const modelType = config.modelType ?? 'bert';
    // BERT's head reads the pooler; ELECTRA has no pooler and reads [CLS] itself.
    const encoder = new BertEncoder({ ...config, pooler: modelType === 'bert' }, seed);
    this.encoder = this.child(modelType, encoder);
    const c = encoder.config;
    this.head = this.child('classifier', new ScalarHead(modelType === 'electra' ? 'electra' : 'bert', c.hiddenSize, numLabels, c.hiddenDropout, seed + 1));
  }

  /** → [b] when there is one label, else [b, labels]. */
  forward(inputs: EncoderInputs, mode?: Mode): tf.Tensor {
    const out = this.encoder.forward(inputs, mode);
    const features = this.head.style === 'electra' ? out.hidden : (out.pooled as tf.Tensor);
    const logits = this.head.forward(features, mode); // [b, labels]
    return logits.shape[1] === 1 ? logits.reshape([-1]) : logits;
  }
}
