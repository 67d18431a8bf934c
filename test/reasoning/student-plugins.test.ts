// nat-pretrain and nat-student run directly on a tiny configuration: the base model's corpus
// leaves the suite out, every method trains what it should and reports accuracy per split, and a
// method without its data fails with the counts.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import arithSuite from '../../plugins/arith-suite/index.js';
import natPretrain from '../../plugins/nat-pretrain/index.js';
import natStudent from '../../plugins/nat-student/index.js';
import teacherSamples from '../../plugins/teacher-samples/index.js';
import { loadStudent } from '../../src/lib/reasoning/student-model.js';
import { runPlugin } from '../plugins/ctx.js';

const root = mkdtempSync(join(tmpdir(), 'retort-student-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const suite = join(root, 'suite', 'suite');
const samples = join(root, 'samples', 'samples');
const base = join(root, 'base', 'model');
const tiny = { steps: 2, negSteps: 2, batch: 4, maxEval: 2, maxNew: 4, evalSplits: ['test', 'ood-numbers'], unitDim: 4 };

beforeAll(async () => {
  await runPlugin(arithSuite, join(root, 'suite'), { seed: 3, trainSize: 12, testSize: 4 }, {});
  await runPlugin(teacherSamples, join(root, 'samples'), { samples: 4, seed: 3 }, { suite });
  const pre = await runPlugin(natPretrain, join(root, 'base'), { corpusSize: 30, drillRows: 5, steps: 2, batch: 4, hiddenSize: 16, numHeads: 2, vocabSize: 300 }, { suite });
  expect(pre.metrics['pretrain/corpus']).toBe(30);
  expect(pre.metrics['pretrain/drill_rows']).toBe(5);
});

describe('nat-pretrain and nat-student', () => {
  it('saves a Llama-style base model with its tokenizer', () => {
    expect(JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')).architectures).toEqual(['LlamaForCausalLM']);
    expect(JSON.parse(readFileSync(join(base, 'tokenizer.json'), 'utf8')).added_tokens.map((t: { content: string }) => t.content)).toEqual(['<pad>', '<|endoftext|>']);
  });

  it('splits numbers into digits by default, and merges them with splitDigits false', async () => {
    const digitTokens = (dir: string) => {
      const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
      return Object.keys(tok.model.vocab).filter((t) => /\d\d/.test(t));
    };
    expect(digitTokens(base)).toEqual([]);
    const merged = join(root, 'base-merged');
    await runPlugin(natPretrain, merged, { corpusSize: 30, splitDigits: false, steps: 0, hiddenSize: 16, numHeads: 2, vocabSize: 1000 }, { suite });
    expect(digitTokens(join(merged, 'model')).length).toBeGreaterThan(0);
  });

  async function runMethod(method: string) {
    const run = await runPlugin(natStudent, join(root, `student-${method}`), { ...tiny, method: method as 'nat' }, { suite, samples, base });
    for (const split of tiny.evalSplits) {
      expect(run.metrics[`acc/${split}`]).toBeGreaterThanOrEqual(0);
      expect(run.metrics[`acc/${split}`]).toBeLessThanOrEqual(100);
    }
    expect(readFileSync(join(root, `student-${method}`, 'eval', 'predictions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    const saved = await loadStudent(join(root, `student-${method}`, 'model'));
    expect(saved.nat).toBe(method === 'nat');
    saved.model.dispose();
    return run.metrics;
  }

  it('base: no training, accuracy per split', async () => {
    const m = await runMethod('base');
    expect(m['train/examples']).toBe(0);
    expect(m['train/final_loss']).toBeUndefined();
  });

  it('cot-kd: one LoRA on the positives', async () => {
    const m = await runMethod('cot-kd');
    expect(Number.isFinite(m['train/final_loss'])).toBe(true);
    expect(m['train/neg_final_loss']).toBeUndefined();
  });

  it('nat: stage 1 on the negatives, stage 2 on the positives', async () => {
    const m = await runMethod('nat');
    expect(Number.isFinite(m['train/neg_final_loss'])).toBe(true);
    expect(Number.isFinite(m['train/final_loss'])).toBe(true);
    expect(m['train/examples']).toBe(48); // 12 questions × 4 samples, positives and negatives
  });

  for (const method of ['nt', 'ul', 'cl']) {
    it(`${method}: one LoRA on the positives with a loss on the negatives`, async () => {
      const m = await runMethod(method);
      expect(Number.isFinite(m['train/final_loss'])).toBe(true);
      expect(m['train/examples']).toBe(48);
    });
  }

  it('few-shot: no training; more demonstrations than training questions is a clear error', async () => {
    const m = await runMethod('few-shot');
    expect(m['train/examples']).toBe(0);
    await expect(runPlugin(natStudent, join(root, 'y'), { ...tiny, method: 'few-shot', shots: 13 }, { suite, samples, base })).rejects.toThrow(/13 demonstrations asked for, the train split has 12/);
  });

  it('fails clearly when NAT has no negatives', async () => {
    const onlyPositive = join(root, 'pos-only');
    mkdirSync(onlyPositive, { recursive: true });
    const rows = readFileSync(join(samples, 'samples.jsonl'), 'utf8').trim().split('\n').filter((l) => JSON.parse(l).positive);
    writeFileSync(join(onlyPositive, 'samples.jsonl'), rows.join('\n') + '\n');
    await expect(runPlugin(natStudent, join(root, 'x'), { ...tiny, method: 'nat' }, { suite, samples: onlyPositive, base })).rejects.toThrow(/needs positives and negatives, got \d+ and 0/);
  });
});
