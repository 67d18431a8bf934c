import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Checkpoints } from '../../src/lib/nn/train/checkpoint.js';
import { train, TrainingCancelled, type TrainOptions } from '../../src/lib/nn/train/loop.js';
import { BatchSampler } from '../../src/lib/nn/train/sampler.js';
import { warmupCosine } from '../../src/lib/nn/train/schedule.js';
import { bitsEqual, tinyMlp, type TinyMlp } from './train-fixtures.js';
import { at } from '../util/at.js';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'retort-ckpt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirs = 0;
const freshDir = () => join(root, `run-${dirs++}`);

const STEPS = 20;

/** A training run with every stateful part in play: mixed sources, dropout, accumulation, clipping, a schedule. */
function options(model: TinyMlp, dir: string | undefined, extra: { signal?: AbortSignal; stopAfter?: number; abort?: () => void; logs?: string[]; fingerprint?: string } = {}): TrainOptions<ReturnType<TinyMlp['makeBatch']>> {
  return {
    parameters: model.params,
    makeBatch: (refs) => model.makeBatch(refs.map((r) => ({ source: 0, index: r.source * 24 + r.index }))),
    loss: (batch, info) => model.loss(batch, info),
    sampler: new BatchSampler({ sources: [{ name: 'a', size: 24, weight: 2 }, { name: 'b', size: 24, weight: 1 }], batchSize: 4, seed: 11 }),
    steps: STEPS,
    accumulate: 2,
    clipNorm: 0.5,
    seed: 11,
    optimizer: { lr: 0.03, weightDecay: 0.05 },
    schedule: warmupCosine({ peak: 0.03, warmupSteps: 3, totalSteps: STEPS }),
    logEvery: 4,
    checkpoint: dir === undefined ? undefined : { dir, every: 3, keep: 2, fingerprint: extra.fingerprint },
    ctx: {
      signal: extra.signal,
      progress: (done) => { if (done === extra.stopAfter) extra.abort?.(); },
      log: { info: (m) => extra.logs?.push(m), warn: (m) => extra.logs?.push(`warn: ${m}`) },
    },
  };
}

async function uninterrupted(): Promise<Map<string, Float32Array>> {
  const model = tinyMlp(21, 48, { dropout: 0.1 });
  await train(options(model, undefined));
  const w = model.weights();
  model.dispose();
  return w;
}

/** Trains until `stopAfter` steps, then cancels (as a kill would stop it), leaving checkpoints in `dir`. */
async function interrupted(dir: string, stopAfter: number): Promise<void> {
  const model = tinyMlp(21, 48, { dropout: 0.1 });
  const controller = new AbortController();
  await expect(train(options(model, dir, { signal: controller.signal, stopAfter, abort: () => controller.abort() }))).rejects.toBeInstanceOf(TrainingCancelled);
  model.dispose();
}

async function resumed(dir: string, logs: string[] = [], fingerprint?: string) {
  const model = tinyMlp(21, 48, { dropout: 0.1 }); // fresh weights: the checkpoint must replace them
  const result = await train(options(model, dir, { logs, fingerprint }));
  const w = model.weights();
  model.dispose();
  return { result, weights: w, logs };
}

describe('checkpoints', () => {
  it('a resumed run ends with the same weights, bit for bit, as an uninterrupted one; only the last two are kept', async () => {
    const reference = await uninterrupted();
    const dir = freshDir();
    const baseline = tf.memory().numTensors;
    await interrupted(dir, 8);
    expect(await readdir(dir)).toEqual(['ckpt-000000003', 'ckpt-000000006']);
    const { result, weights, logs } = await resumed(dir);
    expect(result.resumedFrom).toBe(6);
    expect(logs).toContain(`resuming from the checkpoint at step 6 of ${STEPS}`);
    expect(bitsEqual(weights, reference)).toBe(true);
    expect(tf.memory().numTensors).toBe(baseline);
    // The end is checkpointed too; two are kept.
    expect(await readdir(dir)).toEqual(['ckpt-000000018', 'ckpt-000000020']);
  });

  it('an unfinished checkpoint (killed while writing) is ignored and cleaned up', async () => {
    const reference = await uninterrupted();
    const dir = freshDir();
    await interrupted(dir, 4);
    await mkdir(join(dir, '.tmp-abc123'));
    await writeFile(join(dir, '.tmp-abc123', 'tensors.safetensors'), 'half');
    const { result, weights } = await resumed(dir);
    expect(result.resumedFrom).toBe(3);
    expect(bitsEqual(weights, reference)).toBe(true);
    expect((await readdir(dir)).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('a corrupt newest checkpoint is reported and the older one used', async () => {
    const reference = await uninterrupted();
    const dir = freshDir();
    await interrupted(dir, 7);
    const file = join(dir, 'ckpt-000000006', 'tensors.safetensors');
    const bytes = await readFile(file);
    bytes[bytes.length - 5] = at(bytes, -5) ^ 0xff; // one flipped bit pattern in a weight
    await writeFile(file, bytes);
    const { result, weights, logs } = await resumed(dir);
    expect(logs.some((l) => /^warn: checkpoint .*ckpt-000000006 is unusable: tensors\.safetensors does not match its recorded size and checksum/.test(l))).toBe(true);
    expect(result.resumedFrom).toBe(3);
    expect(bitsEqual(weights, reference)).toBe(true);
  });

  it('when every checkpoint is corrupt, that is reported and training starts over', async () => {
    const reference = await uninterrupted();
    const dir = freshDir();
    await interrupted(dir, 7);
    await writeFile(join(dir, 'ckpt-000000006', 'state.json'), '{"format": 1, "st');
    await rm(join(dir, 'ckpt-000000003', 'tensors.safetensors'));
    const { result, weights, logs } = await resumed(dir);
    expect(logs.filter((l) => l.includes('is unusable'))).toEqual([
      expect.stringMatching(/ckpt-000000006 is unusable: state\.json cannot be read/),
      expect.stringMatching(/ckpt-000000003 is unusable: tensors\.safetensors cannot be read \(ENOENT/),
    ]);
    expect(logs).toContain('warn: no usable checkpoint: training starts over');
    expect(result.resumedFrom).toBe(0);
    expect(bitsEqual(weights, reference)).toBe(true);
  });

  it('a checkpoint of another setup is not resumed: different fingerprint or parameter shapes', async () => {
    const dir = freshDir();
    await interrupted(dir, 4);
    const { result, logs } = await resumed(dir, [], 'lr=0.5');
    expect(result.resumedFrom).toBe(0);
    expect(logs.some((l) => /ckpt-000000003 is unusable: it was written by a different training setup/.test(l))).toBe(true);

    const other = freshDir();
    const ckpt = new Checkpoints(other);
    const w = tf.zeros([2, 3]);
    await ckpt.save({ step: 1, params: new Map([['fc1.weight', w]]), optimizer: new Map(), optimizerSteps: {}, sampler: new BatchSampler({ sources: 3, batchSize: 1, seed: 0 }).state() });
    w.dispose();
    const seen: string[] = [];
    const loaded = await new Checkpoints(other, { log: (_, m) => seen.push(m) }).loadLatest({ paramShapes: new Map([['fc1.weight', [4, 8]]]) });
    expect(loaded).toBeUndefined();
    expect(seen[0]).toMatch(/unusable: parameter "fc1.weight" has shape \[2,3\] but the model has \[4,8\]/);
  });
});
