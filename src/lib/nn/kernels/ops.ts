// Fused ops for transformer layers, each one kernel forward and one backward instead of the
// 6–15 small kernels (and as many temporaries) that composing tf ops costs. Registered on the
// cpu and wasm backends and on any backend named in `registerFusedKernels`; on other backends
// (tfjs-node, webgl) the same functions fall back to stock tf ops with the same numerics.
//
//   layerNorm(x [rows, d], gamma [d], beta [d], eps) → [rows, d]
//   gelu(x [...]) → same shape, the exact (erf) form, as torch.nn.functional.gelu
//   adamwUpdate(param, grad, m, v, hyper) → new {param, m, v}: one pass instead of ~13 ops
//   columnSums(x [rows, n]) → [n], the gradient of a bias: one pass over contiguous rows (wasm's
//     Sum over axis 0 transposes first)
import * as tf from '@tensorflow/tfjs';
import { floatKernel, registerFloatKernel } from './float-kernel.js';
import { blasAddonFunction } from './native-addon.js';

const LAYER_NORM = 'RetortLayerNorm';
const LAYER_NORM_GRAD = 'RetortLayerNormGrad';
const GELU = 'RetortGelu';
const GELU_GRAD = 'RetortGeluGrad';
const ADAMW = 'RetortAdamW';
const COLUMN_SUMS = 'RetortColumnSums';

// Φ(v), the standard normal CDF, given e = exp(−v²/2), by Abramowitz & Stegun 7.1.26 for
// erf(|v|/√2) (absolute error < 1.5e-7 in erf, under float32 resolution of Φ near 1). Taking the
// exponential as an argument lets GELU's gradient use one exp for both Φ(v) and φ(v), which
// halves the cost of that kernel (the exp dominates both).
function phiFromExp(v: number, e: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(v) * Math.SQRT1_2);
  const tail = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * e;
  return v >= 0 ? 1 - 0.5 * tail : 0.5 * tail;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** y = layer norm of x over rows of d (the JavaScript loop; exported so tests can hold the C one to it). */
export function layerNormValues(x: Float32Array, g: Float32Array, b: Float32Array, y: Float32Array, d: number, eps: number): void {
  for (let o = 0; o < x.length; o += d) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[o + j]!;
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) { const c = x[o + j]! - mean; v += c * c; }
    const rstd = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) y[o + j] = (x[o + j]! - mean) * rstd * g[j]! + b[j]!;
  }
}

// dx = rstd * (dy·g − mean(dy·g) − x̂ · mean(dy·g · x̂)); dgamma += Σ dy·x̂; dbeta += Σ dy.
export function layerNormGradValues(dy: Float32Array, x: Float32Array, g: Float32Array,
  dx: Float32Array, dg: Float32Array, db: Float32Array, d: number, eps: number): void {
  const xhat = new Float32Array(d);
  for (let o = 0; o < x.length; o += d) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[o + j]!;
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) { const c = x[o + j]! - mean; v += c * c; }
    const rstd = 1 / Math.sqrt(v / d + eps);
    let sumG = 0, sumGX = 0;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j]! - mean) * rstd;
      xhat[j] = xh;
      const gy = dy[o + j]! * g[j]!;
      sumG += gy;
      sumGX += gy * xh;
      dg[j]! += dy[o + j]! * xh;
      db[j]! += dy[o + j]!;
    }
    sumG /= d;
    sumGX /= d;
    for (let j = 0; j < d; j++) dx[o + j] = rstd * (dy[o + j]! * g[j]! - sumG - xhat[j]! * sumGX);
  }
}

// The same loops in C when the addon has them (the same bits, several times faster).
const nativeLayerNorm = (() => {
  const forward = blasAddonFunction('layerNorm');
  const backward = blasAddonFunction('layerNormGrad');
  return forward && backward ? { forward, backward } : undefined;
})();

