// One cached step of our Llama (grouped K/V heads, rotary positions, left-padded batch) against a
// plain-PyTorch Llama with past_key_values (test/nn/reference/llama_cache.py) on the same weights:
// the logits at the prompts' last tokens and after one new token per row agree to 1e-4.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { disposeCache, KvCache } from '../../src/lib/nn/models/decoder.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { savePretrained } from '../../src/lib/nn/pretrained.js';
import { RUN_TORCH_TESTS, TORCH_PYTHON } from './torch.js';
import { at } from '../util/at.js';

const TOL = 1e-4;
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'reference', 'llama_cache.py');
const PROMPTS = [
  [5, 9, 3, 12, 7, 30, 2],
  [17, 2, 40],
  [8, 8, 21, 4, 44],
];
const NEXT = [11, 6, 31];
const PAD = 0;

function maxDiff(a: ArrayLike<number>, b: number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(at(a, i) - at(b, i)));
  return m;
}

describe.runIf(RUN_TORCH_TESTS)('a cached step against PyTorch past_key_values (wasm backend)', () => {
  let dir: string | undefined;
  beforeAll(async () => {
    expect((await initBackend()).name).toBe('wasm');
    if (!TORCH_PYTHON) throw new Error('PyTorch is required for the reference tests (install python3-torch, or set RETORT_TORCH_PYTHON)');
    dir = mkdtempSync(join(tmpdir(), 'retort-nn-cache-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('llama: prefill and one cached step give PyTorch logits', async () => {
    const model = new LlamaDecoder({ vocabSize: 48, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 44, ropeTheta: 10000 }, 7);
    let seed = 1;
    for (const [name, v] of model.variables()) if (!name.includes('norm')) v.assign(tf.randomNormal(v.shape, 0, 0.2, 'float32', seed++));
    const modelDir = join(dir as string, 'model');
    await savePretrained(modelDir, model);
    const input = join(dir as string, 'input.json');
    writeFileSync(input, JSON.stringify({ prompts: PROMPTS, pad: PAD, next: NEXT }));
    const want = JSON.parse(execFileSync(TORCH_PYTHON as string, [SCRIPT, modelDir, input], { encoding: 'utf8', timeout: 120_000 })) as { prefill: number[][]; step: number[][] };

    const b = PROMPTS.length;
    const t = Math.max(...PROMPTS.map((p) => p.length));
    const pad = (p: number[], fill: number) => [...new Array(t - p.length).fill(fill), ...p];
    const start = tf.memory().numTensors;
    const { prefill, step } = tf.tidy(() => {
      const first = model.forward({
        inputIds: tf.tensor2d(PROMPTS.map((p) => pad(p, PAD)), [b, t], 'int32'),
        attentionMask: tf.tensor2d(PROMPTS.map((p) => pad(p.map(() => 1), 0)), [b, t], 'int32'),
        positionIds: tf.tensor2d(PROMPTS.map((p) => pad(p.map((_, j) => j), 0)), [b, t], 'int32'),
        useCache: true,
      });
      const second = model.forward({
        inputIds: tf.tensor2d(NEXT.map((id) => [id]), [b, 1], 'int32'),
        attentionMask: tf.tensor2d(PROMPTS.map((p) => [...pad(p.map(() => 1), 0), 1]), [b, t + 1], 'int32'),
        positionIds: tf.tensor2d(PROMPTS.map((p) => [p.length]), [b, 1], 'int32'),
        past: first.present as KvCache,
        useCache: true,
      });
      disposeCache(second.present);
      return {
        prefill: (first.logits as tf.Tensor).slice([0, t - 1, 0], [b, 1, -1]).dataSync(),
        step: (second.logits as tf.Tensor).dataSync(),
      };
    });
    expect(tf.memory().numTensors).toBe(start);
    expect(maxDiff(prefill, want.prefill.flat())).toBeLessThan(TOL);
    expect(maxDiff(step, want.step.flat())).toBeLessThan(TOL);
    model.dispose();
  });
});
