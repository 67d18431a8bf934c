// Training mode and seeded dropout: same seed, same masks.

import * as tf from '@tensorflow/tfjs';

/** How a forward pass runs. Without `training`, dropout is the identity. */
export interface Mode {
  training?: boolean;
  /** Source of dropout seeds; required when training with a dropout rate above 0. */
  rng?: SeedStream;
}

/** A deterministic stream of integer seeds (mulberry32). */
export class SeedStream {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % 2147483647;
  }
}

export function dropout(x: tf.Tensor, rate: number, mode: Mode | undefined): tf.Tensor {
  if (!mode?.training || rate <= 0) return x;
  if (!mode.rng) throw new Error('dropout in training mode needs mode.rng (a SeedStream) for reproducible masks');
  return tf.dropout(x, rate, undefined, mode.rng.next());
}
