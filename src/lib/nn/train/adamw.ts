// AdamW (Loshchilov & Hutter): Adam with weight decay applied to the weights directly, not mixed
// into the gradient. The update is the one of torch.optim.AdamW (amsgrad off), step for step:
//   p ← p · (1 − lr·wd)                          (skipped for names excluded from decay)
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
// with t counted per parameter (a parameter without a gradient in a step is left untouched).

import * as tf from '@tensorflow/tfjs';
import { adamwUpdate } from '../kernels/ops.js';

export interface AdamWOptions {
  /** Used when step() is given no learning rate (a schedule usually gives one). Default 1e-3. */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay; default 0.01 (as torch). */
  weightDecay?: number;
  /** Names that get no weight decay; default: biases and normalisation weights (defaultNoDecay). */
  noDecay?: (name: string, variable: tf.Variable) => boolean;
}

/** Optimizer state for a checkpoint: moment tensors by name, and per-parameter step counts. */
export interface AdamWState {
  steps: Record<string, number>;
  /** `exp_avg.<param>` and `exp_avg_sq.<param>` (torch's names). */
  tensors: Map<string, tf.Tensor>;
}

/**
 * Biases and LayerNorm/RMSNorm weights: a last name part `bias`, or a part naming a norm
 * (`LayerNorm`, `layer_norm`, `norm`, `ln_1`, `ln_f`, `input_layernorm`, `rms_norm`, …).
 */
export function defaultNoDecay(name: string): boolean {
  const parts = name.split('.');
  if (parts[parts.length - 1] === 'bias') return true;
  return parts.some((p) => /norm/i.test(p) || /^ln(_?[0-9a-z]*)?$/i.test(p));
}

/** A non-trainable zero variable shaped like `like` (the initial tensor is freed: a variable keeps its own reference). */
function zerosVariable(like: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(like);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}

interface Slot {
  param: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  step: number;
  decay: boolean;
}

export class AdamW {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly slots = new Map<string, Slot>();

  constructor(params: Map<string, tf.Variable>, opts: AdamWOptions = {}) {
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    for (const [what, value, ok] of [
      ['lr', this.lr, this.lr >= 0], ['beta1', this.beta1, this.beta1 >= 0 && this.beta1 < 1], ['beta2', this.beta2, this.beta2 >= 0 && this.beta2 < 1],
      ['eps', this.eps, this.eps >= 0], ['weightDecay', this.weightDecay, this.weightDecay >= 0],
    ] as const) {
      if (!ok || !Number.isFinite(value)) throw new Error(`AdamW: invalid ${what} ${value}`);
    }
    const noDecay = opts.noDecay ?? defaultNoDecay;
    for (const [name, param] of params) {
      if (param.dtype !== 'float32') throw new Error(`AdamW: parameter "${name}" is ${param.dtype}; only float32 parameters can be optimised`);
      this.slots.set(name, {
        param,
        m: zerosVariable(param),
        v: zerosVariable(param),
        step: 0,
        decay: this.weightDecay > 0 && !noDecay(name, param),
      });
    }
  }

  /** Names that receive weight decay. */
  decayed(): string[] {
    return [...this.slots].filter(([, s]) => s.decay).map(([n]) => n);
  }

  /** One update from `grads` (by parameter name). Unknown names are an error; missing ones are skipped. */
  step(grads: Map<string, tf.Tensor>, lr: number = this.lr): void {
    for (const name of grads.keys()) if (!this.slots.has(name)) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
    for (const [name, slot] of this.slots) {
      const g = grads.get(name);
      if (!g) continue;
      slot.step++;
      const bc1 = 1 - this.beta1 ** slot.step;
      const bc2Sqrt = Math.sqrt(1 - this.beta2 ** slot.step);
      const stepSize = lr / bc1;
      tf.tidy(() => {
        // One kernel per parameter where the backend has it (about 13 small ops otherwise).
        const next = adamwUpdate(slot.param, g, slot.m, slot.v, {
          beta1: this.beta1, beta2: this.beta2, eps: this.eps, stepSize, bc2Sqrt,
          decay: slot.decay ? 1 - lr * this.weightDecay : 1,
        });
        slot.m.assign(next.m);
        slot.v.assign(next.v);
        slot.param.assign(next.param);
      });
    }
  }

  /** The optimizer's own tensors (not copies: read them, do not dispose them). */
  state(): AdamWState {
    const steps: Record<string, number> = {};
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, s] of this.slots) {
      steps[name] = s.step;
      tensors.set(`exp_avg.${name}`, s.m);
      tensors.set(`exp_avg_sq.${name}`, s.v);
    }
    return { steps, tensors };
  }

  /** Restores a state() (e.g. from a checkpoint); every parameter must be present with its shape. */
  loadState(state: AdamWState): void {
    // Everything is checked before anything is assigned, so a bad state leaves the optimizer as it was.
    const checked = [...this.slots].map(([name, s]) => {
      const step = state.steps[name];
      if (step === undefined || !Number.isInteger(step) || step < 0) throw new Error(`AdamW state: no step count for "${name}"`);
      const [m, v] = ([[`exp_avg.${name}`, s.m], [`exp_avg_sq.${name}`, s.v]] as const).map(([key, target]) => {
        const t = state.tensors.get(key);
        if (!t) throw new Error(`AdamW state: missing tensor "${key}"`);
        if (!tf.util.arraysEqual(t.shape, target.shape)) throw new Error(`AdamW state: "${key}" has shape [${t.shape}] but the parameter has [${target.shape}]`);
        return t;
      }) as [tf.Tensor, tf.Tensor];
      return { s, step, m, v };
    });
    for (const { s, step, m, v } of checked) {
      s.m.assign(m);
      s.v.assign(v);
      s.step = step;
    }
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }
}