// x [..., d] with gamma [d]: d is the last axis of x, so x has one (layerNorm's callers pass rank ≥ 1).
const layerNormKernel = floatKernel({
  name: LAYER_NORM,
  overwrites: true,
  inputs: ['x', 'gamma', 'beta'],
  outputShapes: ([x]) => [x],
  compute([x, g, b], [y], [shape], attrs) {
    const d = shape[shape.length - 1]!, eps = attrs.eps as number;
    if (nativeLayerNorm) nativeLayerNorm.forward(x, g, b, y, d, eps);
    else layerNormValues(x, g, b, y, d, eps);
  },
});

const layerNormGradKernel = floatKernel({
  name: LAYER_NORM_GRAD,
  inputs: ['dy', 'x', 'gamma'],
  outputShapes: ([x, , g]) => [x, g, g],
  compute([dy, x, g], [dx, dg, db], [shape], attrs) {
    const d = shape[shape.length - 1]!, eps = attrs.eps as number;
    if (nativeLayerNorm) nativeLayerNorm.backward(dy, x, g, dx, dg, db, d, eps);
    else layerNormGradValues(dy, x, g, dx, dg, db, d, eps);
  },
});

/** y = x·Φ(x), elementwise (the JavaScript loop; exported so tests can hold the C one to it). */
export function geluValues(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v * phiFromExp(v, Math.exp(-0.5 * v * v));
  }
}

/** dx = dy·(Φ(x) + x·φ(x)), d/dx of x·Φ(x), elementwise. */
export function geluGradValues(dy: Float32Array, x: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const e = Math.exp(-0.5 * v * v);
    dx[i] = dy[i]! * (phiFromExp(v, e) + v * INV_SQRT_2PI * e);
  }
}

// The same loops in C when the optional addon has them (about twice as fast; same formula).
const nativeGelu = (() => {
  const gelu = blasAddonFunction('gelu');
  const geluGrad = blasAddonFunction('geluGrad');
  return gelu && geluGrad ? { gelu, geluGrad } : undefined;
})();

const geluKernel = floatKernel({
  name: GELU,
  overwrites: true,
  inputs: ['x'],
  outputShapes: ([x]) => [x],
  compute: ([x], [y]) => (nativeGelu ? nativeGelu.gelu(x, y) : geluValues(x, y)),
});

const geluGradKernel = floatKernel({
  name: GELU_GRAD,
  overwrites: true,
  inputs: ['dy', 'x'],
  outputShapes: ([dy]) => [dy],
  compute: ([dy, x], [dx]) => (nativeGelu ? nativeGelu.geluGrad(dy, x, dx) : geluGradValues(dy, x, dx)),
});

// AdamW, decoupled decay, torch's order of operations:
//   p ← p·decay;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − stepSize · m / (√v / bc2Sqrt + eps)
/** One AdamW step over flat arrays (the JavaScript loop; exported so tests can hold the C one to it). */
export function adamwValues(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  po: Float32Array, mo: Float32Array, vo: Float32Array, h: AdamWHyper): void {
  const { beta1, beta2, eps, decay, stepSize, bc2Sqrt } = h;
  const c1 = 1 - beta1, c2 = 1 - beta2;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + c1 * gi;
    const vi = beta2 * v[i]! + c2 * gi * gi;
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i]! * decay - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}

// The same step in C when the addon has it: the embedding table makes this loop a large share
// of a small step (1M parameters at the reference size), and C runs it several times faster.
const nativeAdamw = blasAddonFunction('adamw');

const adamwKernel = floatKernel({
  name: ADAMW,
  overwrites: true,
  inputs: ['param', 'grad', 'm', 'v'],
  outputShapes: ([p]) => [p, p, p],
  compute([p, g, m, v], [po, mo, vo], _shapes, a) {
    const h = a as unknown as AdamWHyper;
    if (nativeAdamw === undefined) return adamwValues(p, g, m, v, po, mo, vo, h);
    nativeAdamw(p, g, m, v, po, mo, vo, h.beta1, h.beta2, h.eps, h.decay, h.stepSize, h.bc2Sqrt);
  },
});

const nativeColumnSums = blasAddonFunction('columnSums');

