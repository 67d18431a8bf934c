// Which TensorFlow.js backend runs the neural core, chosen once per process.
//
// Order: RETORT_TF_BACKEND when set; else tfjs-node-gpu, then tfjs-node when the user installed
// them (optional packages, loaded only then); else wasm, its .wasm files read from
// node_modules so nothing is fetched; else the pure-JS cpu backend. When the optional OpenBLAS addon
// was built at install time, wasm's matrix products run through it (in place on the wasm heap;
// RETORT_NO_BLAS=1 turns that off). `blas` (tfjs's cpu backend with OpenBLAS matrix products) is
// used only when forced: its elementwise kernels are still JavaScript, so it trains slower than wasm.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../plugin/api.js';
import { BLAS_BACKEND, registerBlasBackend } from './kernels/blas-backend.js';
import { registerWasmSegmentSum } from './kernels/wasm-segment-sum.js';
import { registerWasmBlasMatMul, wasmMatMulPath } from './kernels/wasm-blas-matmul.js';
import { registerWasmCopyKernels } from './kernels/wasm-copy-kernels.js';

export type BackendName = 'wasm' | 'cpu' | 'blas' | 'tensorflow' | 'tensorflow-gpu';

export interface BackendInfo {
  /** The backend tfjs reports after initialisation (`wasm`, `cpu`, `tensorflow`). */
  name: string;
  /** What was asked for: `tensorflow-gpu` registers as `tensorflow` in tfjs. */
  requested: BackendName;
  tfjsVersion: string;
  /** wasm only: whether the SIMD and the multi-threaded builds are in use. */
  simd?: boolean;
  threads?: boolean;
  /** wasm only: who multiplies matrices, the wasm kernels or OpenBLAS through the addon. */
  matmul?: 'wasm' | 'openblas';
  /** One line for a node's log. */
  summary: string;
}

export class BackendError extends NodeFailure {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

const KNOWN: BackendName[] = ['wasm', 'cpu', 'blas', 'tensorflow', 'tensorflow-gpu'];
const NATIVE_PACKAGE: Record<'tensorflow' | 'tensorflow-gpu', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const require = createRequire(import.meta.url);

function resolvable(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

function forcedBackend(): BackendName | undefined {
  const raw = process.env.RETORT_TF_BACKEND?.trim();
  if (!raw) return undefined;
  if (!(KNOWN as string[]).includes(raw)) {
    throw new BackendError(`RETORT_TF_BACKEND=${raw} is not a backend; use one of ${KNOWN.join(', ')}`);
  }
  return raw as BackendName;
}

/** The backend initBackend() would pick, without initialising anything. */
export function plannedBackend(): BackendName {
  const forced = forcedBackend();
  if (forced) return forced;
  if (resolvable(NATIVE_PACKAGE['tensorflow-gpu'])) return 'tensorflow-gpu';
  if (resolvable(NATIVE_PACKAGE.tensorflow)) return 'tensorflow';
  if (resolvable('@tensorflow/tfjs-backend-wasm')) return 'wasm';
  return 'cpu';
}

/**
 * For a plugin's `runtime`: the backend changes numerics, so it belongs in the node key. OpenBLAS
 * matmuls on wasm differ from wasm's own in the last bits only, but results are reproduced bit
 * for bit per key, so they are recorded too (only when in use: other keys stay as they were).
 */
export function backendRuntime(): Record<string, string> {
  const backend = plannedBackend();
  const out: Record<string, string> = { tfjs: tf.version.tfjs, tfBackend: backend };
  if (backend === 'wasm' && wasmMatMulPath() === 'openblas') out.tfMatmul = 'openblas';
  return out;
}

async function activateWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  wasm.setWasmPaths(`${dist}/`);
  if (!(await tf.setBackend('wasm'))) throw new BackendError(`the wasm backend failed to start (files in ${dist})`);
  registerWasmSegmentSum(); // so that tf.gather has a gradient on wasm too
  registerWasmCopyKernels(); // block-copy gather and split (exact)
  registerWasmBlasMatMul(); // a no-op without the addon
}

async function activateNative(which: 'tensorflow' | 'tensorflow-gpu'): Promise<void> {
  const pkg = NATIVE_PACKAGE[which];
  try {
    // require, not import(): both packages are CommonJS, and require finds them wherever
    // plannedBackend's require.resolve did (NODE_PATH included, which import() ignores).
    require(pkg);
  } catch (e) {
    // Installed but broken: an error, not a quiet fall-back to a slower backend the user did not choose.
    const why = (e as Error).message;
    throw new BackendError(forcedBackend()
      ? `RETORT_TF_BACKEND=${which} needs ${pkg}, which could not be loaded: ${why}`
      : `${pkg} is installed, so the ${which} backend was chosen, but it could not be loaded: ${why} (RETORT_TF_BACKEND=wasm chooses another)`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError(`${pkg} is installed but its backend failed to start`);
}

async function activate(name: BackendName): Promise<void> {
  if (name === 'wasm') return activateWasm();
  if (name === 'blas') {
    const registered = registerBlasBackend();
    if (!registered.ok) throw new BackendError(`RETORT_TF_BACKEND=blas: ${registered.reason}`);
    if (!(await tf.setBackend(BLAS_BACKEND))) throw new BackendError('the blas backend failed to start');
    return;
  }
  if (name === 'cpu') {
    if (!(await tf.setBackend('cpu'))) throw new BackendError('the cpu backend failed to start');
    return;
  }
  return activateNative(name);
}

let chosen: Promise<BackendInfo> | undefined;

/** Picks and starts the backend (once per process; later calls return the same answer). */
export function initBackend(): Promise<BackendInfo> {
  chosen ??= (async () => {
    // Production mode silences tfjs's console advice (install tfjs-node, …), which would otherwise
    // land in every node's log; it changes no numerics.
    tf.env().set('PROD', true);
    const requested = plannedBackend();
    try {
      await activate(requested);
    } catch (e) {
      // Only an automatic wasm choice falls back; a forced or native choice that fails is an error.
      if (requested !== 'wasm' || forcedBackend()) throw e;
      await activate('cpu');
    }
    await tf.ready();
    return describe(requested);
  })();
  return chosen;
}

function describe(requested: BackendName): BackendInfo {
  const name = tf.getBackend();
  const info: BackendInfo = { name, requested, tfjsVersion: tf.version.tfjs, summary: '' };
  let extra = '';
  if (name === 'wasm') {
    info.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    info.threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    info.matmul = registerWasmBlasMatMul().ok ? 'openblas' : 'wasm';
    extra = `, SIMD ${info.simd ? 'on' : 'off'}, threads ${info.threads ? 'on' : 'off'}, matmuls ${info.matmul === 'openblas' ? 'OpenBLAS' : 'wasm'}`;
  }
  info.summary = `tfjs ${info.tfjsVersion}, backend ${name}${requested === 'tensorflow-gpu' ? ' (gpu)' : ''}${extra}`;
  return info;
}
