// Where the retriever's encoder comes from: built from scratch (a WordPiece tokenizer trained on
// the set, random weights), or opened from an encoder folder given on the `init` input (the
// dense-encoder stage's `model` output, or any BERT-style Hugging Face folder with a
// tokenizer.json), whose weights and tokenizer are then the starting point of training.
//
// With `init` the folder decides the architecture: an architecture param left out takes the
// folder's value, one given must equal it, so a recipe never trains a model other than the one
// it describes.

import { join } from 'node:path';
import { NodeFailure } from '../../src/plugin/api.js';
import { openEncoderFolder } from '../../src/lib/llmr/encoder-folder.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { trainWordPiece } from '../../src/lib/nn/tokenizer/index.js';
import type { DenseEncoder } from '../../src/lib/retrieval/dense.js';

/** The architecture params; all optional in the schema so that `init` can tell given from default. */
export interface ArchitectureParams {
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  intermediateSize?: number;
  vocabSize?: number;
}

/** The encoder built from scratch when a param is left out. */
export const SCRATCH_ARCHITECTURE: Required<ArchitectureParams> = { hiddenSize: 32, layers: 1, heads: 2, intermediateSize: 64, vocabSize: 3000 };

export interface StartedEncoder {
  model: DenseEncoder;
  /** For the log: where the weights came from. */
  origin: string;
}

/** A new encoder and a WordPiece tokenizer trained on `texts` (the corpus and the training queries). */
export function buildFromScratch(arch: ArchitectureParams, texts: readonly string[], maxLength: number, seed: number): StartedEncoder {
  const a = { ...SCRATCH_ARCHITECTURE, ...definedOnly(arch) };
  const tokenizer = trainWordPiece(texts, { vocabSize: a.vocabSize });
  const encoder = new BertEncoder({
    vocabSize: tokenizer.vocabSize, hiddenSize: a.hiddenSize, embeddingSize: a.hiddenSize, numLayers: a.layers, numHeads: a.heads,
    intermediateSize: a.intermediateSize, maxPositions: maxLength, hiddenDropout: 0.1, attentionDropout: 0.1,
    padTokenId: tokenizer.tokenToId('[PAD]') ?? 0, pooler: false,
  }, seed);
  return { model: { encoder, tokenizer, maxLength }, origin: `from scratch (width ${a.hiddenSize}, ${a.layers} layer(s), WordPiece ${tokenizer.vocabSize})` };
}

/**
 * Opens the `init` folder. A folder that is not a BERT-style encoder with a tokenizer, an
 * architecture param that differs from its config.json, a `maxLength` beyond its position
 * embeddings or a text prefix in its encoder.json (this stage embeds texts as they are) is a
 * NodeFailure naming the file.
 */
export async function openInit(dir: string, arch: ArchitectureParams, maxLength: number, seed: number): Promise<StartedEncoder> {
  const { encoder } = await openEncoderFolder(dir, { seed, maxLength, who: 'the beir-retriever stage' });
  const bert = encoder.model.encoder;
  try {
    const config = join(dir, 'config.json');
    const c = bert.config;
    const actual: Required<ArchitectureParams> = {
      hiddenSize: c.hiddenSize, layers: c.numLayers, heads: c.numHeads, intermediateSize: c.intermediateSize, vocabSize: c.vocabSize,
    };
    for (const [name, given] of Object.entries(definedOnly(arch)) as [keyof ArchitectureParams, number][]) {
      if (given !== actual[name]) {
        throw new NodeFailure(`${config}: the init encoder has ${name} ${actual[name]}, but the params say ${given} (leave the architecture params out with init: the folder decides them)`);
      }
    }
    if (maxLength > c.maxPositions) {
      throw new NodeFailure(`${config}: the init encoder has ${c.maxPositions} position embeddings, fewer than maxLength ${maxLength}`);
    }
    if (encoder.info.prefix !== '') {
      throw new NodeFailure(`${join(dir, 'encoder.json')}: prefix ${JSON.stringify(encoder.info.prefix)} is not supported by the beir-retriever stage, which embeds queries and documents as they are`);
    }
    const model: DenseEncoder = { encoder: bert, tokenizer: encoder.model.tokenizer, maxLength };
    return { model, origin: `from ${dir} (width ${c.hiddenSize}, ${c.numLayers} layer(s), vocabulary ${c.vocabSize})` };
  } catch (e) {
    bert.dispose();
    throw e;
  }
}

function definedOnly(arch: ArchitectureParams): ArchitectureParams {
  return Object.fromEntries(Object.entries(arch).filter(([, v]) => v !== undefined));
}
