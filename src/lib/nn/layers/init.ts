// Seeded initialisers: the same seed builds the same model.

import * as tf from '@tensorflow/tfjs';
import { SeedStream } from './dropout.js';

/** Where a layer draws its initial weights from. */
export interface Init {
  seeds: SeedStream;
  /** Standard deviation of the normal initialiser (HF `initializer_range`). */
  std: number;
}

export function makeInit(seed: number, std = 0.02): Init {
  return { seeds: new SeedStream(seed), std };
}

/** Truncation-free normal N(0, std²), as HF's `_init_weights` does for Linear and Embedding. */
export function normal(shape: number[], init: Init): tf.Tensor {
  return tf.randomNormal(shape, 0, init.std, 'float32', init.seeds.next());
}
