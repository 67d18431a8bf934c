// The base model's pretraining: the learning-rate shape (constant, or warmup then cosine) and
// nat-pretrain passing its schedule params through to the training loop.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import arithSuite from '../../plugins/arith-suite/index.js';
import natPretrain from '../../plugins/nat-pretrain/index.js';
import { lrSchedule } from '../../src/lib/reasoning/student.js';
import { runPlugin } from '../plugins/ctx.js';

describe('lrSchedule', () => {
  it('is the peak at every step when constant (and when no shape is given)', () => {
    for (const s of [lrSchedule(0.01, 100, { schedule: 'constant', warmup: 10 }), lrSchedule(0.01, 100)]) {
      expect([0, 5, 50, 99].map(s)).toEqual([0.01, 0.01, 0.01, 0.01]);
    }
  });

  it('warms up linearly, then follows half a cosine down to peak · minRatio', () => {
    const s = lrSchedule(0.01, 110, { schedule: 'cosine', warmup: 10, minRatio: 0.1 });
    expect(s(0)).toBe(0);
    expect(s(5)).toBeCloseTo(0.005, 12);
    expect(s(10)).toBeCloseTo(0.01, 12);
    expect(s(60)).toBeCloseTo(0.01 * (0.1 + 0.9 * 0.5), 12); // half way through the decay
    expect(s(110)).toBeCloseTo(0.001, 12);
  });

  it('cuts a warmup longer than the run to the run', () => {
    const s = lrSchedule(0.01, 100, { schedule: 'cosine', warmup: 500 });
    expect(s(50)).toBeCloseTo(0.005, 12);
  });
});

describe('nat-pretrain schedule params', () => {
  const root = mkdtempSync(join(tmpdir(), 'retort-pretrain-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const tiny = { corpusSize: 8, steps: 2, batch: 2, hiddenSize: 16, numHeads: 2, vocabSize: 300, maxLength: 64 };

  it('trains with the warmup it is given, and at the constant rate by default', async () => {
    await runPlugin(arithSuite, join(root, 'suite'), { seed: 2, trainSize: 4, testSize: 2 }, {});
    const suite = join(root, 'suite', 'suite');
    const cosine = await runPlugin(natPretrain, join(root, 'cosine'), { ...tiny, lr: 0.004, schedule: 'cosine', warmup: 2 }, { suite });
    const constant = await runPlugin(natPretrain, join(root, 'constant'), { ...tiny, lr: 0.004 }, { suite });
    // The last logged rate is that of step 1 of 2: half way up the warmup.
    expect(cosine.metrics.lr).toBeCloseTo(0.002, 9);
    expect(constant.metrics.lr).toBeCloseTo(0.004, 9);
  });
});
