// The student's base model before any distillation: a corpus of worked problems generated with a
// seed of its own (every question of the suite left out), optional arithmetic drills, a byte-level
// BPE tokenizer trained on that corpus and a tiny Llama-style decoder trained on it from scratch.
// The `nat-pretrain` stage and the learning-curve bench share this, so what is measured is what runs.

import { LlamaDecoder } from '../nn/models/llama.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { trainByteLevelBpe } from '../nn/tokenizer/trainers/train.js';
import { deriveSeed } from '../nn/train/rng.js';
import type { TrainContext } from '../nn/train/loop.js';
import { drillRows } from './drills.js';
import { END_OF_TEXT, exampleOf, PAD, trainLm, type LrShape } from './student.js';
import { generateSuite, type NumberScale } from './suite.js';

export interface CorpusOptions {
  seed: number;
  corpusSize: number;
  drillRows: number;
  minSteps: number;
  maxSteps: number;
  numbers: NumberScale;
  /** Question texts that must not appear (the suite's, all splits). */
  exclude: Set<string>;
}

export interface PretrainCorpus {
  problems: string[];
  drills: string[];
}

export function pretrainCorpus(o: CorpusOptions): PretrainCorpus {
  const generated = generateSuite({
    seed: deriveSeed(o.seed, 0x70726574),
    trainSize: o.corpusSize + o.exclude.size,
    testSize: 0,
    minSteps: o.minSteps,
    maxSteps: o.maxSteps,
    numbers: o.numbers,
  }).train;
  const problems = generated.filter((q) => !o.exclude.has(q.question)).slice(0, o.corpusSize).map((q) => exampleOf(q.question, q.rationale));
  const drills = drillRows({ seed: deriveSeed(o.seed, 0x6472696c), rows: o.drillRows, numbers: o.numbers });
  return { problems, drills };
}

export interface BaseModelOptions {
  seed: number;
  vocabSize: number;
  splitDigits: boolean;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Longest training sequence (tokens). */
  maxLength: number;
  /** Longest sequence the model reads. */
  contextLength: number;
  steps: number;
  batch: number;
  lr: number;
  /** Learning-rate shape over `steps` (default constant). */
  shape?: LrShape;
}

export interface BaseModel {
  tok: Tokenizer;
  model: LlamaDecoder;
  finalLoss: number;
}

/** A tokenizer trained on `texts` and a fresh decoder over it (its MLP twice its width). */
export function untrainedBase(texts: string[], o: Omit<BaseModelOptions, 'steps' | 'batch' | 'lr' | 'shape'>): { tok: Tokenizer; model: LlamaDecoder } {
  const tok = trainByteLevelBpe(texts, { vocabSize: o.vocabSize, minFrequency: 2, specialTokens: [PAD, END_OF_TEXT], splitDigits: o.splitDigits });
  const model = new LlamaDecoder(
    {
      vocabSize: tok.vocabSize,
      hiddenSize: o.hiddenSize,
      numLayers: o.numLayers,
      numHeads: o.numHeads,
      intermediateSize: 2 * o.hiddenSize,
      maxPositions: Math.max(o.contextLength, o.maxLength),
    },
    o.seed,
  );
  return { tok, model };
}

/** Tokenizer and decoder trained on `texts`. */
export async function pretrainBase(texts: string[], o: BaseModelOptions, ctx?: TrainContext): Promise<BaseModel> {
  const { tok, model } = untrainedBase(texts, o);
  const finalLoss = await trainLm(model, tok, texts, { steps: o.steps, batch: o.batch, lr: o.lr, maxLength: o.maxLength, seed: o.seed, shape: o.shape, ctx });
  return { tok, model, finalLoss };
}
