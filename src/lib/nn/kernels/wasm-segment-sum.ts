// UnsortedSegmentSum for the wasm backend, which ships without it. The gradient of an embedding
// gather is exactly this op (rows of dy summed into the rows of the table they came from), so
// without it no model with an embedding trains on wasm. ScatterNd with indices [n, 1] sums
// duplicate indices, which is the same computation; the kernel reuses the backend's own ScatterNd.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const [n] = segmentIds.shape;
  if (n === undefined || segmentIds.shape.length !== 1) {
    throw new Error(`UnsortedSegmentSum (wasm): segmentIds must be rank 1, got shape [${segmentIds.shape}]`);
  }
  const scatter = tf.getKernel('ScatterNd', 'wasm');
  if (scatter === undefined) throw new Error('UnsortedSegmentSum (wasm): the wasm backend has no ScatterNd kernel');
  // Same data, seen as [n, 1] indices: ScatterNd only reads the shape from the info.
  const indices: tf.TensorInfo = { dataId: segmentIds.dataId, shape: [n, 1], dtype: 'int32' };
  return scatter.kernelFunc({
    inputs: { indices, updates: x },
    backend,
    attrs: { shape: [numSegments, ...x.shape.slice(1)] },
  }) as tf.TensorInfo;
}

/** Registers the kernel once; a no-op when the wasm backend already has one. */
export function registerWasmSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as tf.KernelFunc });
}
