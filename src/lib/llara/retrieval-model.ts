// One way to embed queries and passages for whatever a model folder holds: a LLaRA-adapted
// decoder (special-token prompts), a plain decoder (last token) or a bidirectional encoder (mean
// pooling, src/lib/retrieval/dense.ts).

import { NodeFailure } from '../../plugin/api.js';
import { BertEncoder } from '../nn/models/bert.js';
import { embedAll } from '../retrieval/dense.js';
import { embedMany, padIdOf, type Embedder } from './embed.js';
import type { EmbedFn } from './evaluate.js';
import { asCausal, loadModelFolder, type LoadedModel, type Pooling } from './model-io.js';
import { promptIds } from './prompts.js';

/** The model folder given on an input port, or a `base` reference (a path or hf://owner/name). */
export async function openModel(input: string | undefined, base: string | undefined, what: string): Promise<LoadedModel & { source: string }> {
  if ((input === undefined) === (base === undefined)) throw new NodeFailure(`${what} needs exactly one base model: the \`model\` input or the \`base\` param (a folder or hf://owner/name)`);
  const source = (input ?? base)!;
  return { ...(await loadModelFolder(source)), source };
}

export function poolingOf(m: LoadedModel): Pooling {
  if (m.model instanceof BertEncoder) return 'mean';
  return m.spec?.pooling ?? 'last-token';
}

/** A decoder embedder as the folder's retrieval.json says (last-token when it says nothing). */
export function decoderEmbedder(m: LoadedModel, source: string, maxLength?: number): Embedder {
  const model = asCausal(m.model, source);
  const pooling = poolingOf(m);
  const length = maxLength ?? m.spec?.maxLength ?? 128;
  return { model, tok: m.tok, prompt: pooling === 'llara' ? promptIds(m.tok, m.spec?.form ?? 'llara') : undefined, maxLength: length, padId: padIdOf(m.tok) };
}

export function embedFnOf(m: LoadedModel, source: string, batchSize: number): { embed: EmbedFn; dim: number } {
  if (m.model instanceof BertEncoder) {
    const dense = { encoder: m.model, tokenizer: m.tok, maxLength: m.spec?.maxLength ?? 128 };
    return { embed: (texts) => embedAll(dense, texts, batchSize), dim: m.model.config.hiddenSize };
  }
  const e = decoderEmbedder(m, source);
  return { embed: (texts, side) => embedMany(e, texts, side, batchSize), dim: e.model.config.hiddenSize };
}
