// NAT — Negative Assistant Training (Li et al., AAAI 2024, "Turning Dust into Gold"; code
// Yiwei98/TDG, peft_NAT/tuners/lora.py), as methods.md §4.1 writes it. Each adapted Linear W gets
// two LoRA adapters and, in mode 'mix', the dynamic integration unit:
//
//   h_pos = Wx + s·B_pos A_pos drop(x)        h_neg = Wx + s·B_neg A_neg drop(x)       [n, out]
//   q = W_Q x,  k_pos = W_K h_pos,  k_neg = W_K h_neg                                  [n, dk]
//   v_pos = W_2 GELU(W_1 h_pos),  v_neg = W_2 GELU(W_1 h_neg)                          [n, out]
//   [a_pos, a_neg] = softmax([qᵀk_pos, qᵀk_neg] / T)           (T = 1, no √d scaling)
//   α_pos = a_pos + β,  α_neg = a_neg − β                      (β = 0.5: α_pos ∈ [0.5, 1.5], α_neg ∈ [−0.5, 0.5])
//   y = Wx + α_pos v_pos + α_neg v_neg
//
// The code writes the weights as alpha = 2β·a_neg − β, y = Wx + (1 − alpha) v_pos + alpha v_neg, the
// same thing. W_2 starts at zero, so at initialisation the layer outputs exactly Wx whatever the
// adapters hold; Δ_pos reaches the output only through v_pos. Modes: 'base' (Wx), 'neg'
// (Wx + s·B_neg A_neg x: stage 1, and p_neg for NCE), 'pos' (Wx + s·B_pos A_pos x) and 'mix'.
// W_K and W_1 read h, so they are [dk, out] (the code declares them [dk, in], equal for q/v_proj).
// The unit's products have no bias, as the equations have none.

import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../plugin/api.js';
import { gelu } from './layers/activations.js';
import { dropout, Mode, SeedStream } from './layers/dropout.js';
import { Linear, LinearDelta } from './layers/linear.js';
import { linearTransposed } from './layers/matmul.js';
import { Module } from './module.js';

export type NatMode = 'base' | 'neg' | 'pos' | 'mix';

export interface NatOptions {
  /** LoRA rank of both adapters (TDG: 8). */
  rank: number;
  /** LoRA alpha; the update is scaled by alpha / rank (TDG: 16, s = 2). */
  alpha: number;
  /** Dropout on the adapters' input while training (TDG: 0.05). */
  dropout?: number;
  /** Linear layers to adapt, matched like addLora's targets (TDG: q_proj, v_proj). */
  targets: (string | RegExp)[];
  /** Width of the unit's query/key/value space (TDG: 128). */
  unitDim?: number;
  /** The attention correction β (TDG: 0.5). */
  correction?: number;
  seed?: number;
}

export class NatError extends NodeFailure {
  constructor(message: string) {
    super(message);
    this.name = 'NatError';
  }
}

/** The corrected attention weights of the unit: α_pos = a_pos + β, α_neg = a_neg − β, each [n]. */
export function natWeights(scorePos: tf.Tensor1D, scoreNeg: tf.Tensor1D, correction = 0.5): { alphaPos: tf.Tensor1D; alphaNeg: tf.Tensor1D } {
  return tf.tidy(() => {
    const a = tf.softmax(tf.stack([scorePos, scoreNeg], 1)); // [n, 2], T = 1
    const [aPos, aNeg] = tf.unstack(a, 1) as [tf.Tensor1D, tf.Tensor1D];
    return { alphaPos: tf.add(aPos, correction), alphaNeg: tf.sub(aNeg, correction) };
  });
}

/** PyTorch's nn.Linear default (kaiming_uniform with a = √5): U(±1/√fan_in). */
function kaimingUniform(shape: [number, number], seed: number): tf.Tensor {
  const bound = 1 / Math.sqrt(shape[1]);
  return tf.randomUniform(shape, -bound, bound, 'float32', seed);
}

/** Both adapters and the integration unit of one Linear layer. */
export class NatDelta extends Module implements LinearDelta {
  mode: NatMode = 'mix';
  readonly scale: number;
  readonly aPos: tf.Variable; // [r, in]
  readonly bPos: tf.Variable; // [out, r]
  readonly aNeg: tf.Variable; // [r, in]
  readonly bNeg: tf.Variable; // [out, r]
  readonly wQ: tf.Variable; // [dk, in]
  readonly wK: tf.Variable; // [dk, out]
  readonly w1: tf.Variable; // [dk, out]
  readonly w2: tf.Variable; // [out, dk], zero at initialisation

  constructor(
    readonly layer: Linear,
    o: Required<Pick<NatOptions, 'rank' | 'alpha' | 'dropout' | 'unitDim' | 'correction'>>,
    seeds: SeedStream,
  ) {
    super();
    this.inStateDict = false;
    const { inFeatures: din, outFeatures: dout } = layer;
    const r = o.rank;
    this.scale = o.alpha / o.rank;
    this.aPos = this.param('lora_A.pos.weight', kaimingUniform([r, din], seeds.next()));
    this.bPos = this.param('lora_B.pos.weight', tf.zeros([dout, r]));
    this.aNeg = this.param('lora_A.neg.weight', kaimingUniform([r, din], seeds.next()));
    this.bNeg = this.param('lora_B.neg.weight', tf.zeros([dout, r]));
    this.wQ = this.param('nat.W_Q.weight', kaimingUniform([o.unitDim, din], seeds.next()));
    this.wK = this.param('nat.W_K.weight', kaimingUniform([o.unitDim, dout], seeds.next()));
    this.w1 = this.param('nat.W_1.weight', kaimingUniform([o.unitDim, dout], seeds.next()));
    this.w2 = this.param('nat.W_2.weight', tf.zeros([dout, o.unitDim]));
    this.dropoutRate = o.dropout;
    this.correction = o.correction;
  }

