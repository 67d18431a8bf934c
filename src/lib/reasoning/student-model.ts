// A trained student on disk, in the layout of nat-pretrain's base model (config.json,
// model.safetensors, tokenizer.json) so that `loadPretrained` reads it. A student whose adapter is
// a plain LoRA has it merged into the weights: the folder is an ordinary model. A NAT student
// cannot be merged (its integration unit is not linear), so its folder holds the frozen base
// model, as `loadPretrained` reads it, plus `nat.json` (the unit's options) and `nat.safetensors`
// (both adapters and the unit under their layer paths); `loadStudent` restores all of it.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../plugin/api.js';
import { mergeAdapter } from '../nn/lora.js';
import { LlamaDecoder } from '../nn/models/llama.js';
import { addNat, natLayers, setNatMode, type NatOptions } from '../nn/nat.js';
import { loadPretrained, savePretrained } from '../nn/pretrained.js';
import { readSafetensors, tensorsToTf, tfToTensors, writeSafetensors } from '../nn/safetensors.js';
import { loadTokenizer } from '../nn/tokenizer/tokenizer-json.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';

export const NAT_CONFIG_FILE = 'nat.json';
export const NAT_WEIGHTS_FILE = 'nat.safetensors';

/** What nat.json records: the options addNat needs to rebuild the same layers. */
export interface NatStudentConfig {
  format: 'retort-nat-student/1';
  rank: number;
  alpha: number;
  unitDim: number;
  correction: number;
  targets: string[];
  layers: string[];
}

/** Writes a student whose LoRA adapter `adapter` is merged into its weights (a plain model folder). */
export async function saveMergedStudent(dir: string, model: LlamaDecoder, tokenizerJson: string, adapter?: string): Promise<void> {
  if (adapter !== undefined) mergeAdapter(model, adapter);
  await savePretrained(dir, model, { tokenizerJson });
}

/** Writes a NAT student: the base model as nat-pretrain writes it, plus its adapters and unit. */
export async function saveNatStudent(dir: string, model: LlamaDecoder, tokenizerJson: string, options: Omit<NatStudentConfig, 'format' | 'layers'>): Promise<void> {
  await savePretrained(dir, model, { tokenizerJson });
  const tensors = new Map<string, tf.Tensor>();
  const layers: string[] = [];
  for (const [path, delta] of natLayers(model)) {
    layers.push(path);
    for (const [name, v] of delta.variables()) tensors.set(`${path}.${name}`, v);
  }
  if (layers.length === 0) throw new NodeFailure('saveNatStudent: the model has no NAT layers');
  await writeSafetensors(join(dir, NAT_WEIGHTS_FILE), tfToTensors(tensors), { format: 'pt' });
  const config: NatStudentConfig = { format: 'retort-nat-student/1', ...options, layers };
  writeFileSync(join(dir, NAT_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

export interface LoadedStudent {
  model: LlamaDecoder;
  tokenizer: Tokenizer;
  /** True when the folder held a NAT student (the model is then in mode 'mix'). */
  nat: boolean;
}

function readNatConfig(dir: string): NatStudentConfig {
  const file = join(dir, NAT_CONFIG_FILE);
  let parsed: NatStudentConfig;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as NatStudentConfig;
  } catch (e) {
    throw new NodeFailure(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (parsed.format !== 'retort-nat-student/1') throw new NodeFailure(`${file}: expected format "retort-nat-student/1", got ${JSON.stringify(parsed.format)}`);
  return parsed;
}

/**
 * Any nat-student `model` output, or a nat-pretrain base: the decoder with its tokenizer, and for
 * NAT the adapters and unit restored (frozen, mode 'mix': the distribution the student was trained
 * to give).
 */
export async function loadStudent(dir: string): Promise<LoadedStudent> {
  const { model } = await loadPretrained(dir);
  if (!(model instanceof LlamaDecoder)) throw new NodeFailure(`${dir}: expected a Llama-style decoder (a nat-pretrain or nat-student output)`);
  const tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'));
  if (!existsSync(join(dir, NAT_CONFIG_FILE))) return { model, tokenizer, nat: false };
  const config = readNatConfig(dir);
  const options: NatOptions = { rank: config.rank, alpha: config.alpha, unitDim: config.unitDim,
    correction: config.correction, targets: config.layers, dropout: 0 };
  addNat(model, options);
  const file = join(dir, NAT_WEIGHTS_FILE);
  const tensors = tensorsToTf((await readSafetensors(file)).tensors, file);
  for (const [path, delta] of natLayers(model)) {
    for (const [name, v] of delta.variables()) {
      const key = `${path}.${name}`;
      const t = tensors.get(key);
      if (!t) throw new NodeFailure(`${file}: missing tensor "${key}"`);
      if (t.shape.join() !== v.shape.join()) throw new NodeFailure(`${file}: tensor "${key}" has shape [${t.shape}] but the layer expects [${v.shape}]`);
      v.assign(t);
    }
  }
  for (const t of tensors.values()) t.dispose();
  setNatMode(model, 'mix');
  for (const name of model.parameters().keys()) model.setTrainable(name, false);
  return { model, tokenizer, nat: true };
}
