// nce-student, asc-ranker and asc-vote on reasoning-import's sets (tiny hand-written MATH and GSM8K
// rows, nothing downloaded): questions read through the shared problem-set reader, answers
// extracted and compared in the set's format, and a MATH row without \boxed{} a located data
// error in every stage that reads it.
//
// The student is the bigram test model: after any prompt it writes one of two known endings, so
// what is right is known in advance. Its blocks add nothing (o_proj = 0), so neither a NAT unit at
// initialisation (W₂ = 0) nor a LoRA on q/v changes its output: the NAT teacher and the distilled
// student decode as the base does, greedily always the same one of the two endings. Each set has
// two questions whose golds match one ending each only under the set's normalisation (MATH:
// 0.5 ≡ \frac12, 2 ≡ 2 \text{ cm}; GSM8K: 1,000 ≡ 1000), so greedy decoding is right on exactly
// one of them whichever ending it picks, and on none if answers were compared as plain numbers.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ascRanker from '../../plugins/asc-ranker/index.js';
import ascVote from '../../plugins/asc-vote/index.js';
import natStudent from '../../plugins/nat-student/index.js';
import nceStudent from '../../plugins/nce-student/index.js';
import teacherSamples from '../../plugins/teacher-samples/index.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { writeReasoningSet, type DatasetFormat, type ReasoningProblem } from '../../src/lib/reasoning/import.js';
import { openProblemSet } from '../../src/lib/reasoning/problem-set.js';
import { runPlugin } from '../plugins/ctx.js';
import { saveBigramStudent } from './bigram-student.js';

