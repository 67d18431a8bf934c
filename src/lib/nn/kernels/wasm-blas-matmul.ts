// Matrix products of the wasm backend through the optional OpenBLAS addon. The wasm backend keeps
// every tensor in its heap, so sgemm reads and writes it in place: Float32Array views of the
// heap at the tensors' offsets, no copy. The output is allocated before any view is taken,
// because allocating may grow the heap and detach earlier views. Shapes the addon cannot express
// (partial batch broadcasting, non-float inputs, _FusedMatMul epilogues other than bias + relu)
// go to the wasm backend's own kernel; without the addon nothing is registered at all.
//
// Gradients need nothing here: tfjs differentiates BatchMatMul and _FusedMatMul into more
// BatchMatMuls (with transposed operands, which sgemm takes as flags), and those land here too.
import * as tf from '@tensorflow/tfjs';
import { BLAS_BACKEND } from './blas-backend.js';
import { loadBlasAddon, type BlasAddon } from './native-addon.js';
import { planGemm, runGemmEpilogue, simpleEpilogue } from './gemm-plan.js';

type WasmBackend = tf.KernelBackend & {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
};
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

type MatMulKernel = 'BatchMatMul' | '_FusedMatMul';
const empty = (t: tf.TensorInfo) => t.shape.some((d) => d === 0);

/** a · b (+ bias over the last axis, then relu) on the wasm heap, or null when the stock kernel must do it. */
function heapMatMul(addon: BlasAddon, backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo,
  transposeA: boolean, transposeB: boolean, bias?: tf.TensorInfo, relu = false): tf.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || empty(a) || empty(b)) return null;
  const plan = planGemm(a.shape, b.shape, transposeA, transposeB);
  if (plan === null) return null;
  const out = backend.makeOutput(plan.outShape, 'float32'); // first: it may grow the heap
  const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t);
  runGemmEpilogue(addon, plan, view(a), view(b), view(out), bias === undefined ? undefined : view(bias), relu);
  return out;
}

function kernelsFor(addon: BlasAddon, stock: Record<MatMulKernel, tf.KernelConfig>): tf.KernelConfig[] {
  const batchMatMul = (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    return heapMatMul(addon, args.backend as WasmBackend, a, b, transposeA, transposeB) ?? stock.BatchMatMul.kernelFunc(args as never);
  };
  const fusedMatMul = (args: KernelArgs) => {
    const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
    const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string };
    const backend = args.backend as WasmBackend;
    const n = b.shape.at(transposeB ? -2 : -1);
    if (n === undefined || !simpleEpilogue(bias, n, activation)) return stock._FusedMatMul.kernelFunc(args as never);
    return heapMatMul(addon, backend, a, b, transposeA, transposeB, bias, activation === 'relu') ?? stock._FusedMatMul.kernelFunc(args as never);
  };
  // The stock setup functions bind the wasm entry points the fallbacks call; keep them.
  return [
    { ...stock.BatchMatMul, kernelFunc: batchMatMul as tf.KernelFunc },
    { ...stock._FusedMatMul, kernelFunc: fusedMatMul as tf.KernelFunc },
  ];
}

export type WasmBlasStatus = { ok: true } | { ok: false; reason: string };
let status: WasmBlasStatus | undefined;
let stockKernels: tf.KernelConfig[] | undefined;

/**
 * Routes the wasm backend's matmuls through OpenBLAS when the addon loads (idempotent). Call it
 * after '@tensorflow/tfjs-backend-wasm' is imported; the kernels take effect at once.
 */
export function registerWasmBlasMatMul(): WasmBlasStatus {
  if (status !== undefined) return status;
  const loaded = loadBlasAddon();
  if (!loaded.ok) return (status = { ok: false, reason: loaded.reason });
  const batch = tf.getKernel('BatchMatMul', 'wasm'), fused = tf.getKernel('_FusedMatMul', 'wasm');
  if (batch === undefined || fused === undefined) return { ok: false, reason: 'the wasm backend is not loaded' }; // not cached: may load later
  stockKernels = [batch, fused];
  for (const k of kernelsFor(loaded.addon, { BatchMatMul: batch, _FusedMatMul: fused })) {
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  return (status = { ok: true });
}

/** Puts the wasm backend's own matmuls back (tests compare the two paths in one process). */
export function unregisterWasmBlasMatMul(): void {
  if (stockKernels === undefined) return;
  for (const k of stockKernels) {
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  stockKernels = undefined;
  status = undefined;
}

/**
 * Whether the current backend's matmuls are sgemm calls that take transposed operands as flags
 * (wasm with these kernels registered, or the 'blas' backend): then an explicit transpose before
 * a product only adds a copy. Elsewhere (tfjs-wasm's own kernels above all) a transposed operand
 * is slow and layers transpose first.
 */
export function transposesAreFlags(): boolean {
  const backend = tf.getBackend();
  return (backend === 'wasm' && stockKernels !== undefined) || backend === BLAS_BACKEND;
}

/** Whether wasm matmuls would go through OpenBLAS in this process, without registering anything. */
export function wasmMatMulPath(): 'openblas' | 'wasm' {
  return loadBlasAddon().ok ? 'openblas' : 'wasm';
}
