import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { AdamW, defaultNoDecay } from '../../src/lib/nn/train/adamw.js';
import { clipByGlobalNorm } from '../../src/lib/nn/train/clip.js';
import { train, TrainingCancelled } from '../../src/lib/nn/train/loop.js';
import { BatchSampler } from '../../src/lib/nn/train/sampler.js';
import { constantLr, makeSchedule, warmupCosine, warmupLinear } from '../../src/lib/nn/train/schedule.js';
import { bitsEqual, tinyMlp, torchPython } from './train-fixtures.js';
import { at } from '../util/at.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('AdamW', () => {
  it('matches a hand-computed update, with decoupled weight decay', () => {
    const w = tf.variable(tf.tensor1d([0.5, -1]));
    const b = tf.variable(tf.tensor1d([2]));
    const opt = new AdamW(new Map([['lin.weight', w], ['lin.bias', b]]), { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5 });
    const expected = (p: number, gs: number[], decay: boolean) => {
      let m = 0, v = 0;
      gs.forEach((g, i) => {
        const t = i + 1;
        if (decay) p *= 1 - 0.1 * 0.5;
        m = 0.9 * m + 0.1 * g;
        v = 0.99 * v + 0.01 * g * g;
        p -= (0.1 / (1 - 0.9 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.99 ** t) + 1e-8));
      });
      return p;
    };
    const gw = [[0.2, -3], [0.1, 0.4]];
    const gb = [[1], [-2]];
    for (let s = 0; s < 2; s++) {
      const grads = new Map([['lin.weight', tf.tensor1d(at(gw, s))], ['lin.bias', tf.tensor1d(at(gb, s))]]);
      opt.step(grads);
      for (const g of grads.values()) g.dispose();
    }
    const got = values(w);
    expect(got[0]).toBeCloseTo(expected(0.5, [0.2, 0.1], true), 6);
    expect(got[1]).toBeCloseTo(expected(-1, [-3, 0.4], true), 6);
    expect(values(b)[0]).toBeCloseTo(expected(2, [1, -2], false), 6); // a bias: no decay
    expect(opt.decayed()).toEqual(['lin.weight']);
    opt.dispose();
    w.dispose();
    b.dispose();
  });

  it('excludes biases and LayerNorm/RMSNorm weights from decay by default; a predicate overrides it', () => {
    for (const name of ['bert.encoder.layer.0.attention.output.LayerNorm.weight', 'transformer.h.0.ln_1.weight', 'transformer.ln_f.weight',
      'model.layers.3.input_layernorm.weight', 'model.norm.weight', 'encoder.blocks.1.rms_norm.weight', 'fc.bias']) {
      expect(defaultNoDecay(name), name).toBe(true);
    }
    for (const name of ['bert.embeddings.word_embeddings.weight', 'transformer.h.0.attn.c_attn.weight', 'model.layers.0.self_attn.q_proj.weight', 'lm_head.weight']) {
      expect(defaultNoDecay(name), name).toBe(false);
    }
    const v = tf.variable(tf.ones([2]));
    const opt = new AdamW(new Map([['emb.weight', v], ['x.bias', tf.variable(tf.ones([1]))]]), { noDecay: (n) => n.startsWith('emb') });
    expect(opt.decayed()).toEqual(['x.bias']);
    opt.dispose();
  });

  it('saves and restores its state: a restored optimizer continues exactly', () => {
    const make = () => tf.variable(tf.tensor1d([1, 2, 3]));
    const a = make();
    const opt = new AdamW(new Map([['p', a]]), { lr: 0.05 });
    const g = tf.tensor1d([0.3, -0.1, 2]);
    opt.step(new Map([['p', g]]));
    const saved = opt.state();
    const copy = { steps: { ...saved.steps }, tensors: new Map([...saved.tensors].map(([k, t]) => [k, t.clone()])) };
    const b = tf.variable(a.clone());
    const opt2 = new AdamW(new Map([['p', b]]), { lr: 0.05 });
    opt2.loadState(copy);
    opt.step(new Map([['p', g]]));
    opt2.step(new Map([['p', g]]));
    expect(values(b)).toEqual(values(a));
    expect(() => opt2.loadState({ steps: { p: 1 }, tensors: new Map([['exp_avg.p', tf.zeros([2])], ['exp_avg_sq.p', tf.zeros([3])]]) }))
      .toThrow(/"exp_avg.p" has shape \[2\] but the parameter has \[3\]/);
    for (const t of copy.tensors.values()) t.dispose();
    opt.dispose();
    opt2.dispose();
  });

  const python = torchPython();
  const needTorch = python !== undefined || process.env.CI === 'true';
  (needTorch ? it : it.skip)(`matches torch.optim.AdamW over three steps, with a no-decay group, to 1e-6${needTorch ? '' : ' (PyTorch not found)'}`, () => {
    if (!python) throw new Error('PyTorch is required here (CI=true): install Debian python3-torch or set RETORT_TORCH_PYTHON');
    const init = { w: [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], b: [0.05, -0.05] };
    const grads = [
      { w: [[0.3, -1.2, 0.01], [2.0, 0.0, -0.5]], b: [0.1, -0.3] },
      { w: [[-0.7, 0.2, 0.4], [0.1, 1.5, 0.2]], b: [-0.2, 0.05] },
      { w: [[0.05, 0.05, -0.9], [-1.1, 0.3, 0.6]], b: [0.4, 0.4] },
    ];
    const lrs = [1e-2, 5e-3, 2.5e-3];
    const script = `
import json, sys, torch
d = json.load(sys.stdin)
w = torch.tensor(d['init']['w'], dtype=torch.float32, requires_grad=True)
b = torch.tensor(d['init']['b'], dtype=torch.float32, requires_grad=True)
opt = torch.optim.AdamW([{'params': [w], 'weight_decay': 0.1}, {'params': [b], 'weight_decay': 0.0}], lr=1e-2, betas=(0.9, 0.98), eps=1e-6)
for g, lr in zip(d['grads'], d['lrs']):
    for group in opt.param_groups: group['lr'] = lr
    w.grad = torch.tensor(g['w'], dtype=torch.float32); b.grad = torch.tensor(g['b'], dtype=torch.float32)
    opt.step()
s = opt.state[w]
print(json.dumps({'w': w.detach().flatten().tolist(), 'b': b.detach().tolist(), 'm': s['exp_avg'].flatten().tolist(), 'v': s['exp_avg_sq'].flatten().tolist()}))
`;
    const ref = JSON.parse(execFileSync(python, ['-c', script], { input: JSON.stringify({ init, grads, lrs }), encoding: 'utf8' }));
    const w = tf.variable(tf.tensor2d(init.w));
    const b = tf.variable(tf.tensor1d(init.b));
    const opt = new AdamW(new Map<string, tf.Variable>([['lin.weight', w], ['lin.bias', b]]), { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1 });
    grads.forEach((g, i) => {
      const map = new Map<string, tf.Tensor>([['lin.weight', tf.tensor2d(g.w)], ['lin.bias', tf.tensor1d(g.b)]]);
      opt.step(map, lrs[i]);
      for (const t of map.values()) t.dispose();
    });
    const close = (got: number[], want: number[]) => got.forEach((x, i) => expect(Math.abs(x - at(want, i))).toBeLessThan(1e-6));
    close(values(w), ref.w);
    close(values(b), ref.b);
    close(values(opt.state().tensors.get('exp_avg.lin.weight')!), ref.m);
    close(values(opt.state().tensors.get('exp_avg_sq.lin.weight')!), ref.v);
    opt.dispose();
    w.dispose();
    b.dispose();
  });
});

