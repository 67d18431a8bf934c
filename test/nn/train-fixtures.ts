// Tiny models built from raw tf variables, for the training tests: a two-layer MLP regressing a
// fixed random function of its inputs.
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/lib/nn/train/rng.js';
import type { SampleRef } from '../../src/lib/nn/train/sampler.js';
import { at } from '../util/at.js';

export interface TinyMlp {
  params: Map<string, tf.Variable>;
  /** Inputs [n, 4] and targets [n, 1] as plain arrays (batches are made per step). */
  x: Float32Array;
  y: Float32Array;
  n: number;
  makeBatch(refs: SampleRef[]): { x: tf.Tensor2D; y: tf.Tensor2D };
  loss(batch: { x: tf.Tensor2D; y: tf.Tensor2D }, info?: { seed: number }): tf.Scalar;
  weights(): Map<string, Float32Array>;
  dispose(): void;
}

export function tinyMlp(seed = 1, n = 48, opts: { dropout?: number } = {}): TinyMlp {
  const rng = new Rng(seed);
  const normal = (count: number, scale: number) => Float32Array.from({ length: count }, () => (rng.next() + rng.next() + rng.next() - 1.5) * scale);
  // tf.variable keeps a reference of its own to the initial tensor: free ours, so dispose() frees all.
  const variable = (t: tf.Tensor) => { const v = tf.variable(t); t.dispose(); return v; };
  const params = new Map<string, tf.Variable>([
    ['fc1.weight', variable(tf.tensor2d(normal(4 * 8, 0.5), [4, 8]))],
    ['fc1.bias', variable(tf.zeros([8]))],
    ['norm.weight', variable(tf.ones([8]))],
    ['fc2.weight', variable(tf.tensor2d(normal(8, 0.5), [8, 1]))],
    ['fc2.bias', variable(tf.zeros([1]))],
  ]);
  const x = normal(n * 4, 1);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b, c, d] = x.subarray(i * 4, i * 4 + 4);
    y[i] = Math.sin(a!) + 0.5 * b! * c! - 0.3 * d!; // four features per row
  }
  const p = (name: string) => params.get(name)!;
  return {
    params, x, y, n,
    makeBatch(refs) {
      const bx = new Float32Array(refs.length * 4);
      const by = new Float32Array(refs.length);
      refs.forEach((r, i) => {
        bx.set(x.subarray(r.index * 4, r.index * 4 + 4), i * 4);
        by[i] = at(y, r.index);
      });
      return { x: tf.tensor2d(bx, [refs.length, 4]), y: tf.tensor2d(by, [refs.length, 1]) };
    },
    loss(batch, info) {
      let h = tf.tanh(tf.add(tf.matMul(batch.x, p('fc1.weight')), p('fc1.bias'))); // [b, 8]
      h = tf.mul(h, p('norm.weight'));
      if (opts.dropout) h = tf.dropout(h, opts.dropout, undefined, info!.seed);
      const out = tf.add(tf.matMul(h, p('fc2.weight')), p('fc2.bias')); // [b, 1]
      return tf.mean(tf.square(tf.sub(out, batch.y))) as tf.Scalar;
    },
    weights() {
      return new Map([...params].map(([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));
    },
    dispose() {
      for (const v of params.values()) v.dispose();
    },
  };
}

/** A Python that has torch (Debian's python3-torch lives in /usr/bin/python3), or undefined. */
export function torchPython(): string | undefined {
  for (const py of [process.env.RETORT_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[]) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      return py;
    } catch { /* try the next */ }
  }
  return undefined;
}

export function bitsEqual(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, va] of a) {
    const vb = b.get(k);
    if (!vb || vb.length !== va.length) return false;
    const ua = new Uint32Array(va.buffer, va.byteOffset, va.length);
    const ub = new Uint32Array(vb.buffer, vb.byteOffset, vb.length);
    for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  }
  return true;
}
