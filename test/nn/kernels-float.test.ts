// Kernels written as loops over typed arrays (src/lib/nn/kernels/float-kernel.ts) on wasm: outputs
// start zeroed unless the kernel says it overwrites them all, in which case no zeroing pass runs
// (the heap reuses memory, so an output can start with an earlier tensor's values).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { floatKernel, registerFloatKernel } from '../../src/lib/nn/kernels/float-kernel.js';

beforeAll(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});
afterEach(() => vi.restoreAllMocks());

// Adds 1 to what the output holds: shows whether it started at zero.
registerFloatKernel(floatKernel({
  name: 'TestAccumulateOne', inputs: ['x'], outputShapes: ([x]) => [x],
  compute: (_ins, [y]) => { for (const [i, v] of y.entries()) y[i] = v + 1; },
}), 'wasm');
registerFloatKernel(floatKernel({
  name: 'TestCopy', inputs: ['x'], outputShapes: ([x]) => [x], overwrites: true,
  compute: ([x], [y]) => y.set(x),
}), 'wasm');

const run = (name: string, x: tf.Tensor) => tf.engine().runKernel(name, { x }) as tf.Tensor;

describe('float kernels on wasm', () => {
  it('get zeroed outputs by default, even where the heap held other values', () => {
    const junk = tf.fill([64], 7);
    junk.dispose(); // its memory goes back to the heap, still holding 7s
    const y = tf.tidy(() => Array.from(run('TestAccumulateOne', tf.zeros([64])).dataSync()));
    expect(y).toEqual(new Array(64).fill(1));
  });

  it('skip the zeroing pass when they overwrite every output', () => {
    const x = tf.range(0, 1000, 1, 'float32');
    const fill = vi.spyOn(Float32Array.prototype, 'fill');
    const y = run('TestCopy', x);
    expect(fill).not.toHaveBeenCalled();
    run('TestAccumulateOne', x).dispose();
    expect(fill).toHaveBeenCalledTimes(1);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });
});
