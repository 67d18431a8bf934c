// Hugging Face model folders: config.json + model.safetensors (+ tokenizer.json), in and out.
// A folder is a local path or hf://<owner>/<model>@<revision>, fetched through the Hub cache.
//
// Loading picks the architecture from config.json (`model_type`, else `architectures`), builds our
// model from it and copies the weights by their HF names; checkpoint prefixes that differ between
// HF classes (`bert.` on BertFor*, none on BertModel; `transformer.` on GPT2LMHeadModel only) are
// reconciled here.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ArchitectureConfig, ConfigError, fromHfConfig, HfConfig, toHfConfig } from './config.js';
import { CrossEncoder } from './heads.js';
import { BertEncoder } from './models/bert.js';
import { Gpt2Decoder } from './models/gpt2.js';
import { LlamaDecoder } from './models/llama.js';
import { Module, StateDictError } from './module.js';
import { fetchHubModel } from '../hub/model.js';
import { isHubRef } from '../hub/ref.js';
import type { HubOptions } from '../hub/snapshot.js';
import { readSafetensors, tensorsToTf, tfToTensors, writeSafetensors } from './safetensors.js';

export type PretrainedModule = BertEncoder | CrossEncoder | Gpt2Decoder | LlamaDecoder;

export interface LoadPretrainedOptions {
  /**
   * For BERT/ELECTRA folders: 'encoder' (default unless config.json names a
   * *ForSequenceClassification class) or 'cross-encoder' (a scoring head is created when the
   * checkpoint has none, e.g. from electra-base-discriminator).
   */
  as?: 'encoder' | 'cross-encoder';
  /** Seed for weights the checkpoint does not provide (a new head). */
  seed?: number;
  /** Endpoint, token, cache and offline mode for hf:// sources (defaults from the environment). */
  hub?: HubOptions;
}

export interface Pretrained<M extends PretrainedModule = PretrainedModule> {
  model: M;
  arch: ArchitectureConfig;
  /** The HF class the folder's config.json names (first of `architectures`), if any. */
  architecture: string | undefined;
  /** `tokenizer.json` of the folder, for the tokenizer loader, when present. */
  tokenizerPath: string | undefined;
  /** Checkpoint tensors that no part of the model uses (e.g. a pretraining head). */
  ignored: string[];
}

/** Buffers some HF versions save that are not weights. */
const BUFFERS = /(\.attn\.bias|\.attn\.masked_bias|rotary_emb\.inv_freq|embeddings\.position_ids)$/;

function readConfig(dir: string): HfConfig {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new ConfigError(`${dir}: no config.json (a Hugging Face model folder needs config.json and model.safetensors)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${file}: must hold a JSON object`);
  return parsed as HfConfig;
}

function weightsFile(dir: string): string {
  const file = join(dir, 'model.safetensors');
  if (existsSync(file)) return file;
  if (existsSync(join(dir, 'model.safetensors.index.json'))) {
    throw new ConfigError(`${dir}: sharded checkpoints (model.safetensors.index.json) are not supported; merge them into model.safetensors`);
  }
  if (existsSync(join(dir, 'pytorch_model.bin'))) {
    throw new ConfigError(`${dir}: only pytorch_model.bin is present; convert it to model.safetensors (pickle files are not read)`);
  }
  throw new ConfigError(`${dir}: no model.safetensors`);
}

/**
 * Renames checkpoint tensors to the names the model uses. Tensors outside the model's namespaces
 * (another head, buffers) are returned as ignored; one inside them that the model lacks (a bias
 * this architecture does not have) is an error, since dropping it would change the numerics.
 */
function align(
  model: Module,
  tensors: Map<string, tf.Tensor>,
  prefixes: { add?: string; strip?: string[] },
  file: string,
): { map: Map<string, tf.Tensor>; ignored: string[] } {
  const wanted = new Set([...model.stateDict().keys(), ...model.aliases()]);
  const first = (name: string) => name.split('.')[0];
  // Top-level namespaces of the model ('encoder', 'transformer', …) and, under an added prefix, the
  // ones inside it ('h', 'wte' under 'transformer.').
  const top = new Set([...wanted].map(first));
  const add = prefixes.add;
  const inner = new Set(add ? [...wanted].filter((k) => k.startsWith(add)).map((k) => first(k.slice(add.length))) : []);
  const claimed = (raw: string, candidates: string[]) =>
    candidates.some((n) => top.has(first(n))) || (add !== undefined && inner.has(first(raw)));
  const map = new Map<string, tf.Tensor>();
  const ignored: string[] = [];
  for (const [raw, t] of tensors) {
    if (BUFFERS.test(raw)) {
      ignored.push(raw);
      continue;
    }
    const stripped = (prefixes.strip ?? []).filter((p) => raw.startsWith(p)).map((p) => raw.slice(p.length));
    const name = [raw, ...stripped, ...(add ? [add + raw] : [])].find((n) => wanted.has(n));
    if (name !== undefined) map.set(name, t);
    else if (claimed(raw, [raw, ...stripped])) {
      throw new StateDictError(`${file}: unexpected tensor "${raw}" (config.json describes a model without it)`, raw);
    } else ignored.push(raw);
  }
  return { map, ignored };
}

