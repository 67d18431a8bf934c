// The block-copy GatherV2 and SplitV of the wasm backend (src/lib/nn/kernels/wasm-copy-kernels.ts)
// give exactly what the cpu backend gives, gradients included; the cases they leave to the stock
// kernels (other axes, int data, bad ids) still work. Identity shares memory instead of copying.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmCopyKernels } from '../../src/lib/nn/kernels/wasm-copy-kernels.js';
import { registerWasmSegmentSum } from '../../src/lib/nn/kernels/wasm-segment-sum.js';

const arr = (t: tf.Tensor) => Array.from(t.dataSync());

async function on<T>(backend: string, f: () => T): Promise<T> {
  expect(await tf.setBackend(backend)).toBe(true);
  await tf.ready();
  return f();
}

beforeAll(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  await on('wasm', () => { registerWasmCopyKernels(); registerWasmSegmentSum(); });
});

describe('wasm block-copy kernels', () => {
  it('gather rows (any index shape, repeated ids) like cpu, gradient included', async () => {
    const run = () => tf.tidy(() => {
      const table = tf.randomNormal([9, 3, 4], 0, 1, 'float32', 1);
      const ids = tf.tensor2d([[8, 0, 3], [3, 3, 1]], [2, 3], 'int32');
      const y = tf.gather(table, ids);
      const g = tf.grad((t: tf.Tensor) => tf.gather(t, ids).square().sum())(table);
      return { shape: y.shape, y: arr(y), g: arr(g), cols: arr(tf.gather(table, [2, 0], 1)), ints: arr(tf.gather(tf.range(0, 6, 1, 'int32').reshape([3, 2]), [2, 0])) };
    });
    const ours = await on('wasm', run);
    const cpu = await on('cpu', run);
    expect(ours).toEqual(cpu);
    expect(ours.shape).toEqual([2, 3, 3, 4]);
  });

  it('leaves out-of-range ids to the stock kernel, which reports them', async () => {
    await on('wasm', () => {
      expect(() => tf.tidy(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 5], 'int32')))).toThrow(/index value 5 is not in \[0, 2\]/);
    });
  });

  it('split along every axis, equal and uneven pieces, like cpu, gradient included', async () => {
    const run = () => tf.tidy(() => {
      const x = tf.randomNormal([4, 6, 5], 0, 1, 'float32', 2);
      const pieces = [0, 1, 2, -1].flatMap((axis) => [
        tf.split(x, 2, axis === 2 || axis === -1 ? 0 : axis).map(arr),
        tf.split(x, axis === 0 ? [1, 3] : axis === 1 ? [1, -1, 2] : [3, 2], axis).map(arr),
      ]);
      const w = tf.randomNormal([4, 6, 5], 0, 1, 'float32', 3);
      const g = tf.grad((xx: tf.Tensor) => {
        const [a, , c] = tf.split(xx, [1, 3, 2], 1) as [tf.Tensor, tf.Tensor, tf.Tensor]; // three sizes, three parts
        return tf.add(a.sum(), c.mul(w.slice([0, 0, 0], [4, 2, 5])).sum());
      })(x);
      return { pieces, g: arr(g), ints: tf.split(tf.range(0, 12, 1, 'int32').reshape([3, 4]), 2, 1).map(arr) };
    });
    const ours = await on('wasm', run);
    const cpu = await on('cpu', run);
    expect(ours).toEqual(cpu);
  });

  it('clone (Identity) without copying: the same memory, kept alive until both are disposed', async () => {
    await on('wasm', () => {
      const backend = tf.backend() as unknown as { numDataIds(): number };
      const ids = backend.numDataIds();
      const x = tf.tensor2d([[1, 2], [3, 4]]);
      const y = tf.clone(x);
      expect(y.dataId).toBe(x.dataId);
      expect(backend.numDataIds()).toBe(ids + 1);
      x.dispose();
      expect(arr(y)).toEqual([1, 2, 3, 4]); // still readable: the memory is reference counted
      y.dispose();
      expect(backend.numDataIds()).toBe(ids);
      expect(arr(tf.tidy(() => tf.clone(tf.tensor1d(['a', 'b'], 'string'))))).toEqual(['a', 'b']); // strings: the stock kernel
    });
  });

  it('a clone of a variable keeps its values when the variable is assigned', async () => {
    await on('wasm', () => {
      const v = tf.variable(tf.tensor1d([1, 2, 3]));
      const saved = tf.clone(v);
      tf.tidy(() => v.assign(tf.tensor1d([7, 8, 9])));
      expect(arr(saved)).toEqual([1, 2, 3]);
      expect(arr(v)).toEqual([7, 8, 9]);
      tf.dispose([v, saved]);
    });
  });

  it('leaves no tensors or heap bytes behind', async () => {
    await on('wasm', () => {
      const x = tf.randomNormal([6, 4]);
      const before = tf.memory();
      tf.tidy(() => { tf.split(tf.gather(x, tf.tensor1d([1, 1, 5], 'int32')), [1, 3], 1); });
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
      x.dispose();
    });
  });
});
