// nce-student on a tiny configuration: NCE reports β in [0, 1), KD reports none, both evaluate
// and save a loadable student, and a teacher that is not a NAT student is a clear error.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import arithSuite from '../../plugins/arith-suite/index.js';
import natPretrain from '../../plugins/nat-pretrain/index.js';
import natStudent from '../../plugins/nat-student/index.js';
import nceStudent from '../../plugins/nce-student/index.js';
import teacherSamples from '../../plugins/teacher-samples/index.js';
import { loadStudent } from '../../src/lib/reasoning/student-model.js';
import { runPlugin } from '../plugins/ctx.js';

const root = mkdtempSync(join(tmpdir(), 'retort-nce-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const suite = join(root, 'suite', 'suite');
const samples = join(root, 'samples', 'samples');
const base = join(root, 'base', 'model');
const nat = join(root, 'nat', 'model');
const plain = join(root, 'ft', 'model');
const tiny = { steps: 2, batch: 4, maxEval: 2, maxNew: 4, evalSplits: ['test'], augmentQuestions: 3 };

beforeAll(async () => {
  await runPlugin(arithSuite, join(root, 'suite'), { seed: 3, trainSize: 12, testSize: 4, numbers: 'tiny', maxSteps: 3 }, {});
  await runPlugin(teacherSamples, join(root, 'samples'), { samples: 4, seed: 3 }, { suite });
  await runPlugin(natPretrain, join(root, 'base'), { corpusSize: 30, steps: 2, batch: 4, hiddenSize: 16, numHeads: 2, vocabSize: 300 }, { suite });
  const student = { steps: 2, negSteps: 2, batch: 4, maxEval: 1, maxNew: 2, evalSplits: ['test'], unitDim: 4 };
  await runPlugin(natStudent, join(root, 'nat'), { ...student, method: 'nat' }, { suite, samples, base });
  await runPlugin(natStudent, join(root, 'ft'), { ...student, method: 'finetune' }, { suite, samples, base });
});

describe('nce-student', () => {
  it('nce: distils from the NAT model with β in [0, 1), evaluates and saves the student', async () => {
    const run = await runPlugin(nceStudent, join(root, 'nce'), { ...tiny, method: 'nce' }, { suite, samples, base, teacher: nat });
    expect(run.metrics['train/mean_beta']).toBeGreaterThanOrEqual(0);
    expect(run.metrics['train/mean_beta']).toBeLessThan(1);
    expect(Number.isFinite(run.metrics['train/final_loss'])).toBe(true);
    expect(run.metrics['train/examples']).toBeGreaterThan(0);
    expect(readFileSync(join(root, 'nce', 'eval', 'predictions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect((await loadStudent(join(root, 'nce', 'model'))).nat).toBe(false);
  });

  it('kd: the same without β', async () => {
    const run = await runPlugin(nceStudent, join(root, 'kd'), { ...tiny, method: 'kd' }, { suite, samples, base, teacher: nat });
    expect(run.metrics['train/mean_beta']).toBeUndefined();
    expect(Number.isFinite(run.metrics['train/final_loss'])).toBe(true);
  });

  it('a teacher that is not a NAT student is a clear error', async () => {
    await expect(runPlugin(nceStudent, join(root, 'bad'), { ...tiny }, { suite, samples, base, teacher: plain })).rejects.toThrow(/not a NAT student \(no nat\.json\)/);
  });
});
