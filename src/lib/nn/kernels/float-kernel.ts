// A way to write one float32 kernel as a plain loop over typed arrays and register it on every
// backend that keeps tensors in host memory: cpu (and backends derived from it, such as the BLAS
// one) keep a Float32Array per tensor; wasm keeps tensors in its heap, which JavaScript can view.
// Outputs are allocated before any input is viewed, because allocating may grow (and so
// detach) the wasm heap.
import * as tf from '@tensorflow/tfjs';

/** One value per entry of a tuple: a float32 array per input name, a shape per output. */
type Each<T extends readonly unknown[], V> = { -readonly [K in keyof T]: V };

/**
 * `In` names the inputs and `Out` is the tuple of output shapes, so `compute` receives exactly as
 * many arrays as it destructures (registration passes one per name and one per output shape).
 */
export interface FloatKernel<In extends readonly string[] = readonly string[], Out extends readonly number[][] = number[][]> {
  name: string;
  /** Shapes of the outputs, from the input shapes (in input order) and the attributes. */
  outputShapes(inputShapes: Each<In, number[]>, attrs: tf.NamedAttrMap): Out;
  /** Fills `outs` (zeroed, unless `overwrites`) from `ins`. */
  compute(ins: Each<In, Float32Array>, outs: Each<Out, Float32Array>, inputShapes: Each<In, number[]>, attrs: tf.NamedAttrMap): void;
  /**
   * compute writes every element of every output, so the outputs need no zeroing first (on
   * wasm that is a pass over memory per output: three per parameter for AdamW).
   */
  overwrites?: boolean;
  /** Input names in the order `compute` receives them. */
  inputs: In;
}

/** A kernel whose input names and output count are tuples the type checker holds `compute` to. */
export function floatKernel<const In extends readonly string[], Out extends [number[], ...number[][]]>(k: FloatKernel<In, Out>): FloatKernel<In, Out> {
  return k;
}

interface HostMemory {
  alloc(backend: tf.KernelBackend, shape: number[], zeroed: boolean): tf.TensorInfo;
  view(backend: tf.KernelBackend, t: tf.TensorInfo): Float32Array;
}

type CpuLike = tf.KernelBackend & {
  data: { get(id: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values?: Float32Array): tf.TensorInfo;
};
type WasmLike = tf.KernelBackend & {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
};

const cpuMemory: HostMemory = {
  alloc: (b, shape) => (b as CpuLike).makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape))),
  view: (b, t) => (b as CpuLike).data.get(t.dataId).values as Float32Array,
};
const wasmMemory: HostMemory = {
  alloc: (b, shape, zeroed) => {
    const out = (b as WasmLike).makeOutput(shape, 'float32');
    if (zeroed) (b as WasmLike).typedArrayFromHeap(out).fill(0); // the heap is reused memory
    return out;
  },
  view: (b, t) => (b as WasmLike).typedArrayFromHeap(t),
};

/** Which memory layout a backend uses: wasm by name, everything else like cpu. */
export function memoryKindOf(backendName: string): 'wasm' | 'cpu' {
  return backendName === 'wasm' ? 'wasm' : 'cpu';
}

/**
 * Registers `k` on `backendName`. An existing registration is kept unless `replace` is given;
 * then inputs that are not all float32 go to `replace` (the kernel being replaced).
 */
export function registerFloatKernel(k: FloatKernel, backendName: string, replace?: tf.KernelFunc): void {
  const existing = tf.getKernel(k.name, backendName);
  if (existing !== undefined && replace === undefined) return;
  if (existing !== undefined) tf.unregisterKernel(k.name, backendName);
  const mem = memoryKindOf(backendName) === 'wasm' ? wasmMemory : cpuMemory;
  const kernelFunc = ({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => {
    const infos = k.inputs.map((n) => {
      const t = inputs[n];
      if (t === undefined) throw new Error(`${k.name}: missing input '${n}'`);
      return t;
    });
    const notFloat = infos.find((t) => t.dtype !== 'float32');
    if (notFloat !== undefined) {
      if (replace !== undefined) return replace({ inputs, backend, attrs } as never);
      throw new Error(`${k.name}: inputs must be float32, got ${notFloat.dtype}`);
    }
    const shapes = infos.map((t) => t.shape);
    const a = attrs ?? {};
    const outs = k.outputShapes(shapes, a).map((s) => mem.alloc(backend, s, k.overwrites !== true));
    const outViews = outs.map((o) => mem.view(backend, o));
    k.compute(infos.map((t) => mem.view(backend, t)), outViews, shapes, a);
    return outs.length === 1 ? outs[0]! : outs;
  };
  tf.registerKernel({ kernelName: k.name, backendName, kernelFunc: kernelFunc as tf.KernelFunc });
}
