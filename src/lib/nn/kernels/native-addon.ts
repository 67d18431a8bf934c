// Loads the optional BLAS addon (native/retort_blas.c, built at install time by
// native/build.mjs). Absence is normal: callers get { ok: false, reason } and use wasm.
// RETORT_NO_BLAS=1 makes it absent on purpose (tests of the fallback path);
// RETORT_BLAS_ADDON=<file> points at a build elsewhere.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

export type AddonStatus = { ok: true; addon: BlasAddon; path: string } | { ok: false; reason: string };

const require = createRequire(import.meta.url);
let cached: AddonStatus | undefined;

/** Where the build script puts the addon: src/lib/nn/kernels/native/build under the package root. */
function candidatePaths(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = [join(here, 'native', 'build', 'retort_blas.node')];
  // Compiled code runs from dist/src/lib/nn/kernels; the addon stays next to its source.
  for (let dir = here, i = 0; i < 8; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      out.push(join(dir, 'src', 'lib', 'nn', 'kernels', 'native', 'build', 'retort_blas.node'));
      break;
    }
  }
  return out;
}

/** One function of the addon, bound to it; undefined without the addon or in an older build that lacks it. */
export function blasAddonFunction<K extends keyof BlasAddon>(name: K): NonNullable<BlasAddon[K]> | undefined {
  const loaded = loadBlasAddon();
  if (!loaded.ok) return undefined;
  const fn: unknown = loaded.addon[name];
  return typeof fn === 'function' ? (fn.bind(loaded.addon) as NonNullable<BlasAddon[K]>) : undefined;
}

export function loadBlasAddon(): AddonStatus {
  if (process.env.RETORT_NO_BLAS === '1') return { ok: false, reason: 'disabled by RETORT_NO_BLAS=1' };
  if (cached !== undefined) return cached;
  const paths = process.env.RETORT_BLAS_ADDON ? [process.env.RETORT_BLAS_ADDON] : candidatePaths();
  const path = paths.find((p) => existsSync(p));
  if (path === undefined) {
    cached = { ok: false, reason: 'addon not built (needs a C compiler and libopenblas-dev at npm install)' };
    return cached;
  }
  try {
    const addon = require(path) as BlasAddon;
    // One thread unless asked: Retort runs nodes in parallel, and a thread pool per node oversubscribes.
    addon.setThreads(Math.max(1, Number(process.env.RETORT_BLAS_THREADS ?? '1') || 1));
    cached = { ok: true, addon, path };
  } catch (e) {
    cached = { ok: false, reason: `addon failed to load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  return cached;
}
