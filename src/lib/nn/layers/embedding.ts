// Lookup table. Its gradient is a scatter-add (ScatterNd) rather than tf.gather's default
// UnsortedSegmentSum, which the wasm backend does not implement.

import * as tf from '@tensorflow/tfjs';
import { Module } from '../module.js';
import { Init, normal } from './init.js';

/** table [V, d], ids [n] (int32) → [n, d]; d table = Σ over rows of dy with the same id. */
export function lookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const gather = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([ids]); // kept alive for the backward pass, even when the caller's tidy ends first
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: tf.Tensor, [savedIds]: [tf.Tensor]) => [tf.scatterND(savedIds.reshape([-1, 1]), dy, t.shape)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (t: tf.Tensor) => tf.Tensor;
  return gather(table);
}

export class Embedding extends Module {
  numEmbeddings: number;
  readonly dim: number;
  weight: tf.Variable;

  constructor(numEmbeddings: number, dim: number, init: Init) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.dim = dim;
    this.weight = this.param('weight', normal([numEmbeddings, dim], init));
  }

  /** Grows (or shrinks) the table to `rows`, keeping the existing rows; new rows drawn from `init`. */
  resize(rows: number, init: Init): void {
    const kept = Math.min(rows, this.numEmbeddings);
    const value = tf.tidy(() => {
      const old = this.weight.slice([0, 0], [kept, this.dim]);
      return rows > kept ? tf.concat([old, normal([rows - kept, this.dim], init)], 0) : old;
    });
    this.weight = this.replaceParam('weight', value);
    this.numEmbeddings = rows;
  }

  /** ids [...] (int32) → [..., d]. */
  forward(ids: tf.Tensor): tf.Tensor {
    const flat = ids.reshape([-1]);
    return lookup(this.weight, flat).reshape([...ids.shape, this.dim]);
  }
}