const root = mkdtempSync(join(tmpdir(), 'retort-real-distill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Fixture {
  format: DatasetFormat;
  questions: string[];
  /** The gold solutions, as stored by reasoning-import, and their answers. */
  solutions: string[];
  answers: string[];
  /** The student's two endings, each right for one question under the set's normalisation. */
  ending: (a: string) => string;
  said: [string, string];
}

const FIXTURES: Record<DatasetFormat, Fixture> = {
  math: {
    format: 'math',
    questions: ['What is $1 \\div 2$?', 'How long is the side?'],
    solutions: ['Halve it: $\\boxed{\\frac12}$.', 'It is $\\boxed{2 \\text{ cm}}$.'],
    answers: ['\\frac12', '2 \\text{ cm}'],
    ending: (a) => ` So $\\boxed{${a}}$.`,
    said: ['0.5', '2'],
  },
  gsm8k: {
    format: 'gsm8k',
    questions: ['Ann sells 500 pens twice. How many pens?', 'Bo has 4 cups and gets 4 more. How many cups?'],
    solutions: ['500 * 2 = 1000', '4 + 4 = 8'],
    answers: ['1000', '8'],
    ending: (a) => ` So the total is #### ${a}.`,
    said: ['1,000', '8'],
  },
};

const dirs = (format: DatasetFormat) => {
  const d = join(root, format);
  return { set: join(d, 'set'), samples: join(d, 'samples'), base: join(d, 'base'), nat: join(d, 'nat', 'model'), ranker: join(d, 'ranker', 'ranker'), d };
};

const problems = (f: Fixture, split: string): ReasoningProblem[] =>
  f.questions.map((question, i) => ({ id: `${split}-${i}`, split, question, solution: f.solutions[i]!, answer: f.answers[i]! }));

/** One positive and one negative teacher sample per training question, as teacher-samples writes them. */
function writeSamples(dir: string, f: Fixture): void {
  mkdirSync(dir, { recursive: true });
  const rows = f.questions.flatMap((question, i) => [
    { id: `train-${i}`, sample: 0, question, gold: f.answers[i], text: f.ending(f.said[i]!).trim(), predicted: f.said[i], positive: true },
    { id: `train-${i}`, sample: 1, question, gold: f.answers[i], text: f.ending(f.said[1 - i]!).trim(), predicted: f.said[1 - i], positive: false },
  ]);
  writeFileSync(join(dir, 'samples.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

beforeAll(async () => {
  await initBackend();
  for (const f of Object.values(FIXTURES)) {
    const d = dirs(f.format);
    mkdirSync(d.set, { recursive: true });
    await writeReasoningSet(d.set, f.format, { train: problems(f, 'train'), test: problems(f, 'test') });
    writeSamples(d.samples, f);
    await saveBigramStudent(d.base, f.questions, f.said, f.ending);
    // A NAT student that is not trained: its unit adds nothing yet (W₂ = 0).
    await runPlugin(natStudent, join(d.d, 'nat'), { method: 'nat', steps: 0, negSteps: 0, unitDim: 4, evalSplits: ['test'], maxNew: 16 },
      { suite: d.set, samples: d.samples, base: d.base });
  }
  await runPlugin(ascRanker, join(dirs('math').d, 'ranker'), { steps: 2, hiddenSize: 16, numLayers: 1, intermediateSize: 32, vocabSize: 120, maxLength: 64 },
    { samples: dirs('math').samples });
}, 120_000);

interface Prediction { id: string; gold: string; text: string; predicted: string | null; correct: boolean }
const predictionsOf = (dir: string) =>
  readFileSync(join(dir, 'eval', 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Prediction);

/** A copy of a fixture's set whose second test row's solution has lost its \boxed{}. */
async function badMathSet(): Promise<string> {
  const dir = join(root, 'bad-math');
  mkdirSync(dir, { recursive: true });
  const rows = problems(FIXTURES.math, 'test');
  rows[1] = { ...rows[1]!, solution: 'It is 2 cm.' };
  await writeReasoningSet(dir, 'math', { train: problems(FIXTURES.math, 'train'), test: rows });
  return dir;
}

const BAD_ROW = /bad-math\/test\.jsonl:2: the solution has no \\boxed\{…\} answer/;

describe('the shared problem-set reader', () => {
  it('refuses a stored MATH row without \\boxed{}, and one whose answer is not its solution\'s, naming file:line', async () => {
    const bad = await badMathSet();
    await expect((await openProblemSet(bad)).read('test')).rejects.toThrow(BAD_ROW);
    const other = join(root, 'other-answer');
    mkdirSync(other);
    await writeReasoningSet(other, 'math', { test: [{ ...problems(FIXTURES.math, 'test')[0]!, answer: '3' }] });
    await expect((await openProblemSet(other)).read('test')).rejects.toThrow(/test\.jsonl:1: "answer" is "3", but the solution's last \\boxed\{\} holds "\\\\frac12"/);
  });

  it('refuses a stored GSM8K answer that is not a number', async () => {
    const dir = join(root, 'bad-gsm8k');
    mkdirSync(dir);
    await writeReasoningSet(dir, 'gsm8k', { test: [{ ...problems(FIXTURES.gsm8k, 'test')[0]!, answer: 'many' }] });
    await expect((await openProblemSet(dir)).read('test')).rejects.toThrow(/test\.jsonl:1: "answer" must be a number \(GSM8K\), got "many"/);
  });

  it('teacher-samples and nat-student stop on that row too', async () => {
    const bad = await badMathSet();
    await expect(runPlugin(teacherSamples, join(root, 'bad-samples'), { teacher: 'lm', split: 'test' }, { suite: bad, lm: root })).rejects.toThrow(BAD_ROW);
    const d = dirs('math');
    await expect(runPlugin(natStudent, join(root, 'bad-nat'), { method: 'base', evalSplits: ['test'], maxNew: 4 }, { suite: bad, samples: d.samples, base: d.base }))
      .rejects.toThrow(BAD_ROW);
  });
});

describe.each(['math', 'gsm8k'] as const)('nce-student on a %s set', (format) => {
  const f = FIXTURES[format];

  it('keeps the NAT rationales right in the set\'s format, and scores its own predictions so', async () => {
    const d = dirs(format);
    const out = join(d.d, 'nce');
    // One step of training on the set's texts: the student's output cannot change (o_proj = 0).
    const run = await runPlugin(nceStudent, out, { method: 'nce', steps: 1, batch: 2, augmentQuestions: 2, evalSplits: ['test'], maxNew: 16 },
      { suite: d.set, samples: d.samples, base: d.base, teacher: d.nat });
    // The NAT model writes the same ending for both training questions: it is right for exactly one.
    expect(run.metrics['train/augmented']).toBe(1);
    expect(run.metrics['train/examples']).toBe(2 + 1);
    expect(run.metrics['train/mean_beta']).toBeGreaterThanOrEqual(0);
    expect(run.metrics['train/mean_beta']).toBeLessThan(1);
    const preds = predictionsOf(out);
    expect(preds.map((p) => p.gold)).toEqual(f.answers);
    expect(preds[0]!.text).toBe(preds[1]!.text);
    expect(f.said.map(f.ending).map((e) => e.trim())).toContain(preds[0]!.text);
    expect(preds.map((p) => p.correct).sort()).toEqual([false, true]);
    expect(run.metrics['acc/test']).toBe(50);
  }, 60_000);
});

describe('nce-student on a bad MATH row', () => {
  it('stops with the located data error', async () => {
    const d = dirs('math');
    await expect(runPlugin(nceStudent, join(root, 'bad-nce'), { method: 'kd', steps: 0, augmentQuestions: 0, evalSplits: ['test'], maxNew: 4 },
      { suite: await badMathSet(), samples: d.samples, base: d.base, teacher: d.nat })).rejects.toThrow(BAD_ROW);
  }, 60_000);
});

interface VoteRow { id: string; gold: string; samples: { text: string; answer: string | null; correct: boolean }[]; credit: Record<string, number> }
const votesOf = (dir: string) => readFileSync(join(dir, 'votes', 'votes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as VoteRow);

describe.each(['math', 'gsm8k'] as const)('asc-vote on a %s set', (format) => {
  const f = FIXTURES[format];
  // The answer each ending votes for: MATH answers normalised (0.5 → \frac{1}{2}), numbers canonical.
  const votedAs = { math: ['\\frac{1}{2}', '2'], gsm8k: ['1000', '8'] }[format];

  it('marks samples right and votes on answers in the set\'s format', async () => {
    const d = dirs(format);
    const out = join(d.d, 'vote');
    const run = await runPlugin(ascVote, out, { samples: 6, maxNew: 16, maxLength: 96, evalSplits: ['test'], temperature: 1, seed: 3 },
      { suite: d.set, model: d.base, ranker: dirs('math').ranker });
    const rows = votesOf(out);
    expect(rows.map((r) => r.gold)).toEqual(f.answers);
    rows.forEach((row, q) => {
      for (const s of row.samples) {
        const said = f.said.findIndex((a) => s.text === f.ending(a).trim());
        expect(said).toBeGreaterThanOrEqual(0);
        expect(s.answer).toBe(votedAs[said]);
        expect(s.correct).toBe(said === q); // ending q is question q's answer, and only that one
      }
      const right = row.samples.filter((s) => s.correct).length;
      // Two answers among six samples: SC credits the majority, or 1/2 of a tie.
      expect(row.credit.sc).toBe(right > 3 ? 1 : right === 3 ? 0.5 : 0);
    });
    expect(run.metrics['acc/test/greedy']).toBe(50);
  }, 60_000);
});

describe('asc-vote on a bad MATH row', () => {
  it('stops with the located data error', async () => {
    await expect(runPlugin(ascVote, join(root, 'bad-vote'), { samples: 2, maxNew: 8, maxLength: 64, evalSplits: ['test'] },
      { suite: await badMathSet(), model: dirs('math').base, ranker: dirs('math').ranker })).rejects.toThrow(BAD_ROW);
  }, 60_000);
});
