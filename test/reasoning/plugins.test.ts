// The arith-suite and teacher-samples stages, run directly: files, metrics, determinism, the
// counts of questions without positives or negatives, and the lm teacher through lm.json.

import { readFileSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import arithSuite from '../../plugins/arith-suite/index.js';
import teacherSamples from '../../plugins/teacher-samples/index.js';
import type { LabelledSample } from '../../src/lib/reasoning/samples.js';
import { runPlugin } from '../plugins/ctx.js';

const root = mkdtempSync(join(tmpdir(), 'retort-teacher-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const readRows = (dir: string) => readFileSync(join(dir, 'samples', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LabelledSample);

describe('arith-suite and teacher-samples', () => {
  it('writes the suite, then eight labelled samples per question with counts', async () => {
    const suite = await runPlugin(arithSuite, join(root, 'suite'), { seed: 2, trainSize: 40, testSize: 10 }, {});
    expect(suite.metrics).toMatchObject({ 'suite/train_rows': 40, 'suite/test_rows': 10, 'suite/ood-numbers_rows': 10 });
    const suiteDir = join(root, 'suite', 'suite');

    const a = await runPlugin(teacherSamples, join(root, 's1'), { seed: 3 }, { suite: suiteDir });
    const b = await runPlugin(teacherSamples, join(root, 's2'), { seed: 3 }, { suite: suiteDir });
    expect(readFileSync(join(root, 's1', 'samples', 'samples.jsonl'), 'utf8')).toBe(readFileSync(join(root, 's2', 'samples', 'samples.jsonl'), 'utf8'));
    expect(a.metrics).toEqual(b.metrics);
    const rows = readRows(join(root, 's1'));
    expect(rows).toHaveLength(40 * 8);
    expect(a.metrics['samples/total']).toBe(320);
    expect(a.metrics['samples/positives']! + a.metrics['samples/negatives']!).toBe(320);
    expect(a.metrics['samples/positives']).toBe(rows.filter((r) => r.positive).length);
    expect(a.metrics['samples/no_answer']).toBe(rows.filter((r) => r.predicted === null).length);
    // Faithful rationales are positives; an answerless one is a negative.
    const faithful = rows.filter((r) => r.errors!.length === 0);
    const answerless = rows.filter((r) => r.errors!.includes('missingAnswer'));
    expect(faithful.length).toBeGreaterThan(0);
    expect(answerless.length).toBeGreaterThan(0);
    expect(faithful.every((r) => r.positive)).toBe(true);
    expect(answerless.every((r) => !r.positive && r.predicted === null)).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 's1', 'samples', 'stats.json'), 'utf8')).samples).toBe(320);
  });

  it('reports questions without a positive or without a negative in the metrics', async () => {
    const suiteDir = join(root, 'suite', 'suite');
    const perfect = { wrongOperation: 0, arithmeticSlip: 0, skippedStep: 0, repeatedStep: 0, misreadNumber: 0, missingAnswer: 0 };
    const good = await runPlugin(teacherSamples, join(root, 'good'), { rates: perfect, maxQuestions: 5 }, { suite: suiteDir });
    expect(good.metrics).toMatchObject({ 'samples/questions': 5, 'samples/questions_without_negative': 5, 'samples/questions_without_positive': 0 });
    const hopeless = await runPlugin(teacherSamples, join(root, 'bad'), { rates: { ...perfect, missingAnswer: 1 }, maxQuestions: 5 }, { suite: suiteDir });
    expect(hopeless.metrics).toMatchObject({ 'samples/questions_without_positive': 5, 'samples/no_answer': 40, 'samples/negatives': 40 });
    expect(hopeless.logs.some((l) => l.startsWith('warn: 5 questions have no positive sample'))).toBe(true);
  });

  it('samples from an OpenAI-compatible server named by lm.json', async () => {
    const seen: { prompt: string; n: number }[] = [];
    const srv = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        const body = JSON.parse(data) as { prompt: string; n: number };
        seen.push(body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: Array.from({ length: body.n }, (_, index) => ({ index, text: ` The answer is ${index}.` })) }));
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const lmDir = join(root, 'lm');
      mkdirSync(lmDir, { recursive: true });
      writeFileSync(join(lmDir, 'lm.json'), JSON.stringify({ backend: 'openai', baseUrl: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`, model: 'm' }));
      const run = await runPlugin(teacherSamples, join(root, 'lm-out'), { teacher: 'lm', maxQuestions: 3, samples: 4, demos: 2 }, { suite: join(root, 'suite', 'suite'), lm: lmDir });
      expect(seen).toHaveLength(3);
      expect(seen.every((b) => b.n === 4)).toBe(true);
      // The first question is not its own demonstration: its prompt has one demo, the third two.
      expect(seen.map((b) => b.prompt.split('Question:').length - 1).sort()).toEqual([2, 2, 3]);
      const rows = readRows(join(root, 'lm-out'));
      expect(rows).toHaveLength(12);
      expect(rows.every((r) => r.errors === undefined)).toBe(true);
      expect(run.metrics['samples/total']).toBe(12);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('fails clearly without the lm input, or with a suite folder that is not one', async () => {
    await expect(runPlugin(teacherSamples, join(root, 'x'), { teacher: 'lm' }, { suite: join(root, 'suite', 'suite') })).rejects.toThrow(/needs the lm input/);
    await expect(runPlugin(teacherSamples, join(root, 'y'), {}, { suite: root })).rejects.toThrow(/neither an arith-suite output \(suite\.json\)/);
  });
});