// x [rows, n] (columnSums takes a Tensor2D): the last axis exists.
const columnSumsKernel = floatKernel({
  name: COLUMN_SUMS,
  inputs: ['x'],
  outputShapes: ([x]) => [[x[x.length - 1]!]],
  compute([x], [out]) {
    const n = out.length;
    if (nativeColumnSums !== undefined) return nativeColumnSums(x, out, n);
    for (let o = 0; o < x.length; o += n) for (let j = 0; j < n; j++) out[j]! += x[o + j]!;
  },
});

const registeredOn = new Set<string>();
let gradientsRegistered = false;

/** Registers the fused kernels on `backendName` (cpu-like or wasm memory) and their gradients. */
export function registerFusedKernels(backendName: string): void {
  if (!gradientsRegistered) {
    tf.registerGradient({
      kernelName: LAYER_NORM,
      inputsToSave: ['x', 'gamma'],
      gradFunc: (dy, saved, attrs) => {
        const [x, gamma] = saved as [tf.Tensor, tf.Tensor]; // inputsToSave
        const grads = tf.engine().runKernel(LAYER_NORM_GRAD, { dy: dy as tf.Tensor, x, gamma }, attrs as tf.NamedAttrMap);
        const [dx, dg, db] = grads as [tf.Tensor, tf.Tensor, tf.Tensor];
        return { x: () => dx, gamma: () => dg, beta: () => db };
      },
    });
    tf.registerGradient({
      kernelName: GELU,
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => ({ x: () => tf.engine().runKernel(GELU_GRAD, { dy: dy as tf.Tensor, x: saved[0]! }) as tf.Tensor }),
    });
    gradientsRegistered = true;
  }
  for (const k of [layerNormKernel, layerNormGradKernel, geluKernel, geluGradKernel, adamwKernel, columnSumsKernel]) registerFloatKernel(k, backendName);
  registeredOn.add(backendName);
}

registerFusedKernels('cpu');
registerFusedKernels('wasm');

const fusedHere = () => registeredOn.has(tf.getBackend());

/** Layer normalisation over the last axis. x [..., d], gamma/beta [d] → [..., d]. */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T {
  if (fusedHere()) return tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { eps }) as T;
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(variance.add(eps).rsqrt()).mul(gamma).add(beta) as T;
  });
}

/** GELU, exact form x·Φ(x). Any shape. */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (fusedHere()) return tf.engine().runKernel(GELU, { x }) as T;
  return tf.tidy(() => x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5) as T);
}

/** Σ over rows of x [rows, n] → [n] (no gradient of its own: it is itself a gradient). */
export function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  if (fusedHere() && x.dtype === 'float32') return tf.engine().runKernel(COLUMN_SUMS, { x }) as tf.Tensor1D;
  return tf.sum(x, 0);
}

/** Per-step constants of an AdamW update (decay = 1 − lr·weightDecay, or 1 without decay). */
export interface AdamWHyper {
  beta1: number;
  beta2: number;
  eps: number;
  decay: number;
  /** lr / (1 − β1^step) */
  stepSize: number;
  /** √(1 − β2^step) */
  bc2Sqrt: number;
}

/**
 * One AdamW update of one parameter: returns the new parameter and moments (the caller assigns
 * them to its variables). One kernel on cpu, wasm and blas; stock ops elsewhere.
 */
export function adamwUpdate(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamWHyper): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  if (fusedHere() && grad.dtype === 'float32') {
    const [p2, m2, v2] = tf.engine().runKernel(ADAMW, { param, grad, m, v }, { ...h }) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return { param: p2, m: m2, v: v2 };
  }
  return tf.tidy(() => {
    const p = h.decay === 1 ? param : tf.mul(param, h.decay);
    const m2 = tf.add(tf.mul(m, h.beta1), tf.mul(grad, 1 - h.beta1));
    const v2 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.mul(grad, grad), 1 - h.beta2));
    const denom = tf.add(tf.div(tf.sqrt(v2), h.bc2Sqrt), h.eps);
    return { param: tf.sub(p, tf.mul(tf.div(m2, denom), h.stepSize)), m: m2, v: v2 };
  });
}
