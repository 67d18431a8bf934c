// A batch as tfjs int32 tensors, each [batch, length]. The caller owns (and disposes) them.

import * as tf from '@tensorflow/tfjs';
import type { BatchEncoding } from './batch.js';

export interface BatchTensors {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
}

export function toTensors(batch: BatchEncoding): BatchTensors {
  return {
    inputIds: tf.tensor2d(batch.inputIds, batch.shape, 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask, batch.shape, 'int32'),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, batch.shape, 'int32'),
  };
}
