// Backend set-up for the nn benches: wasm from node_modules (offline) with its own matmuls
// (`wasm`) or with OpenBLAS matmuls on its heap (`wasm-openblas`, what initBackend() picks when
// the addon is built), cpu, and the BLAS-backed cpu backend of src/lib/nn/kernels.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerWasmSegmentSum } from '../../src/lib/nn/kernels/wasm-segment-sum.js';
import { registerBlasBackend } from '../../src/lib/nn/kernels/blas-backend.js';
import { registerWasmBlasMatMul, unregisterWasmBlasMatMul, wasmMatMulPath } from '../../src/lib/nn/kernels/wasm-blas-matmul.js';
import { registerWasmCopyKernels } from '../../src/lib/nn/kernels/wasm-copy-kernels.js';

const require = createRequire(import.meta.url);

export async function availableBackends(): Promise<string[]> {
  const names = wasmMatMulPath() === 'openblas' ? ['wasm-openblas', 'wasm'] : ['wasm'];
  if (registerBlasBackend().ok) names.push('blas');
  names.push('cpu');
  return names;
}

export async function useBackend(name: string): Promise<void> {
  let tfName = name;
  if (name === 'wasm' || name === 'wasm-openblas') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    registerWasmSegmentSum();
    tfName = 'wasm';
  } else if (name === 'blas') {
    const r = registerBlasBackend();
    if (!r.ok) throw new Error(`blas backend unavailable: ${r.reason}`);
  }
  if (!(await tf.setBackend(tfName))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  if (tfName === 'wasm') registerWasmCopyKernels();
  if (name === 'wasm-openblas') {
    const r = registerWasmBlasMatMul();
    if (!r.ok) throw new Error(`OpenBLAS matmuls unavailable: ${r.reason}`);
  } else if (name === 'wasm') {
    unregisterWasmBlasMatMul();
  }
}
