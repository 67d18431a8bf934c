// Our BERT, ELECTRA cross-encoder, GPT-2 and Llama against plain-PyTorch forward passes written
// after the Hugging Face code: the same weights give the same hidden states, logits, loss and
// gradients to 1e-4. The checkpoints come from test/nn/reference/hf_reference.py and are loaded
// through loadPretrained, so the folder loader is exercised on every architecture.

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { CrossEncoder } from '../../src/lib/nn/heads.js';
import { MASKED } from '../../src/lib/nn/layers/attention.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { Gpt2Decoder } from '../../src/lib/nn/models/gpt2.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { loadPretrained } from '../../src/lib/nn/pretrained.js';
import { dims } from '../../src/lib/nn/shape.js';
import { buildReference, loadExpected, maxAbsDiff, removeReference, RUN_TORCH_TESTS } from './torch.js';
import { at } from '../util/at.js';

const TOL = 1e-4;
let dir: string | undefined;

/** Gradients of `loss` w.r.t. the model's trainable parameters, by parameter name. */
function gradients(params: Map<string, tf.Variable>, loss: () => tf.Scalar): { value: number; grads: Map<string, tf.Tensor> } {
  const byVar = new Map([...params].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(loss, [...params.values()]);
  const out = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) out.set(byVar.get(varName) as string, g);
  const v = value.arraySync();
  value.dispose();
  return { value: v, grads: out };
}

/** Next-token cross-entropy over positions whose target is a real token (as the reference). */
function lmLoss(logits: tf.Tensor, ids: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  const [b, t, V] = dims(logits, 3, 'logits');
  const logp = tf.logSoftmax(logits.slice([0, 0, 0], [b, t - 1, V]));
  const targets = tf.oneHot(ids.slice([0, 1], [b, t - 1]).toInt(), V);
  const nll = tf.neg(tf.sum(tf.mul(logp, targets), -1)); // [b, t-1]
  const m = tf.mul(mask.slice([0, 1], [b, t - 1]), mask.slice([0, 0], [b, t - 1])).toFloat();
  return tf.div(tf.sum(tf.mul(nll, m)), tf.sum(m)) as tf.Scalar;
}

function expectGradients(grads: Map<string, tf.Tensor>, expected: Map<string, tf.Tensor>, names: Iterable<string>): void {
  let checked = 0;
  for (const name of names) {
    const want = expected.get(`grad.${name}`);
    expect(want, `reference gradient of ${name}`).toBeDefined();
    const got = grads.get(name);
    expect(got, `our gradient of ${name}`).toBeDefined();
    expect(maxAbsDiff(got as tf.Tensor, want as tf.Tensor), `gradient of ${name}`).toBeLessThan(TOL);
    checked++;
  }
  expect(checked).toBeGreaterThan(10);
}

