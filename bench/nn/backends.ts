// Backend set-up for the nn benches: wasm from node_modules (offline), cpu, and the BLAS-backed
// backend of src/lib/nn/kernels when its native addon is built.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerWasmSegmentSum } from '../../src/lib/nn/kernels/wasm-segment-sum.js';
import { registerBlasBackend } from '../../src/lib/nn/kernels/blas-backend.js';

const require = createRequire(import.meta.url);

export async function availableBackends(): Promise<string[]> {
  const names = ['wasm'];
  if (registerBlasBackend().ok) names.push('blas');
  names.push('cpu');
  return names;
}

export async function useBackend(name: string): Promise<void> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    registerWasmSegmentSum();
  } else if (name === 'blas') {
    const r = registerBlasBackend();
    if (!r.ok) throw new Error(`blas backend unavailable: ${r.reason}`);
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}