export async function loadPretrained(source: string, options: LoadPretrainedOptions = {}): Promise<Pretrained> {
  const dir = isHubRef(source) ? await fetchHubModel(source, options.hub) : source;
  const hf = readConfig(dir);
  const arch = fromHfConfig(hf, join(dir, 'config.json'));
  const architecture = Array.isArray(hf.architectures) && typeof hf.architectures[0] === 'string' ? hf.architectures[0] : undefined;
  const file = weightsFile(dir);
  const stored = await readSafetensors(file);
  const tensors = tensorsToTf(stored.tensors, file);
  const seed = options.seed ?? 0;
  try {
    const { model, renamed, ignored } = build(file, arch, hf, architecture, tensors, options, seed);
    // Tensors the model has but the checkpoint lacks are an error, except a new head.
    const keepNew = model instanceof CrossEncoder && ![...renamed.keys()].some((k) => k.startsWith('classifier.'));
    const newNames = keepNew ? [...model.head.stateDict().keys()].map((k) => `classifier.${k}`) : [];
    const missing = [...model.stateDict().keys()].filter((k) => !renamed.has(k) && !newNames.includes(k));
    if (missing.length > 0) {
      model.dispose();
      throw new StateDictError(`${file}: missing tensor "${missing[0]}"${missing.length > 1 ? ` and ${missing.length - 1} more` : ''} (config.json describes a model with it)`, missing[0]);
    }
    try {
      model.loadStateDict(renamed, { strict: false, source: file });
    } catch (e) {
      model.dispose();
      throw e;
    }
    const tokenizer = join(dir, 'tokenizer.json');
    return { model, arch, architecture, tokenizerPath: existsSync(tokenizer) ? tokenizer : undefined, ignored };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

function build(
  file: string,
  arch: ArchitectureConfig,
  hf: HfConfig,
  architecture: string | undefined,
  tensors: Map<string, tf.Tensor>,
  options: LoadPretrainedOptions,
  seed: number,
): { model: PretrainedModule; renamed: Map<string, tf.Tensor>; ignored: string[] } {
  if (arch.family === 'bert') {
    const prefix = `${arch.config.modelType}.`;
    const hasPooler = tensors.has('pooler.dense.weight') || tensors.has(`${prefix}pooler.dense.weight`);
    const asCross = options.as ? options.as === 'cross-encoder' : /ForSequenceClassification$/.test(architecture ?? '');
    if (asCross) {
      const labels = typeof hf.num_labels === 'number' ? hf.num_labels : 1;
      const model = new CrossEncoder(arch.config, seed, labels);
      const { map, ignored } = align(model, tensors, { add: prefix }, file);
      return { model, renamed: map, ignored };
    }
    const model = new BertEncoder({ ...arch.config, pooler: hasPooler }, seed);
    const { map, ignored } = align(model, tensors, { strip: [prefix] }, file);
    return { model, renamed: map, ignored };
  }
  if (arch.family === 'gpt2') {
    const model = new Gpt2Decoder(arch.config, seed);
    const { map, ignored } = align(model, tensors, { add: 'transformer.' }, file);
    return { model, renamed: map, ignored };
  }
  const model = new LlamaDecoder(arch.config, seed);
  const { map, ignored } = align(model, tensors, { add: 'model.' }, file);
  return { model, renamed: map, ignored };
}

/** The config and HF class name of one of our models. */
export function describeModel(model: PretrainedModule): { arch: ArchitectureConfig; architecture: string; extra: HfConfig } {
  if (model instanceof CrossEncoder) {
    const c = model.encoder.config;
    const labels = model.head.out.outFeatures;
    const name = c.modelType === 'electra' ? 'ElectraForSequenceClassification' : 'BertForSequenceClassification';
    return { arch: { family: 'bert', config: c }, architecture: name, extra: { num_labels: labels } };
  }
  if (model instanceof BertEncoder) {
    const name = model.config.modelType === 'electra' ? 'ElectraModel' : 'BertModel';
    return { arch: { family: 'bert', config: model.config }, architecture: name, extra: {} };
  }
  if (model instanceof Gpt2Decoder) return { arch: { family: 'gpt2', config: model.config }, architecture: 'GPT2LMHeadModel', extra: {} };
  return { arch: { family: 'llama', config: model.config }, architecture: 'LlamaForCausalLM', extra: {} };
}

export interface SaveOptions {
  /** A tokenizer.json to place beside the weights. */
  tokenizerJson?: string;
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

/** Writes config.json and model.safetensors (and tokenizer.json when given) into `dir`. */
export async function savePretrained(dir: string, model: PretrainedModule, options: SaveOptions = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { arch, architecture, extra } = describeModel(model);
  const tensors = tfToTensors(model.stateDict(), { floatDtype: options.floatDtype });
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify({ ...toHfConfig(arch, architecture), ...extra }, null, 2)}\n`);
  if (options.tokenizerJson !== undefined) writeFileSync(join(dir, 'tokenizer.json'), options.tokenizerJson);
}