describe.runIf(RUN_TORCH_TESTS)('models against PyTorch (wasm backend)', () => {
  beforeAll(async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    dir = buildReference();
  });
  afterAll(() => removeReference(dir));

  for (const name of ['bert', 'bert-preln']) {
    it(`${name}: hidden states, pooler, loss and gradients`, async () => {
      const start = tf.memory().numTensors;
      const { model } = await loadPretrained(join(dir as string, name));
      expect(model).toBeInstanceOf(BertEncoder);
      const enc = model as BertEncoder;
      const ex = loadExpected(dir as string, name);
      const inputs = { inputIds: ex.get('input.ids') as tf.Tensor, attentionMask: ex.get('input.mask'), tokenTypeIds: ex.get('input.types') };
      const mask = ex.get('input.mask') as tf.Tensor;
      tf.tidy(() => {
        const out = enc.forward(inputs);
        expect(maxAbsDiff(out.hidden, ex.get('out.hidden') as tf.Tensor)).toBeLessThan(TOL);
        expect(maxAbsDiff(out.pooled as tf.Tensor, ex.get('out.pooled') as tf.Tensor)).toBeLessThan(TOL);
      });
      const { value, grads } = gradients(enc.parameters(), () =>
        tf.tidy(() => {
          const out = enc.forward(inputs);
          const m = mask.toFloat().expandDims(-1);
          const probe = tf.div(tf.sum(tf.mul(tf.mul(out.hidden, ex.get('input.probe') as tf.Tensor), m)), tf.sum(m));
          return tf.add(probe, tf.sum(tf.square(out.pooled as tf.Tensor))) as tf.Scalar;
        }),
      );
      expect(Math.abs(value - at((ex.get('loss') as tf.Tensor).dataSync(), 0))).toBeLessThan(TOL);
      expectGradients(grads, ex, enc.stateDict().keys());
      tf.dispose([...grads.values(), ...ex.values()]);
      enc.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  it('electra cross-encoder: scores, group cross-entropy and gradients', async () => {
    const { model } = await loadPretrained(join(dir as string, 'electra'));
    expect(model).toBeInstanceOf(CrossEncoder);
    const ce = model as CrossEncoder;
    const ex = loadExpected(dir as string, 'electra');
    const inputs = { inputIds: ex.get('input.ids') as tf.Tensor, attentionMask: ex.get('input.mask'), tokenTypeIds: ex.get('input.types') };
    tf.tidy(() => {
      expect(maxAbsDiff(ce.encoder.forward(inputs).hidden, ex.get('out.hidden') as tf.Tensor)).toBeLessThan(TOL);
      expect(maxAbsDiff(ce.forward(inputs), ex.get('out.scores') as tf.Tensor)).toBeLessThan(TOL);
    });
    const { value, grads } = gradients(ce.parameters(), () =>
      tf.tidy(() => {
        const groups = ce.forward(inputs).reshape([2, 2]);
        return tf.mean(tf.sub(tf.logSumExp(groups, 1), groups.slice([0, 0], [2, 1]).reshape([2]))) as tf.Scalar;
      }),
    );
    expect(Math.abs(value - at((ex.get('loss') as tf.Tensor).dataSync(), 0))).toBeLessThan(TOL);
    expectGradients(grads, ex, ce.stateDict().keys());
    tf.dispose([...grads.values(), ...ex.values()]);
    ce.dispose();
  });

  for (const name of ['gpt2', 'gpt2-untied']) {
    it(`${name}: hidden states, logits, LM loss and gradients`, async () => {
      const { model } = await loadPretrained(join(dir as string, name));
      expect(model).toBeInstanceOf(Gpt2Decoder);
      const gpt = model as Gpt2Decoder;
      expect(gpt.lmHead === undefined).toBe(name === 'gpt2');
      const ex = loadExpected(dir as string, name);
      const ids = ex.get('input.ids') as tf.Tensor;
      const mask = ex.get('input.mask') as tf.Tensor;
      tf.tidy(() => {
        const out = gpt.forward({ inputIds: ids, attentionMask: mask });
        expect(maxAbsDiff(out.hidden, ex.get('out.hidden') as tf.Tensor, mask)).toBeLessThan(TOL);
        expect(maxAbsDiff(out.logits as tf.Tensor, ex.get('out.logits') as tf.Tensor, mask)).toBeLessThan(TOL);
      });
      const { value, grads } = gradients(gpt.parameters(), () =>
        tf.tidy(() => lmLoss(gpt.forward({ inputIds: ids, attentionMask: mask }).logits as tf.Tensor, ids, mask)),
      );
      expect(Math.abs(value - at((ex.get('loss') as tf.Tensor).dataSync(), 0))).toBeLessThan(TOL);
      expectGradients(grads, ex, gpt.stateDict().keys());
      tf.dispose([...grads.values(), ...ex.values()]);
      gpt.dispose();
    });
  }

  for (const name of ['llama', 'llama-tied']) {
    it(`${name}: left padding, a LLaRA-style block mask, shared position ids, GQA: outputs and gradients`, async () => {
      const { model } = await loadPretrained(join(dir as string, name));
      expect(model).toBeInstanceOf(LlamaDecoder);
      const llama = model as LlamaDecoder;
      expect(llama.config.numKvHeads).toBeLessThan(llama.config.numHeads);
      const ex = loadExpected(dir as string, name);
      const ids = ex.get('input.ids') as tf.Tensor;
      const mask = ex.get('input.mask') as tf.Tensor;
      const [b, t] = dims(ids, 2, 'input ids');
      const additiveMask = tf.tidy(() => tf.mul((ex.get('input.block') as tf.Tensor).toFloat(), MASKED).reshape([1, 1, t, t]).tile([b, 1, 1, 1]));
      const inputs = { inputIds: ids, attentionMask: mask, additiveMask, positionIds: ex.get('input.positions') };
      tf.tidy(() => {
        const out = llama.forward(inputs);
        expect(maxAbsDiff(out.hidden, ex.get('out.hidden') as tf.Tensor, mask)).toBeLessThan(TOL);
        expect(maxAbsDiff(out.logits as tf.Tensor, ex.get('out.logits') as tf.Tensor, mask)).toBeLessThan(TOL);
      });
      const { value, grads } = gradients(llama.parameters(), () => tf.tidy(() => lmLoss(llama.forward(inputs).logits as tf.Tensor, ids, mask)));
      expect(Math.abs(value - at((ex.get('loss') as tf.Tensor).dataSync(), 0))).toBeLessThan(TOL);
      expectGradients(grads, ex, llama.stateDict().keys());
      tf.dispose([...grads.values(), ...ex.values(), additiveMask]);
      llama.dispose();
    });
  }
});
