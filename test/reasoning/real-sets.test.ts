// teacher-samples and nat-student on reasoning-import's sets (hand-written MATH and GSM8K rows,
// nothing downloaded): gold rationales in each set's answer format, samples labelled and
// predictions scored in that format, and clear errors where only the arithmetic suite will do.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import natStudent from '../../plugins/nat-student/index.js';
import teacherSamples from '../../plugins/teacher-samples/index.js';
import { writeReasoningSet, type ReasoningProblem } from '../../src/lib/reasoning/import.js';
import { openProblemSet } from '../../src/lib/reasoning/problem-set.js';
import { gsm8kRow, mathRow } from '../../src/lib/reasoning/rows.js';
import { runPlugin } from '../plugins/ctx.js';
import { saveBigramStudent } from './bigram-student.js';

const root = mkdtempSync(join(tmpdir(), 'retort-real-sets-'));
const gsm8k = join(root, 'gsm8k');
const math = join(root, 'math');
const lmDir = join(root, 'lm');
let server: Server;
/** Completions the loopback teacher returns, by the question the prompt ends on. */
const replies: Record<string, string[]> = {};
const prompts: string[] = [];

const rows = <T>(make: (r: T, f: string, l: number) => Omit<ReasoningProblem, 'id' | 'split'>, split: string, raw: T[]): ReasoningProblem[] =>
  raw.map((r, i) => ({ id: `${split}-${i}`, split, ...make(r, 'hand-written', i + 1) }));