describe('schedules', () => {
  it('warmup + linear and warmup + cosine follow the Hugging Face formulas', () => {
    const lin = warmupLinear({ peak: 1, warmupSteps: 4, totalSteps: 12 });
    expect([0, 2, 4, 8, 12, 20].map(lin)).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    const cos = warmupCosine({ peak: 2, warmupSteps: 2, totalSteps: 6 });
    expect(cos(1)).toBe(1);
    expect(cos(2)).toBe(2);
    expect(cos(4)).toBeCloseTo(1, 12);
    expect(cos(6)).toBeCloseTo(0, 12);
    const floor = warmupCosine({ peak: 1, warmupSteps: 0, totalSteps: 10, minRatio: 0.1 });
    expect(floor(10)).toBeCloseTo(0.1, 12);
    expect(constantLr(3e-4)(1000)).toBe(3e-4);
    expect(makeSchedule({ kind: 'linear', peak: 1, warmupSteps: 0, totalSteps: 4 })(1)).toBe(0.75);
    expect(() => warmupLinear({ peak: 1, warmupSteps: 5, totalSteps: 3 })).toThrow(/totalSteps must be an integer >= warmupSteps \(5\), got 3/);
  });
});

describe('clipping', () => {
  it('scales all gradients by maxNorm / global norm when above it, and leaves them otherwise', () => {
    const grads = new Map([['a', tf.tensor1d([3, 0])], ['b', tf.tensor1d([0, 4])]]); // global norm 5
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(values(norm)[0]).toBeCloseTo(5, 6);
    expect(values(clipped.get('a')!)[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(values(clipped.get('b')!)[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    const loose = clipByGlobalNorm(grads, 10);
    expect(values(loose.grads.get('b')!)).toEqual([0, 4]);
    for (const t of [...grads.values(), ...clipped.values(), ...loose.grads.values(), norm, loose.norm]) t.dispose();
  });
});

describe('BatchSampler', () => {
  it('walks each source in a fresh order per epoch, reproducibly', () => {
    const a = new BatchSampler({ sources: 10, batchSize: 5, seed: 7 });
    const b = new BatchSampler({ sources: 10, batchSize: 5, seed: 7 });
    const epoch = [...a.nextIndices(), ...a.nextIndices()];
    expect([...epoch].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...b.nextIndices(), ...b.nextIndices()]).toEqual(epoch);
    const next = [...a.nextIndices(), ...a.nextIndices()];
    expect(next).not.toEqual(epoch); // another epoch, another order
    expect(new BatchSampler({ sources: 10, batchSize: 10, seed: 8 }).nextIndices()).not.toEqual(epoch);
  });

  it('mixes sources by weight; grouped batches come from one source', () => {
    const sources = [{ name: 'a', size: 30, weight: 3 }, { name: 'b', size: 5, weight: 1 }, { name: 'c', size: 4, weight: 0 }];
    const mixed = new BatchSampler({ sources, batchSize: 8, seed: 1 });
    const counts: [number, number, number] = [0, 0, 0];
    let batchesWithBoth = 0;
    for (let i = 0; i < 500; i++) {
      const batch = mixed.next();
      for (const r of batch) counts[r.source] = at(counts, r.source) + 1;
      if (new Set(batch.map((r) => r.source)).size > 1) batchesWithBoth++;
      for (const r of batch) expect(r.index).toBeLessThan(at(sources, r.source).size);
    }
    expect(counts[2]).toBe(0);
    expect(counts[0] / (counts[0] + counts[1])).toBeGreaterThan(0.7);
    expect(counts[0] / (counts[0] + counts[1])).toBeLessThan(0.8);
    expect(batchesWithBoth).toBeGreaterThan(400);
    const grouped = new BatchSampler({ sources, batchSize: 8, seed: 1, mode: 'grouped' });
    for (let i = 0; i < 50; i++) expect(new Set(grouped.next().map((r) => r.source)).size).toBe(1);
  });

  it('continues exactly from a saved state (JSON round trip)', () => {
    const sources = [{ name: 'a', size: 7 }, { name: 'b', size: 3 }];
    const a = new BatchSampler({ sources, batchSize: 4, seed: 3 });
    for (let i = 0; i < 5; i++) a.next();
    const state = JSON.parse(JSON.stringify(a.state()));
    const b = new BatchSampler({ sources, batchSize: 4, seed: 3 });
    b.restore(state);
    for (let i = 0; i < 10; i++) expect(b.next()).toEqual(a.next());
    expect(() => new BatchSampler({ sources: 5, batchSize: 2, seed: 3 }).restore(state)).toThrow(/does not match this sampler \(1 sources\)/);
  });

  it('rejects bad sources with their names', () => {
    expect(() => new BatchSampler({ sources: [{ name: 'empty', size: 0, weight: 1 }], batchSize: 1, seed: 0 })).toThrow(/source "empty" is empty/);
    expect(() => new BatchSampler({ sources: 3, batchSize: 0, seed: 0 })).toThrow(/batchSize must be a positive integer/);
  });
});

describe('train()', () => {
  function run(seed: number, over: Partial<Parameters<typeof train<ReturnType<ReturnType<typeof tinyMlp>['makeBatch']>>>[0]> = {}, model = tinyMlp(1)) {
    const metrics: { name: string; value: number; step?: number }[] = [];
    const progress: [number, number][] = [];
    const logs: string[] = [];
    const sampler = new BatchSampler({ sources: model.n, batchSize: 8, seed });
    const result = train({
      parameters: () => model.params,
      makeBatch: (refs) => model.makeBatch(refs),
      loss: (batch, info) => model.loss(batch, info),
      sampler,
      steps: 30,
      seed,
      optimizer: { lr: 0.02, weightDecay: 0.01 },
      schedule: warmupLinear({ peak: 0.02, warmupSteps: 5, totalSteps: 30 }),
      clipNorm: 1,
      logEvery: 10,
      ctx: {
        metric: (name, value, step) => metrics.push({ name, value, step }),
        progress: (done, total) => progress.push([done, total]),
        log: { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) },
      },
      ...over,
    });
    return { model, metrics, progress, logs, result };
  }

  // The lr reported at step N is the one its update used (schedule(N - 1)).
  it('lowers the loss, logs loss/lr/grad_norm every N steps with ETA, reports progress, and leaks no tensors', async () => {
    const model = tinyMlp(1);
    const baseline = tf.memory().numTensors;
    const initialLoss = tf.tidy(() => model.loss(model.makeBatch(Array.from({ length: model.n }, (_, index) => ({ source: 0, index })))).arraySync());
    const { metrics, progress, logs, result } = run(1, {}, model);
    await result;
    expect(tf.memory().numTensors).toBe(baseline);
    const finalLoss = tf.tidy(() => model.loss(model.makeBatch(Array.from({ length: model.n }, (_, index) => ({ source: 0, index })))).arraySync());
    expect(finalLoss).toBeLessThan(initialLoss * 0.7);
    expect(metrics.filter((m) => m.name === 'loss').map((m) => m.step)).toEqual([10, 20, 30]);
    expect(metrics.filter((m) => m.name === 'lr').map((m) => m.value)).toEqual([0.02 * 21 / 25, 0.02 * 11 / 25, 0.02 * 1 / 25].map((x) => expect.closeTo(x, 12)));
    expect(metrics.filter((m) => m.name === 'grad_norm')).toHaveLength(3);
    expect(progress).toHaveLength(30);
    expect(progress[29]).toEqual([30, 30]);
    expect(logs[0]).toMatch(/^step 10\/30 {2}loss \S+ {2}lr \S+ {2}grad_norm \S+ {2}eta \d+s$/);
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  });

  it('gives the same weights bit for bit for the same seed, and different ones for another seed', async () => {
    const a = run(5, {}, tinyMlp(2, 48, { dropout: 0.2 }));
    await a.result;
    const b = run(5, {}, tinyMlp(2, 48, { dropout: 0.2 }));
    await b.result;
    const c = run(6, {}, tinyMlp(2, 48, { dropout: 0.2 }));
    await c.result;
    expect(bitsEqual(a.model.weights(), b.model.weights())).toBe(true);
    expect(bitsEqual(a.model.weights(), c.model.weights())).toBe(false);
    for (const r of [a, b, c]) r.model.dispose();
  });

  it('accumulating two micro-batches of 4 equals one batch of 8 (mean loss)', async () => {
    const whole = tinyMlp(3);
    const parts = tinyMlp(3);
    await train({ parameters: whole.params, makeBatch: (r) => whole.makeBatch(r), loss: (b) => whole.loss(b),
      sampler: new BatchSampler({ sources: whole.n, batchSize: 8, seed: 9 }), steps: 6, seed: 9, optimizer: { lr: 0.01 } });
    await train({ parameters: parts.params, makeBatch: (r) => parts.makeBatch(r), loss: (b) => parts.loss(b),
      sampler: new BatchSampler({ sources: parts.n, batchSize: 4, seed: 9 }), steps: 6, accumulate: 2, seed: 9, optimizer: { lr: 0.01 } });
    const w = whole.weights();
    const p = parts.weights();
    for (const [name, values] of w) values.forEach((v, i) => expect(Math.abs(v - at(p.get(name)!, i)), name).toBeLessThan(1e-5));
    whole.dispose();
    parts.dispose();
  });

  it('stops promptly when the signal aborts, with a cancellation error and no leaked tensors', async () => {
    const model = tinyMlp(4);
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    const seen: number[] = [];
    const result = run(1, {
      steps: 1000,
      ctx: { signal: controller.signal, progress: (done) => { seen.push(done); if (done === 3) controller.abort(); } },
    }, model).result;
    await expect(result).rejects.toBeInstanceOf(TrainingCancelled);
    expect(seen.at(-1)).toBe(3);
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  });

  it('a loss that becomes NaN fails with a clear message', async () => {
    const model = tinyMlp(4);
    await expect(train({
      parameters: model.params, makeBatch: (r) => model.makeBatch(r), loss: (b) => tf.div(model.loss(b), 0).mul(0) as tf.Scalar,
      sampler: new BatchSampler({ sources: model.n, batchSize: 4, seed: 1 }), steps: 3, logEvery: 1, seed: 1,
    })).rejects.toThrow(/the training loss became NaN by step 1/);
    model.dispose();
  });
});
