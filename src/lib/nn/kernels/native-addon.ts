// Loads the optional BLAS addon (native/retort_blas.c, built at install time by
// native/build.mjs). Absence is normal: callers get { ok: false, reason } and use wasm.
// RETORT_NO_BLAS=1 makes it absent on purpose (tests of the fallback path);
// RETORT_BLAS_ADDON=<file> points at a build elsewhere.
import { addonLoader, type AddonStatus as NativeStatus } from '../native-loader.js';

export interface BlasAddon {
  gemmBatch(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, strideA: number, strideB: number,
    m: number, n: number, k: number, transA: boolean, transB: boolean): void;
  /** gemmBatch plus bias [n] on every row (accumulated onto by sgemm); absent from older builds, as the rest below. */
  gemmBatchBias?(a: Float32Array, b: Float32Array, c: Float32Array, bias: Float32Array, batch: number, strideA: number,
    strideB: number, m: number, n: number, k: number, transA: boolean, transB: boolean): void;
  /** out[j] += Σ_i x[i·n + j]: the gradient of a bias over rows of n. */
  columnSums?(x: Float32Array, out: Float32Array, n: number): void;
  /** The AdamW step of ./ops.ts in C, the same bits. */
  adamw?(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, pOut: Float32Array, mOut: Float32Array,
    vOut: Float32Array, beta1: number, beta2: number, eps: number, decay: number, stepSize: number, bc2Sqrt: number): void;
  /** The layer norm loops of ./ops.ts in C, the same bits. */
  layerNorm?(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, d: number, eps: number): void;
  layerNormGrad?(dy: Float32Array, x: Float32Array, gamma: Float32Array, dx: Float32Array, dgamma: Float32Array,
    dbeta: Float32Array, d: number, eps: number): void;
  /** y = GELU(x) and dx = dy·GELU'(x), the formula of ./ops.ts in C; absent from addons built before them. */
  gelu?(x: Float32Array, y: Float32Array): void;
  geluGrad?(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  setThreads(n: number): void;
  threads(): number;
  config(): string;
}

export type AddonStatus = NativeStatus<BlasAddon>;

/** One function of the addon, bound to it; undefined without the addon or in an older build that lacks it. */
export function blasAddonFunction<K extends keyof BlasAddon>(name: K): NonNullable<BlasAddon[K]> | undefined {
  const loaded = loadBlasAddon();
  if (!loaded.ok) return undefined;
  const fn: unknown = loaded.addon[name];
  return typeof fn === 'function' ? (fn.bind(loaded.addon) as NonNullable<BlasAddon[K]>) : undefined;
}

export const loadBlasAddon: () => AddonStatus = addonLoader<BlasAddon>({
  folder: 'kernels', file: 'retort_blas.node', offVar: 'RETORT_NO_BLAS', pathVar: 'RETORT_BLAS_ADDON',
  needs: 'a C compiler and libopenblas-dev',
  // One thread unless asked: Retort runs nodes in parallel, and a thread pool per node oversubscribes.
  init: (addon) => addon.setThreads(Math.max(1, Number(process.env.RETORT_BLAS_THREADS ?? '1') || 1)),
});
