// Model folders between the LLaRA stages: a Hugging Face folder (config.json, model.safetensors,
// tokenizer.json) plus `retrieval.json`, which says how the folder embeds text:
//
//   { "pooling": "llara", "form": "llara" | "v1", "maxLength": n }   the special-token prompts
//   { "pooling": "last-token", "maxLength": n }                       text + end-of-text
//   { "pooling": "mean", "maxLength": n }                             a bidirectional encoder
//
// A folder without it is a plain base model (a pretrained LM: last-token pooling).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeFailure } from '../../plugin/api.js';
import { BertEncoder } from '../nn/models/bert.js';
import { Gpt2Decoder } from '../nn/models/gpt2.js';
import { LlamaDecoder } from '../nn/models/llama.js';
import { loadPretrained, savePretrained, type PretrainedModule } from '../nn/pretrained.js';
import { loadTokenizer } from '../nn/tokenizer/core.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import type { PromptForm } from './prompts.js';

export const RETRIEVAL_FILE = 'retrieval.json';

export type Pooling = 'llara' | 'last-token' | 'mean';

export interface RetrievalSpec {
  pooling: Pooling;
  form?: PromptForm;
  maxLength: number;
}

export interface LoadedModel {
  model: PretrainedModule;
  tok: Tokenizer;
  spec: RetrievalSpec | undefined;
}

/** A model folder (or hf:// reference) with its tokenizer; a folder without tokenizer.json is an error. */
export async function loadModelFolder(source: string): Promise<LoadedModel> {
  const loaded = await loadPretrained(source);
  if (!loaded.tokenizerPath) {
    loaded.model.dispose();
    throw new NodeFailure(`${source}: no tokenizer.json beside the weights (the LLaRA stages read the model's own tokenizer)`);
  }
  const tok = await loadTokenizer(loaded.tokenizerPath);
  const specFile = join(loaded.tokenizerPath, '..', RETRIEVAL_FILE);
  const spec = existsSync(specFile) ? (JSON.parse(readFileSync(specFile, 'utf8')) as RetrievalSpec) : undefined;
  return { model: loaded.model, tok, spec };
}

export function asCausal(m: PretrainedModule, source: string): LlamaDecoder | Gpt2Decoder {
  if (m instanceof LlamaDecoder || m instanceof Gpt2Decoder) return m;
  throw new NodeFailure(`${source}: a causal decoder (Llama or GPT-2) is needed here, found ${m instanceof BertEncoder ? 'a BERT-style encoder' : 'a cross-encoder'}`);
}

export async function saveModelFolder(dir: string, model: PretrainedModule, tok: Tokenizer, spec: RetrievalSpec | undefined): Promise<void> {
  await savePretrained(dir, model, { tokenizerJson: JSON.stringify(tok.toJSON()) });
  if (spec) writeFileSync(join(dir, RETRIEVAL_FILE), `${JSON.stringify(spec, null, 2)}\n`);
}