  private readonly dropoutRate: number;
  private readonly correction: number;

  active(): boolean {
    return this.mode !== 'base';
  }

  /** s · B A drop(x): [n, in] → [n, out]. */
  private lora(x: tf.Tensor2D, a: tf.Variable, b: tf.Variable, mode: Mode | undefined): tf.Tensor2D {
    const h = linearTransposed(dropout(x, this.dropoutRate, mode) as tf.Tensor2D, a as tf.Tensor2D); // [n, r]
    return tf.mul(linearTransposed(h, b as tf.Tensor2D), this.scale) as tf.Tensor2D; // [n, out]
  }

  /** What the layer adds to its own output Wx (`base`, [n, out]) for x [n, in]. */
  apply(x: tf.Tensor2D, mode: Mode | undefined, base: tf.Tensor2D): tf.Tensor2D {
    if (this.mode === 'neg') return this.lora(x, this.aNeg, this.bNeg, mode);
    if (this.mode === 'pos') return this.lora(x, this.aPos, this.bPos, mode);
    const hPos = tf.add(base, this.lora(x, this.aPos, this.bPos, mode)) as tf.Tensor2D; // [n, out]
    const hNeg = tf.add(base, this.lora(x, this.aNeg, this.bNeg, mode)) as tf.Tensor2D; // [n, out]
    const q = linearTransposed(x, this.wQ as tf.Tensor2D); // [n, dk]
    const scorePos = tf.sum(tf.mul(q, linearTransposed(hPos, this.wK as tf.Tensor2D)), 1) as tf.Tensor1D; // [n]
    const scoreNeg = tf.sum(tf.mul(q, linearTransposed(hNeg, this.wK as tf.Tensor2D)), 1) as tf.Tensor1D; // [n]
    const { alphaPos, alphaNeg } = natWeights(scorePos, scoreNeg, this.correction); // [n] each
    const value = (h: tf.Tensor2D) => linearTransposed(gelu(linearTransposed(h, this.w1 as tf.Tensor2D)) as tf.Tensor2D, this.w2 as tf.Tensor2D); // [n, out]
    return tf.add(tf.mul(value(hPos), alphaPos.expandDims(1)), tf.mul(value(hNeg), alphaNeg.expandDims(1))) as tf.Tensor2D;
  }
}

function matches(path: string, target: string | RegExp): boolean {
  if (typeof target !== 'string') return target.test(path);
  return path === target || path.endsWith(`.${target}`);
}

/** The NAT deltas of a model with their layer paths. */
export function natLayers(model: Module): [string, NatDelta][] {
  const out: [string, NatDelta][] = [];
  for (const [path, m] of model.namedModules()) if (m instanceof Linear && m.delta instanceof NatDelta) out.push([path, m.delta]);
  return out;
}

/** Adds NAT's adapters and unit to every Linear matching `targets`; returns their paths. Starts in stage 1. */
export function addNat(model: Module, options: NatOptions): string[] {
  if (!Number.isInteger(options.rank) || options.rank < 1) throw new NatError(`NAT rank must be a positive integer, got ${options.rank}`);
  const chosen = [...model.namedModules()].filter((e): e is [string, Linear] => e[1] instanceof Linear && options.targets.some((t) => matches(e[0], t)));
  if (chosen.length === 0) throw new NatError(`NAT targets ${options.targets.map(String).join(', ')} match no Linear layer`);
  const seeds = new SeedStream(options.seed ?? 0);
  const o = { rank: options.rank, alpha: options.alpha, dropout: options.dropout ?? 0, unitDim: options.unitDim ?? 128, correction: options.correction ?? 0.5 };
  for (const [path, layer] of chosen) {
    if (layer.delta) throw new NatError(`${path} already has adapters`);
    layer.attachDelta(new NatDelta(layer, o, seeds));
  }
  setNatStage(model, 1);
  return chosen.map(([p]) => p);
}

/** Switches every NAT layer's forward pass. */
export function setNatMode(model: Module, mode: NatMode): void {
  const layers = natLayers(model);
  if (layers.length === 0) throw new NatError('the model has no NAT layers (addNat first)');
  for (const [, d] of layers) d.mode = mode;
}

/**
 * Stage 1: mode 'neg', only LoRA_neg trains (on the negatives). Stage 2: mode 'mix', LoRA_neg is
 * frozen and LoRA_pos with the unit trains (on the positives). The base model stays frozen.
 */
export function setNatStage(model: Module, stage: 1 | 2): void {
  setNatMode(model, stage === 1 ? 'neg' : 'mix');
  const prefixes = natLayers(model).map(([p]) => `${p}.`);
  for (const name of model.variables().keys()) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    const part = prefix === undefined ? '' : name.slice(prefix.length); // e.g. "lora_A.neg.weight"
    const own = /^(lora_[AB]\.(pos|neg)|nat\.W_[QK12])\.weight$/.test(part);
    const neg = /^lora_[AB]\.neg\./.test(part);
    model.setTrainable(name, own && (stage === 1 ? neg : !neg));
  }
}
