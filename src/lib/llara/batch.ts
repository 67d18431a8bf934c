// Batches of LLaRA inputs, LEFT padded so the embedding tokens are always the last positions.
//
//   joint row  = [pad…] prefix text EBAE EBAR          T = longest row
//   positions  = 0… over prefix, text, EBAE; EBAR gets EBAE's positions again (both suffixes start
//                right after the text); 0 on padding
//   mask       = [b, 1, T, T] additive: rows of EBAR × columns of EBAE = MASKED, 0 elsewhere
//                (added to the causal and padding masks inside the decoder)
//   labels     = the text ids where they stand (the AR loss), −100 elsewhere
//
// Because every row ends with the same two suffixes, the EBAE suffix is columns
// [T−R−E, T−R) and the EBAR suffix [T−R, T) for every row (E, R the suffix lengths).

import * as tf from '@tensorflow/tfjs';
import { MASKED } from '../nn/layers/attention.js';
import type { PromptIds } from './prompts.js';

export const IGNORE = -100;

export interface JointBatch {
  inputIds: tf.Tensor2D;       // [b, T] int32
  attentionMask: tf.Tensor2D;  // [b, T] int32, 0 on padding
  positionIds: tf.Tensor2D;    // [b, T] int32
  additiveMask: tf.Tensor4D;   // [b, 1, T, T]
  labels: tf.Tensor2D;         // [b, T] int32
  /** Sequence length and the two suffixes' lengths. */
  t: number;
  e: number;
  r: number;
}

/** Host-side rows of a joint batch (what the tensors hold), for tests and the tensors below. */
export interface JointRows {
  ids: Int32Array;
  mask: Int32Array;
  positions: Int32Array;
  labels: Int32Array;
  t: number;
}

export function jointRows(texts: readonly number[][], p: PromptIds, padId: number): JointRows {
  const e = p.ebae.length;
  const r = p.ebar.length;
  const lens = texts.map((x) => p.prefix.length + x.length + e + r);
  const t = Math.max(...lens);
  const b = texts.length;
  const ids = new Int32Array(b * t).fill(padId);
  const mask = new Int32Array(b * t);
  const positions = new Int32Array(b * t);
  const labels = new Int32Array(b * t).fill(IGNORE);
  texts.forEach((text, row) => {
    const pad = t - lens[row]!;
    const head = [...p.prefix, ...text, ...p.ebae];
    const at = row * t + pad;
    ids.set(head, at);
    ids.set(p.ebar, at + head.length);
    mask.fill(1, at, row * t + t);
    for (let i = 0; i < head.length; i++) positions[at + i] = i;
    const ebaeStart = p.prefix.length + text.length;
    for (let i = 0; i < r; i++) positions[at + head.length + i] = ebaeStart + i;
    labels.set(text, at + p.prefix.length);
  });
  return { ids, mask, positions, labels, t };
}

/** [b, 1, T, T]: the EBAR suffix's rows may not see the EBAE suffix's columns. */
export function suffixMask(b: number, t: number, e: number, r: number): tf.Tensor4D {
  const one = new Float32Array(t * t);
  for (let q = t - r; q < t; q++) one.fill(MASKED, q * t + t - r - e, q * t + t - r);
  return tf.tensor4d(one, [1, 1, t, t]).tile([b, 1, 1, 1]) as tf.Tensor4D;
}

export function jointBatch(texts: readonly number[][], p: PromptIds, padId: number): JointBatch {
  const rows = jointRows(texts, p, padId);
  const b = texts.length;
  const { t } = rows;
  return {
    inputIds: tf.tensor2d(rows.ids, [b, t], 'int32'),
    attentionMask: tf.tensor2d(rows.mask, [b, t], 'int32'),
    positionIds: tf.tensor2d(rows.positions, [b, t], 'int32'),
    additiveMask: suffixMask(b, t, p.ebae.length, p.ebar.length),
    labels: tf.tensor2d(rows.labels, [b, t], 'int32'),
    t,
    e: p.ebae.length,
    r: p.ebar.length,
  };
}

export interface SingleBatch {
  inputIds: tf.Tensor2D;       // [b, T] int32
  attentionMask: tf.Tensor2D;  // [b, T] int32
  positionIds: tf.Tensor2D;    // [b, T] int32, 0… from each row's first real token
  t: number;
}

/** Left-padded rows of `prefix + text + suffix` (one prompt: passages with EBAE, queries with EBAR). */
export function singleBatch(texts: readonly number[][], prefix: readonly number[], suffix: readonly number[], padId: number): SingleBatch {
  const rows = texts.map((x) => [...prefix, ...x, ...suffix]);
  const t = Math.max(...rows.map((x) => x.length));
  const b = rows.length;
  const ids = new Int32Array(b * t).fill(padId);
  const mask = new Int32Array(b * t);
  const positions = new Int32Array(b * t);
  rows.forEach((row, i) => {
    const at = i * t + t - row.length;
    ids.set(row, at);
    mask.fill(1, at, (i + 1) * t);
    for (let j = 0; j < row.length; j++) positions[at + j] = j;
  });
  return {
    inputIds: tf.tensor2d(ids, [b, t], 'int32'),
    attentionMask: tf.tensor2d(mask, [b, t], 'int32'),
    positionIds: tf.tensor2d(positions, [b, t], 'int32'),
    t,
  };
}
