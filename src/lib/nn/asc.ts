// ASC's ranking model (TDG `RM/models_ft5.py`; methods.md §4.3): an encoder reads question ⊕
// rationale, mean-pools its last hidden states over the rationale tokens only, and a residual ELU
// head (`FinalPooler`) gives a score in (0, 1):
//
//   h  = mean over rationale tokens of the encoder's hidden states        [b, d]
//   h₁ = ELU(W₁h + b₁) + h;   h₂ = ELU(W₂h₁ + b₂) + h₁                      [b, d]
//   M(x, r) = σ(wᵀh₂ + b)                                                  [b]
//
// Trained on (question, positive, negative) triples with the power loss (1 − M⁺)^p + (M⁻)^p,
// p = 3 in the code (p = 2 is the squared error to the targets 1 and 0): powerRankingLoss in
// losses.ts. The encoder here is our BERT (TDG uses the Flan-T5-XL encoder); W₁, W₂ are
// nn.Linear layers, so they carry biases.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BertConfig, ConfigError } from './config.js';
import { Mode } from './layers/dropout.js';
import { makeInit } from './layers/init.js';
import { Linear } from './layers/linear.js';
import { BertEncoder } from './models/bert.js';
import { Module } from './module.js';
import { meanPool } from './pooling.js';
import { readSafetensors, tensorsToTf, tfToTensors, writeSafetensors } from './safetensors.js';

export class ResidualEluHead extends Module {
  readonly dense1: Linear;
  readonly dense2: Linear;
  readonly out: Linear;

  constructor(hidden: number, seed = 0) {
    super();
    const init = makeInit(seed);
    this.dense1 = this.child('dense1', new Linear(hidden, hidden, init));
    this.dense2 = this.child('dense2', new Linear(hidden, hidden, init));
    this.out = this.child('out', new Linear(hidden, 1, init));
  }

  /** h [b, d] → M [b] in (0, 1). */
  forward(h: tf.Tensor, mode?: Mode): tf.Tensor1D {
    const h1 = tf.add(tf.elu(this.dense1.forward(h, mode)), h); // [b, d]
    const h2 = tf.add(tf.elu(this.dense2.forward(h1, mode)), h1); // [b, d]
    return tf.sigmoid(this.out.forward(h2, mode)).reshape([-1]) as tf.Tensor1D; // [b]
  }
}

export interface RankerInputs {
  /** question ⊕ rationale tokens [b, t]. */
  inputIds: tf.Tensor;
  /** [b, t], 1 = a token, 0 = padding. */
  attentionMask: tf.Tensor;
  /** [b, t], 1 on the rationale's tokens: the only ones pooled. */
  rationaleMask: tf.Tensor;
}

export class AscRanker extends Module {
  readonly encoder: BertEncoder;
  readonly head: ResidualEluHead;

  constructor(config: Partial<BertConfig> = {}, seed = 0) {
    super();
    this.encoder = this.child('encoder', new BertEncoder({ ...config, pooler: false }, seed));
    this.head = this.child('head', new ResidualEluHead(this.encoder.config.hiddenSize, seed + 1));
  }

  /** → M(x, r) [b] in (0, 1). */
  forward(inputs: RankerInputs, mode?: Mode): tf.Tensor1D {
    const { hidden } = this.encoder.forward({ inputIds: inputs.inputIds, attentionMask: inputs.attentionMask }, mode); // [b, t, d]
    return this.head.forward(meanPool(hidden, inputs.rationaleMask), mode);
  }
}

// ---- the ranker on disk: ranker.json (the encoder's config), model.safetensors (every weight,
// named encoder.* and head.*) ----

export const RANKER_CONFIG = 'ranker.json';
const RANKER_FORMAT = 'retort-asc-ranker/1';

interface RankerFile {
  format: typeof RANKER_FORMAT;
  encoder: BertConfig;
  /** Whatever the caller keeps beside the weights (e.g. the maximum input length). */
  extra: Record<string, unknown>;
}

export async function saveAscRanker(dir: string, ranker: AscRanker, extra: Record<string, unknown> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'model.safetensors'), tfToTensors(ranker.stateDict()), { format: 'pt' });
  const file: RankerFile = { format: RANKER_FORMAT, encoder: ranker.encoder.config, extra };
  writeFileSync(join(dir, RANKER_CONFIG), JSON.stringify(file, null, 2) + '\n');
}

export async function loadAscRanker(dir: string): Promise<{ ranker: AscRanker; extra: Record<string, unknown> }> {
  const configFile = join(dir, RANKER_CONFIG);
  if (!existsSync(configFile)) throw new ConfigError(`${dir}: no ${RANKER_CONFIG} (not an asc-ranker output)`);
  let parsed: RankerFile;
  try {
    parsed = JSON.parse(readFileSync(configFile, 'utf8')) as RankerFile;
  } catch (e) {
    throw new ConfigError(`${configFile}: not valid JSON (${(e as Error).message})`);
  }
  if (parsed?.format !== RANKER_FORMAT || typeof parsed.encoder !== 'object') throw new ConfigError(`${configFile}: not a ${RANKER_FORMAT} file`);
  const weights = join(dir, 'model.safetensors');
  if (!existsSync(weights)) throw new ConfigError(`${dir}: no model.safetensors`);
  const tensors = tensorsToTf((await readSafetensors(weights)).tensors, weights);
  const ranker = new AscRanker(parsed.encoder);
  try {
    ranker.loadStateDict(tensors, { source: weights });
  } catch (e) {
    ranker.dispose();
    throw e;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  return { ranker, extra: parsed.extra ?? {} };
}