beforeAll(async () => {
  mkdirSync(gsm8k);
  mkdirSync(math);
  await writeReasoningSet(gsm8k, 'gsm8k', {
    train: rows(gsm8kRow, 'train', [
      { question: 'Ann has 3 pens and buys 4 more. How many pens?', answer: 'She has 3 + 4 = 7 pens.\n#### 7' },
      { question: 'Bo had 10 apples and ate 2. How many are left?', answer: 'He has 10 - 2 = 8 left.\n#### 8' },
    ]),
    test: rows(gsm8kRow, 'test', [
      { question: 'Cy has 5 hats and gets 2 more. How many hats?', answer: '5 + 2 = 7\n#### 7' },
      { question: 'Di has 4 cups and gets 4 more. How many cups?', answer: '4 + 4 = 8\n#### 8' },
    ]),
  });
  await writeReasoningSet(math, 'math', {
    train: rows(mathRow, 'train', [{ problem: 'What is $1/2$ as a fraction?', solution: 'It is $\\boxed{\\frac12}$.', level: 'Level 1', type: 'Prealgebra' }]),
  });
  replies['Ann has 3 pens and buys 4 more. How many pens?'] = ['3 + 4 = 7.\n#### 7', '3 + 4 = 8.\n#### 8', 'I am not sure.'];
  replies['Bo had 10 apples and ate 2. How many are left?'] = ['10 - 2 = 8\n#### 8', '10 - 2 = 8\n#### 8', '10 + 2 = 12\n#### 12'];
  replies['What is $1/2$ as a fraction?'] = ['So $\\boxed{\\frac{1}{2}}$.', 'So $\\boxed{2}$.', 'So $\\boxed{0.5}$.'];
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as { prompt: string; n: number };
      prompts.push(body.prompt);
      const question = /Question: ([^\n]*)\nAnswer:$/.exec(body.prompt)![1]!;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: replies[question]!.slice(0, body.n).map((text, index) => ({ index, text: ` ${text}` })) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  mkdirSync(lmDir);
  writeFileSync(join(lmDir, 'lm.json'), JSON.stringify({ backend: 'openai', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model: 'teacher' }));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

const samplesOf = (dir: string) => readFileSync(join(dir, 'samples', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; predicted: string | null; positive: boolean });

describe('problem sets', () => {
  it('gives a GSM8K row its "#### answer" line back and keeps a MATH solution as written', async () => {
    const g = await openProblemSet(gsm8k);
    expect([g.kind, g.answerFormat, g.splits]).toEqual(['gsm8k', 'gsm8k', ['train', 'test']]);
    expect((await g.read('train'))[0]).toEqual({ id: 'train-0', split: 'train', question: 'Ann has 3 pens and buys 4 more. How many pens?', rationale: 'She has 3 + 4 = 7 pens.\n#### 7', answer: '7' });
    const m = await openProblemSet(math);
    expect((await m.read('train'))[0]).toMatchObject({ rationale: 'It is $\\boxed{\\frac12}$.', answer: '\\frac12' });
  });

  it('names what needs the arithmetic suite, and a folder that is neither kind of set', async () => {
    await expect((await openProblemSet(math)).arith('train', 'teacher: builtin')).rejects.toThrow(/teacher: builtin needs the arithmetic suite's chains.*math set/);
    await expect(openProblemSet(root)).rejects.toThrow(/neither an arith-suite output \(suite\.json\) nor a reasoning-import output \(reasoning\.json\)/);
  });
});

describe('teacher-samples on real sets', () => {
  it('labels GSM8K samples by their #### answer, with gold demonstrations in that format', async () => {
    const run = await runPlugin(teacherSamples, join(root, 'gsm8k-samples'), { teacher: 'lm', samples: 3, demos: 2 }, { suite: gsm8k, lm: lmDir });
    const s = samplesOf(join(root, 'gsm8k-samples'));
    expect(s.map((x) => [x.predicted, x.positive])).toEqual([['7', true], ['8', false], [null, false], ['8', true], ['8', true], ['12', false]]);
    expect(run.metrics['samples/no_answer']).toBe(1);
    // Ann's prompt shows Bo's worked solution (never her own), ending in its #### line.
    expect(prompts.find((p) => p.endsWith('How many pens?\nAnswer:'))).toContain('He has 10 - 2 = 8 left.\n#### 8\n');
  });

  it('labels MATH samples by the last \\boxed{} under the MATH normalisation', async () => {
    await runPlugin(teacherSamples, join(root, 'math-samples'), { teacher: 'lm', samples: 3, demos: 0 }, { suite: math, lm: lmDir });
    // \frac{1}{2} ≡ \frac12, and so is 0.5 (Hendrycks' _strip_string rewrites it); 2 is not.
    expect(samplesOf(join(root, 'math-samples')).map((x) => x.positive)).toEqual([true, false, true]);
  });

  it('refuses the built-in teacher on a real set, with the reason', async () => {
    await expect(runPlugin(teacherSamples, join(root, 'builtin'), {}, { suite: gsm8k })).rejects.toThrow(/teacher: builtin needs the arithmetic suite's chains/);
  });
});

describe('nat-student on a GSM8K set', () => {
  it('scores its answers in the GSM8K format and reports no step metrics', async () => {
    const base = join(root, 'bigram');
    const questions = ['Cy has 5 hats and gets 2 more. How many hats?', 'Di has 4 cups and gets 4 more. How many cups?'];
    await saveBigramStudent(base, questions, ['7', '8'], (a) => ` So the total is #### ${a}.`);
    const run = await runPlugin(natStudent, join(root, 'student'), { method: 'base', evalSplits: ['test'], maxNew: 12 }, { suite: gsm8k, samples: join(root, 'gsm8k-samples', 'samples'), base });
    const preds = readFileSync(join(root, 'student', 'eval', 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { gold: string; predicted: string | null; correct: boolean });
    // Greedy decoding writes the same ending after both prompts: one of the two golds is right.
    expect(preds.map((p) => p.gold)).toEqual(['7', '8']);
    expect(preds[0]!.predicted).toBe(preds[1]!.predicted);
    expect(['7', '8']).toContain(preds[0]!.predicted);
    expect(run.metrics['acc/test']).toBe(50);
    expect(Object.keys(run.metrics).filter((k) => k.startsWith('steps/'))).toEqual([]);
  });
});
