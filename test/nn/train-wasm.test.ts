// The default backend of the neural core is wasm: training there is reproducible bit for bit and a
// resumed run matches an uninterrupted one too (the cpu tests cover the rest).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { train, TrainingCancelled, type TrainOptions } from '../../src/lib/nn/train/loop.js';
import { BatchSampler } from '../../src/lib/nn/train/sampler.js';
import { warmupLinear } from '../../src/lib/nn/train/schedule.js';
import { bitsEqual, tinyMlp, type TinyMlp } from './train-fixtures.js';

let dir: string;
beforeAll(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  expect(await tf.setBackend('wasm')).toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'retort-wasm-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(model: TinyMlp, checkpointDir?: string, signal?: AbortSignal, stopAt?: number, stop?: () => void): TrainOptions<ReturnType<TinyMlp['makeBatch']>> {
  return {
    parameters: model.params,
    makeBatch: (refs) => model.makeBatch(refs),
    loss: (b, info) => model.loss(b, info),
    sampler: new BatchSampler({ sources: model.n, batchSize: 8, seed: 4 }),
    steps: 16,
    seed: 4,
    clipNorm: 1,
    accumulate: 2,
    schedule: warmupLinear({ peak: 0.02, warmupSteps: 2, totalSteps: 16 }),
    checkpoint: checkpointDir ? { dir: checkpointDir, every: 5 } : undefined,
    ctx: { signal, progress: (done) => { if (done === stopAt) stop?.(); } },
  };
}

describe('training on the wasm backend', () => {
  it('same seed → same weights bit for bit; resumed = uninterrupted; no leaks', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const runOnce = async () => {
      const m = tinyMlp(8);
      await train(options(m));
      const w = m.weights();
      m.dispose();
      return w;
    };
    const a = await runOnce();
    const b = await runOnce();
    expect(bitsEqual(a, b)).toBe(true);

    const baseline = tf.memory().numTensors;
    const ckpt = join(dir, 'ckpt');
    const controller = new AbortController();
    const first = tinyMlp(8);
    await expect(train(options(first, ckpt, controller.signal, 7, () => controller.abort()))).rejects.toBeInstanceOf(TrainingCancelled);
    first.dispose();
    const second = tinyMlp(8);
    const result = await train(options(second, ckpt));
    expect(result.resumedFrom).toBe(5);
    expect(bitsEqual(second.weights(), a)).toBe(true);
    second.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
