// A tfjs backend named 'blas': tfjs's cpu backend (every one of its kernels) with the matrix
// products replaced by CBLAS sgemm from the optional native addon, the cpu kernels that a
// training step spends most time in replaced by tight loops (./host-kernels.ts: broadcasting
// binary ops, Softmax, Transpose, Sum over contiguous axes, row GatherV2 and its gradient), plus the fused
// transformer kernels of ./ops.ts. Registered only when the addon loaded; otherwise callers use wasm.
import * as tf from '@tensorflow/tfjs';
import { loadBlasAddon, type BlasAddon } from './native-addon.js';
import { registerFloatKernel } from './float-kernel.js';
import { binaryKernels, contiguousSum, gatherRows, softmaxKernel, transposeKernel } from './host-kernels.js';
import { registerFusedKernels } from './ops.js';
import { planGemm, runGemmEpilogue, simpleEpilogue } from './gemm-plan.js';

export const BLAS_BACKEND = 'blas';

type CpuBackend = tf.KernelBackend & {
  data: { get(id: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  disposeIntermediateTensorInfo(t: tf.TensorInfo): void;
};
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

const product = (s: number[]) => s.reduce((p, v) => p * v, 1);
const values = (b: CpuBackend, t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;

/**
 * a [..., m, k] · b [..., k, n] → [..., m, n] (transposes as attributes; + bias [n], then relu),
 * or null if not handled here.
 */
function blasMatMul(addon: BlasAddon, backend: CpuBackend, a: tf.TensorInfo, b: tf.TensorInfo,
  transposeA: boolean, transposeB: boolean, bias?: tf.TensorInfo, relu = false): tf.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const plan = planGemm(a.shape, b.shape, transposeA, transposeB);
  if (plan === null) return null;
  const out = new Float32Array(product(plan.outShape));
  runGemmEpilogue(addon, plan, values(backend, a), values(backend, b), out, bias === undefined ? undefined : values(backend, bias), relu);
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
}

function registerOverrides(addon: BlasAddon): void {
  const stockBatchMatMul = tf.getKernel('BatchMatMul', 'cpu')!.kernelFunc;
  const stockFused = tf.getKernel('_FusedMatMul', 'cpu')!.kernelFunc;

  const batchMatMul = (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    return blasMatMul(addon, args.backend as CpuBackend, a, b, transposeA, transposeB) ?? stockBatchMatMul(args as never);
  };

  // Matmul, then a bias over the last axis and relu in place; other activations and bias
  // shapes are rare in this code base and go to the stock kernel.
  const fusedMatMul = (args: KernelArgs) => {
    const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
    const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string };
    const backend = args.backend as CpuBackend;
    const n = b.shape.at(transposeB ? -2 : -1);
    if (n === undefined || !simpleEpilogue(bias, n, activation)) return stockFused(args as never);
    return blasMatMul(addon, backend, a, b, transposeA, transposeB, bias, activation === 'relu') ?? stockFused(args as never);
  };

  const stockSum = tf.getKernel('Sum', 'cpu')!.kernelFunc;
  const sum = (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32' || x.shape.length === 0) return stockSum(args as never);
    const backend = args.backend as CpuBackend;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const r = axes.length === 0 ? null : contiguousSum(values(backend, x), x.shape, axes);
    if (r === null) return stockSum(args as never);
    const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return backend.makeTensorInfo(shape, 'float32', r.out);
  };

  const stockGather = tf.getKernel('GatherV2', 'cpu')!.kernelFunc;
  const gather = (args: KernelArgs) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const rows = x.shape[0];
    if (rows === undefined || x.dtype !== 'float32' || indices.dtype !== 'int32' || batchDims !== 0 || tf.util.parseAxisParam(axis, x.shape)[0] !== 0) {
      return stockGather(args as never);
    }
    const backend = args.backend as CpuBackend;
    const rowSize = product(x.shape.slice(1));
    const ids = backend.data.get(indices.dataId).values as Int32Array;
    const out = gatherRows(values(backend, x), rowSize, rows, ids);
    if (out === null) return stockGather(args as never);
    return backend.makeTensorInfo([...indices.shape, ...x.shape.slice(1)], 'float32', out);
  };

  // The gradient of tf.gather. The stock cpu kernel builds one mask per segment: O(vocabulary × rows).
  const stockSegmentSum = tf.getKernel('UnsortedSegmentSum', 'cpu')!.kernelFunc;
  const segmentSum = (args: KernelArgs) => {
    const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = args.attrs as { numSegments: number };
    if (x.dtype !== 'float32' || segmentIds.dtype !== 'int32' || segmentIds.shape.length !== 1) return stockSegmentSum(args as never);
    const backend = args.backend as CpuBackend;
    const xv = values(backend, x), ids = backend.data.get(segmentIds.dataId).values as Int32Array;
    const row = product(x.shape.slice(1));
    const out = new Float32Array(numSegments * row);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id < 0 || id >= numSegments) continue; // as TensorFlow: out-of-range ids are dropped
      for (let j = 0, src = i * row, dst = id * row; j < row; j++) out[dst + j]! += xv[src + j]!;
    }
    return backend.makeTensorInfo([numSegments, ...x.shape.slice(1)], 'float32', out);
  };

  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: BLAS_BACKEND, kernelFunc: segmentSum as tf.KernelFunc });
  tf.registerKernel({ kernelName: 'Sum', backendName: BLAS_BACKEND, kernelFunc: sum as tf.KernelFunc });
  tf.registerKernel({ kernelName: 'GatherV2', backendName: BLAS_BACKEND, kernelFunc: gather as tf.KernelFunc });
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: BLAS_BACKEND, kernelFunc: batchMatMul as tf.KernelFunc });
  tf.registerKernel({ kernelName: '_FusedMatMul', backendName: BLAS_BACKEND, kernelFunc: fusedMatMul as tf.KernelFunc });
}

let status: { ok: true } | { ok: false; reason: string } | undefined;

/**
 * Registers the 'blas' backend if the addon loads (idempotent). The backend is a fresh instance
 * of tfjs's cpu backend class, so tensors, memory and every other kernel behave as on 'cpu'.
 */
export function registerBlasBackend(): { ok: true } | { ok: false; reason: string } {
  if (status !== undefined) return status;
  const loaded = loadBlasAddon();
  if (!loaded.ok) return (status = { ok: false, reason: loaded.reason });
  const cpu = tf.findBackend('cpu');
  if (cpu === null) return (status = { ok: false, reason: "tfjs's cpu backend is not registered" });
  const CpuClass = cpu.constructor as new () => tf.KernelBackend;
  // Priority 0: never picked by tfjs on its own; initBackend() chooses it explicitly.
  tf.registerBackend(BLAS_BACKEND, () => new CpuClass(), 0);
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (['BatchMatMul', '_FusedMatMul', 'Sum', 'GatherV2', 'UnsortedSegmentSum'].includes(k.kernelName)) continue;
    if (tf.getKernel(k.kernelName, BLAS_BACKEND) === undefined) tf.registerKernel({ ...k, backendName: BLAS_BACKEND });
  }
  registerOverrides(loaded.addon);
  for (const k of [softmaxKernel, transposeKernel, ...binaryKernels]) registerFloatKernel(k, BLAS_BACKEND, tf.getKernel(k.name, 'cpu')!.kernelFunc);
  registerFusedKernels(BLAS_BACKEND);
  return (status = { ok: true });
}
