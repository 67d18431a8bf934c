// LoRA (Hu et al. 2021) on chosen Linear layers, with several named adapters per layer.
//
//   y = x Wᵀ + b + Σ_a  w_a · (α_a / r_a) · dropout(x) A_aᵀ B_aᵀ        A_a [r, in], B_a [out, r]
//
// B starts at zero, so a new adapter leaves the model's outputs unchanged. Adding an adapter
// freezes the base model; each adapter can be enabled with a weight, disabled, frozen, merged into
// the base weight and unmerged. Adapter weights are named like PEFT's:
// `<layer>.lora_A.<adapter>.weight`, `<layer>.lora_B.<adapter>.weight`. They are not part of
// stateDict() (a base-model checkpoint); adapterStateDict() exports them.

import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../plugin/api.js';
import { dropout, Mode, SeedStream } from './layers/dropout.js';
import { Linear, LinearDelta } from './layers/linear.js';
import { matmul } from './layers/matmul.js';
import { Module } from './module.js';

export interface LoraOptions {
  /** Adapter name (default 'default'); one model may hold several. */
  name?: string;
  rank: number;
  /** Scale numerator: the update is multiplied by alpha / rank. */
  alpha: number;
  /** Dropout on the adapter's input while training. */
  dropout?: number;
  /**
   * Which Linear layers: a target matches a layer whose dotted path equals it or ends with
   * `.<target>` (e.g. 'query', 'value', 'q_proj', 'attention.self.key', 'c_attn'); a RegExp is
   * tested against the whole path.
   */
  targets: (string | RegExp)[];
  seed?: number;
}

export class LoraError extends NodeFailure {
  constructor(message: string) {
    super(message);
    this.name = 'LoraError';
  }
}

interface Adapter {
  a: tf.Variable; // [r, in]
  b: tf.Variable; // [out, r]
  scale: number;
  dropout: number;
  /** Combination weight when enabled; undefined when disabled. */
  weight: number | undefined;
  /** The weight folded into the base by merge(), 0 when not merged. */
  merged: number;
}

/** The adapters of one Linear layer. */
export class LoraDelta extends Module implements LinearDelta {
  private readonly adapters = new Map<string, Adapter>();

  constructor(private readonly layer: Linear) {
    super();
    this.inStateDict = false;
  }

  add(name: string, rank: number, alpha: number, dropoutRate: number, seed: number): void {
    if (this.adapters.has(name)) throw new LoraError(`adapter "${name}" already exists on this layer`);
    const bound = 1 / Math.sqrt(this.layer.inFeatures); // PEFT: kaiming_uniform(a=√5) on A
    const a = this.param(`lora_A.${name}.weight`, tf.randomUniform([rank, this.layer.inFeatures], -bound, bound, 'float32', seed));
    const b = this.param(`lora_B.${name}.weight`, tf.zeros([this.layer.outFeatures, rank]));
    this.adapters.set(name, { a, b, scale: alpha / rank, dropout: dropoutRate, weight: 1, merged: 0 });
  }

  names(): string[] {
    return [...this.adapters.keys()];
  }

  get(name: string): Adapter | undefined {
    return this.adapters.get(name);
  }

  active(): boolean {
    for (const ad of this.adapters.values()) if (ad.weight !== undefined && ad.weight !== ad.merged) return true;
    return false;
  }

  /** x [n, in] → Σ over enabled adapters [n, out]; a merged adapter contributes only what is not merged. */
  apply(x: tf.Tensor2D, mode: Mode | undefined): tf.Tensor2D {
    let sum: tf.Tensor2D | undefined;
    for (const ad of this.adapters.values()) {
      const w = (ad.weight ?? 0) - ad.merged;
      if (w === 0) continue;
      const h = matmul(dropout(x, ad.dropout, mode) as tf.Tensor2D, tf.transpose(ad.a) as tf.Tensor2D); // [n, r]
      const y = tf.mul(matmul(h, tf.transpose(ad.b) as tf.Tensor2D), w * ad.scale) as tf.Tensor2D; // [n, out]
      sum = sum ? (tf.add(sum, y) as tf.Tensor2D) : y;
    }
    return sum ?? (tf.zeros([x.shape[0], this.layer.outFeatures]) as tf.Tensor2D);
  }

  /** The update B·A as it adds to the stored weight, in the layer's layout. */
  update(name: string): tf.Tensor {
    const ad = this.adapters.get(name) as Adapter;
    return tf.tidy(() => {
      const ba = tf.mul(tf.matMul(ad.b, ad.a), ad.scale); // [out, in]
      return this.layer.layout === 'out_in' ? ba : tf.transpose(ba);
    });
  }
}

function deltaOf(layer: Linear): LoraDelta | undefined {
  return layer.delta instanceof LoraDelta ? layer.delta : undefined;
}

function matches(path: string, target: string | RegExp): boolean {
  if (typeof target !== 'string') return target.test(path);
  return path === target || path.endsWith(`.${target}`);
}

/** Linear layers with their paths. */
function linears(model: Module): [string, Linear][] {
  return [...model.namedModules()].filter((e): e is [string, Linear] => e[1] instanceof Linear);
}

/** Adapted layers with their adapter sets. */
function adapted(model: Module): [string, LoraDelta][] {
  const out: [string, LoraDelta][] = [];
  for (const [path, layer] of linears(model)) {
    const d = deltaOf(layer);
    if (d) out.push([path, d]);
  }
  return out;
}

/**
 * Adds adapter `name` to every Linear matching `targets` and freezes everything but adapters.
 * Returns the adapted layers' paths.
 */
