// Wasm kernels that only move memory, done as block copies on the wasm heap: the stock ones
// copy element by element through generic index arithmetic, which made an embedding lookup
// ([4096] ids into an [8192, 128] table) cost as much as a [4096, 128] · [128, 512] matmul, and
// the Q/K/V split of attention as much as the matmul that produced it.
//
//   GatherV2 along axis 0 (embedding lookups): one row copy per id
//   SplitV along any axis: one contiguous block per (outer index, piece)
//   Identity: no copy at all, the output shares the input's memory (reference counted, as
//     Reshape on wasm and Identity on cpu already do). tfjs clones every tensor a gradient
//     saves through Identity, which was about 290 full copies per training step.
//
// Exact copies, so results are bit for bit those of the stock kernels; everything else
// (other axes, batch dims, non-float32 data, out-of-range ids) goes to the stock kernel, which
// also reports bad ids.
import * as tf from '@tensorflow/tfjs';

type WasmBackend = tf.KernelBackend & {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
};
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

const product = (s: number[]) => s.reduce((p, v) => p * v, 1);

function gatherRows(stock: tf.KernelFunc) {
  return (args: KernelArgs) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const rows = x.shape[0];
    if (x.dtype !== 'float32' || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0 || rows === undefined ||
      tf.util.parseAxisParam(axis, x.shape)[0] !== 0 || product(x.shape) === 0 || product(indices.shape) === 0) {
      return stock(args as never);
    }
    const backend = args.backend as WasmBackend;
    const row = product(x.shape.slice(1));
    const ids0 = backend.typedArrayFromHeap(indices);
    for (let i = 0; i < ids0.length; i++) if (ids0[i]! < 0 || ids0[i]! >= rows) return stock(args as never);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], 'float32'); // before the views
    const table = backend.typedArrayFromHeap(x) as Float32Array;
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    const y = backend.typedArrayFromHeap(out) as Float32Array;
    for (let i = 0; i < ids.length; i++) y.set(table.subarray(ids[i]! * row, (ids[i]! + 1) * row), i * row);
    return out;
  };
}

function splitBlocks(stock: tf.KernelFunc) {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    if (x.dtype !== 'float32' || product(x.shape) === 0) return stock(args as never);
    const backend = args.backend as WasmBackend;
    const [ax] = tf.util.parseAxisParam(axis, x.shape);
    if (ax === undefined) return stock(args as never);
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
    if (sizes.some((s) => s === 0)) return stock(args as never);
    const outer = product(x.shape.slice(0, ax)), inner = product(x.shape.slice(ax + 1));
    const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === ax ? s : d)), 'float32'));
    const src = backend.typedArrayFromHeap(x) as Float32Array;
    const rowIn = x.shape[ax]! * inner; // ax is an axis of x (parseAxisParam checked it)
    let offset = 0;
    outs.forEach((o, p) => {
      const y = backend.typedArrayFromHeap(o) as Float32Array;
      const block = sizes[p]! * inner; // outs has one entry per size
      for (let r = 0; r < outer; r++) y.set(src.subarray(r * rowIn + offset, r * rowIn + offset + block), r * block);
      offset += block;
    });
    return outs;
  };
}

function shareData(stock: tf.KernelFunc) {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return stock(args as never);
    (args.backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

let registered = false;

/** Replaces the wasm backend's GatherV2, SplitV and Identity (once; call after the wasm backend is imported). */
export function registerWasmCopyKernels(): void {
  if (registered) return;
  const gather = tf.getKernel('GatherV2', 'wasm');
  const split = tf.getKernel('SplitV', 'wasm');
  const identity = tf.getKernel('Identity', 'wasm');
  if (gather === undefined || split === undefined || identity === undefined) throw new Error('registerWasmCopyKernels: the wasm backend is not loaded');
  // The stock setup functions bind the wasm entry points the fallbacks call; keep them.
  const ours = [
    { ...gather, kernelFunc: gatherRows(gather.kernelFunc) as tf.KernelFunc },
    { ...split, kernelFunc: splitBlocks(split.kernelFunc) as tf.KernelFunc },
    { ...identity, kernelFunc: shareData(identity.kernelFunc) as tf.KernelFunc },
  ];
  for (const k of ours) {
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  registered = true;
}
