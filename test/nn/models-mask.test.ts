// What LLaRA needs from a decoder: a joint prompt `[text] SELF NEXT` in one pass, where the NEXT
// suffix may not see the SELF suffix and reuses its position ids; left padding; and a causal mask
// that keeps earlier positions independent of later tokens.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { MASKED } from '../../src/lib/nn/layers/attention.js';
import { DecoderInputs } from '../../src/lib/nn/models/decoder.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { lastTokenPool, positionsPool } from '../../src/lib/nn/pooling.js';
import { dims } from '../../src/lib/nn/shape.js';
import { at } from '../util/at.js';

const TEXT = [5, 9, 3, 12, 7];
const SELF = [20, 21, 22];
const NEXT = [23, 24, 25];
const T = TEXT.length + SELF.length + NEXT.length;

/** Rows of the NEXT suffix × columns of the SELF suffix blocked: [1, 1, T, T]. */
function llaraMask(): tf.Tensor {
  const m = new Float32Array(T * T);
  for (let q = T - NEXT.length; q < T; q++) for (let k = TEXT.length; k < TEXT.length + SELF.length; k++) m[q * T + k] = MASKED;
  return tf.tensor4d(m, [1, 1, T, T]);
}

/** 0..text+self-1, then the NEXT suffix again from where SELF started. */
function llaraPositions(): tf.Tensor {
  const p = Array.from({ length: TEXT.length + SELF.length }, (_, i) => i);
  for (let i = 0; i < NEXT.length; i++) p.push(TEXT.length + i);
  return tf.tensor2d([p], [1, T], 'int32');
}

function rows(x: tf.Tensor, from: number, to: number): Float32Array {
  const [b, , d] = dims(x, 3, 'hidden states');
  return x.slice([0, from, 0], [b, to - from, d]).dataSync() as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(at(a, i) - at(b, i)));
  return m;
}

const decoders = {
  llama: () => new LlamaDecoder({ vocabSize: 32, hiddenSize: 16, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 24 }, 3),
  gpt2: () =>
    new Gpt2Decoder({ vocabSize: 32, hiddenSize: 16, numLayers: 2, numHeads: 2, maxPositions: 16, residDropout: 0, embdDropout: 0, attentionDropout: 0 }, 3),
};

describe('LLaRA-style masks and positions (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
  });

  for (const [name, make] of Object.entries(decoders)) {
    it(`${name}: changing the tokens the mask hides leaves the other positions unchanged`, () => {
      const model = make();
      const run = (self: number[]) =>
        tf.tidy(() => model.forward({ inputIds: tf.tensor2d([[...TEXT, ...self, ...NEXT]], [1, T], 'int32'), additiveMask: llaraMask(), positionIds: llaraPositions() }).hidden);
      const a = run(SELF);
      const b = run([1, 2, 30]);
      expect(maxDiff(rows(a, T - NEXT.length, T), rows(b, T - NEXT.length, T))).toBe(0); // NEXT cannot see SELF
      expect(maxDiff(rows(a, 0, TEXT.length), rows(b, 0, TEXT.length))).toBe(0); // causal: text before SELF
      expect(maxDiff(rows(a, TEXT.length, TEXT.length + SELF.length), rows(b, TEXT.length, TEXT.length + SELF.length))).toBeGreaterThan(1e-3);
      // Without the block, NEXT does see SELF (the test would notice a mask that does nothing).
      const open = (self: number[]) => tf.tidy(() => model.forward({ inputIds: tf.tensor2d([[...TEXT, ...self, ...NEXT]], [1, T], 'int32'), positionIds: llaraPositions() }).hidden);
      expect(maxDiff(rows(open(SELF), T - 3, T), rows(open([1, 2, 30]), T - 3, T))).toBeGreaterThan(1e-3);
      model.dispose();
    });

    it(`${name}: the joint pass equals two separate passes once NEXT reuses SELF's positions`, () => {
      const model = make();
      const joint = model.forward({ inputIds: tf.tensor2d([[...TEXT, ...SELF, ...NEXT]], [1, T], 'int32'), additiveMask: llaraMask(), positionIds: llaraPositions() });
      const selfOnly = model.forward({ inputIds: tf.tensor2d([[...TEXT, ...SELF]], [1, TEXT.length + SELF.length], 'int32') });
      const nextOnly = model.forward({ inputIds: tf.tensor2d([[...TEXT, ...NEXT]], [1, TEXT.length + NEXT.length], 'int32') });
      const n = TEXT.length;
      expect(maxDiff(rows(joint.hidden, n, n + 3), rows(selfOnly.hidden, n, n + 3))).toBeLessThan(1e-5);
      expect(maxDiff(rows(joint.hidden, T - 3, T), rows(nextOnly.hidden, n, n + 3))).toBeLessThan(1e-5);
      expect(maxDiff(rows(joint.logits as tf.Tensor, T - 3, T), rows(nextOnly.logits as tf.Tensor, n, n + 3))).toBeLessThan(1e-5);
      model.dispose();
    });

    it(`${name}: left padding with shifted positions keeps the last tokens' states`, () => {
      const model = make();
      const seq = [...TEXT, ...SELF];
      const alone = model.forward({ inputIds: tf.tensor2d([seq], [1, seq.length], 'int32') }).hidden;
      const pad = 3;
      const padded: DecoderInputs = {
        inputIds: tf.tensor2d([[...new Array(pad).fill(0), ...seq], [...seq, 1, 2, 3]], [2, seq.length + pad], 'int32'),
        attentionMask: tf.tensor2d([[...new Array(pad).fill(0), ...new Array(seq.length).fill(1)], new Array(seq.length + pad).fill(1)], [2, seq.length + pad], 'int32'),
        positionIds: tf.tensor2d([[0, 0, 0, ...seq.map((_, i) => i)], Array.from({ length: seq.length + pad }, (_, i) => i)], [2, seq.length + pad], 'int32'),
      };
      const batch = model.forward(padded).hidden;
      const first = batch.slice([0, 0, 0], [1, -1, -1]);
      expect(maxDiff(rows(first, pad, pad + seq.length), alone.dataSync())).toBeLessThan(1e-5);
      // The special tokens are the last positions: last-token pooling (left padding) reads them.
      const last = lastTokenPool(batch, padded.attentionMask as tf.Tensor, 'left').slice([0, 0], [1, -1]);
      expect(maxDiff(last.dataSync(), rows(alone, seq.length - 1, seq.length))).toBeLessThan(1e-5);
      const special = positionsPool(first, tf.tensor2d([[pad + 5, pad + 6, pad + 7]], [1, 3], 'int32'));
      const want = tf.mean(alone.slice([0, 5, 0], [1, 3, -1]), 1);
      expect(maxDiff(special.dataSync(), want.dataSync())).toBeLessThan(1e-5);
      model.dispose();
    });
  }

  it('rejects an additive mask of the wrong shape', () => {
    const model = decoders.llama();
    expect(() => model.forward({ inputIds: tf.tensor2d([[1, 2, 3]], [1, 3], 'int32'), additiveMask: tf.zeros([1, 3, 3]) })).toThrow(
      'additive attention mask must be [1, 1|heads, 3, 3], got [1,3,3]',
    );
    model.dispose();
  });
});