export function addLora(model: Module, options: LoraOptions): string[] {
  const name = options.name ?? 'default';
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new LoraError(`adapter name "${name}" must be letters, digits, _ or -`);
  if (!Number.isInteger(options.rank) || options.rank < 1) throw new LoraError(`LoRA rank must be a positive integer, got ${options.rank}`);
  const chosen = linears(model).filter(([path]) => options.targets.some((t) => matches(path, t)));
  if (chosen.length === 0) {
    const known = [...new Set(linears(model).map(([p]) => p.split('.').pop()))].join(', ');
    throw new LoraError(`LoRA targets ${options.targets.map(String).join(', ')} match no Linear layer (layer names here: ${known})`);
  }
  const seeds = new SeedStream(options.seed ?? 0);
  for (const [, layer] of chosen) {
    let delta = deltaOf(layer);
    if (!delta) {
      delta = new LoraDelta(layer);
      layer.attachDelta(delta);
    }
    delta.add(name, options.rank, options.alpha, options.dropout ?? 0, seeds.next());
  }
  freezeBase(model);
  return chosen.map(([path]) => path);
}

/** Freezes every parameter that does not belong to an adapter. */
export function freezeBase(model: Module): void {
  for (const [path] of model.parameters()) if (!/\.lora_[AB]\./.test(path)) model.setTrainable(path, false);
}

function requireAdapter(model: Module, name: string): [string, LoraDelta][] {
  const layers = adapted(model).filter(([, d]) => d.get(name));
  if (layers.length === 0) {
    const names = [...new Set(adapted(model).flatMap(([, d]) => d.names()))];
    throw new LoraError(`no adapter "${name}" (adapters: ${names.join(', ') || 'none'})`);
  }
  return layers;
}

/** Enables adapters with combination weights and disables every other one: `{ task: 1, negative: -0.5 }`. */
export function setAdapters(model: Module, weights: Record<string, number>): void {
  for (const name of Object.keys(weights)) requireAdapter(model, name);
  for (const [, d] of adapted(model)) {
    for (const n of d.names()) (d.get(n) as Adapter).weight = weights[n];
  }
}

export function enableAdapter(model: Module, name: string, weight = 1): void {
  for (const [, d] of requireAdapter(model, name)) (d.get(name) as Adapter).weight = weight;
}

export function disableAdapter(model: Module, name: string): void {
  for (const [, d] of requireAdapter(model, name)) (d.get(name) as Adapter).weight = undefined;
}

/** Enabled adapters and their weights. */
export function activeAdapters(model: Module): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [, d] of adapted(model)) {
    for (const n of d.names()) {
      const w = (d.get(n) as Adapter).weight;
      if (w !== undefined) out[n] = w;
    }
  }
  return out;
}

/** Excludes (or re-admits) one adapter's weights from parameters(), e.g. a fixed negative adapter. */
export function setAdapterTrainable(model: Module, name: string, trainable: boolean): void {
  for (const [path] of requireAdapter(model, name)) {
    model.setTrainable(`${path}.lora_A.${name}.weight`, trainable);
    model.setTrainable(`${path}.lora_B.${name}.weight`, trainable);
  }
}

/** Folds the adapter, at its current weight, into the base weights (faster inference). */
export function mergeAdapter(model: Module, name: string): void {
  for (const [path, d] of requireAdapter(model, name)) {
    const ad = d.get(name) as Adapter;
    const w = ad.weight ?? 0;
    if (ad.merged !== 0) throw new LoraError(`adapter "${name}" is already merged into ${path}`);
    const layer = linearAt(model, path);
    tf.tidy(() => layer.weight.assign(tf.add(layer.weight, tf.mul(d.update(name), w))));
    ad.merged = w;
  }
}

/** Undoes mergeAdapter. */
export function unmergeAdapter(model: Module, name: string): void {
  for (const [path, d] of requireAdapter(model, name)) {
    const ad = d.get(name) as Adapter;
    if (ad.merged === 0) continue;
    const layer = linearAt(model, path);
    tf.tidy(() => layer.weight.assign(tf.sub(layer.weight, tf.mul(d.update(name), ad.merged))));
    ad.merged = 0;
  }
}

function linearAt(model: Module, path: string): Linear {
  const found = linears(model).find(([p]) => p === path);
  if (!found) throw new LoraError(`no Linear layer at ${path}`);
  return found[1];
}

/** One adapter's weights under PEFT names (`<layer>.lora_A.weight`), ready for safetensors. */
export function adapterStateDict(model: Module, name: string): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [path, d] of requireAdapter(model, name)) {
    const ad = d.get(name) as Adapter;
    out.set(`base_model.model.${path}.lora_A.weight`, ad.a);
    out.set(`base_model.model.${path}.lora_B.weight`, ad.b);
  }
  return out;
}

/** Loads weights saved by adapterStateDict into an existing adapter of the same shapes. */
export function loadAdapterStateDict(model: Module, name: string, tensors: Map<string, tf.Tensor>, source = 'adapter'): void {
  const layers = requireAdapter(model, name);
  for (const [path, d] of layers) {
    const ad = d.get(name) as Adapter;
    for (const [part, v] of [['lora_A', ad.a], ['lora_B', ad.b]] as const) {
      const key = `base_model.model.${path}.${part}.weight`;
      const t = tensors.get(key);
      if (!t) throw new LoraError(`${source}: missing tensor "${key}"`);
      if (t.shape.join() !== v.shape.join()) throw new LoraError(`${source}: tensor "${key}" has shape [${t.shape}] but the adapter expects [${v.shape}]`);
      v.assign(t);
    }
  }
}
