// The built-in noisy teacher and sample labelling: each mistake kind shows in the text as it
// should, rates are honoured, samples are deterministic and independent of the subset, and a
// sample without an answer is a counted negative.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/lib/nn/train/rng.js';
import { extractModelAnswer } from '../../src/lib/reasoning/answers.js';
import { labelSamples, sampleStats } from '../../src/lib/reasoning/samples.js';
import { generateSuite } from '../../src/lib/reasoning/suite.js';
import { checkErrorRates, noisyRationale, teacherRationales, type TeacherErrorRates } from '../../src/lib/reasoning/teacher.js';
import type { ArithProblem } from '../../src/lib/reasoning/types.js';

const none: TeacherErrorRates = { wrongOperation: 0, arithmeticSlip: 0, skippedStep: 0, repeatedStep: 0, misreadNumber: 0, missingAnswer: 0 };
const only = (k: keyof TeacherErrorRates, rate = 1): TeacherErrorRates => ({ ...none, [k]: rate });

/** 12 stickers; + 5; − 3 → 14. */
const problem: ArithProblem = {
  id: 'hand-0',
  split: 'train',
  template: 'collector',
  subject: 'stickers',
  question: 'Mia has 12 stickers. She buys 5 more stickers. She gives 3 stickers to Leo. How many stickers does Mia have now?',
  startPhrase: 'Mia starts with {n} stickers',
  start: 12,
  steps: [
    { op: '+', operand: 5, sentence: 'She buys 5 more stickers.', phrase: 'After buying {n} more' },
    { op: '-', operand: 3, sentence: 'She gives 3 stickers to Leo.', phrase: 'After giving {n} to Leo' },
  ],
  distractors: [],
  rationale: 'Mia starts with 12 stickers.\nAfter buying 5 more: 12 + 5 = 17.\nAfter giving 3 to Leo: 17 - 3 = 14.\nThe answer is 14.',
  answer: 14,
};

describe('the noisy teacher', () => {
  it('without mistakes writes the gold rationale', () => {
    expect(noisyRationale(problem, new Rng(1), none)).toEqual({ text: problem.rationale, errors: [] });
  });

  it('writes each kind of mistake into the chain and carries it forward', () => {
    const skipped = noisyRationale(problem, new Rng(1), only('skippedStep'));
    expect(skipped.text).toBe('Mia starts with 12 stickers.\nThe answer is 12.');
    expect(skipped.errors).toEqual(['skippedStep', 'skippedStep']);

    const repeated = noisyRationale(problem, new Rng(1), only('repeatedStep'));
    expect(repeated.text).toBe(
      'Mia starts with 12 stickers.\nAfter buying 5 more: 12 + 5 = 17.\nAfter buying 5 more: 17 + 5 = 22.\nAfter giving 3 to Leo: 22 - 3 = 19.\nAfter giving 3 to Leo: 19 - 3 = 16.\nThe answer is 16.',
    );

    const wrong = noisyRationale(problem, new Rng(3), only('wrongOperation'));
    const lines = wrong.text.split('\n');
    expect(lines[1]).toMatch(/^After buying 5 more: 12 [-*] 5 = (7|60)\.$/);
    expect(lines[2]).toMatch(/^After giving 3 to Leo: \d+ \+ 3 = \d+\.$/); // "−" taken as "+"

    for (let seed = 0; seed < 20; seed++) {
      const slip = noisyRationale(problem, new Rng(seed), only('arithmeticSlip'));
      const first = /12 \+ 5 = (\d+)/.exec(slip.text);
      expect([7, 15, 16, 18, 19, 27]).toContain(Number(first?.[1]));
      const misread = noisyRationale(problem, new Rng(seed), only('misreadNumber'));
      expect(misread.text).toMatch(/After buying (4|6) more: 12 \+ (4|6) = (16|18)\./);
    }

    const silent = noisyRationale(problem, new Rng(1), only('missingAnswer'));
    expect(silent.errors).toEqual(['missingAnswer']);
    expect(extractModelAnswer(silent.text)).toBeNull();
  });

  it('misreads a distractor number when the question has one', () => {
    const withDistractor = { ...problem, distractors: [9] };
    const texts = Array.from({ length: 20 }, (_, s) => noisyRationale(withDistractor, new Rng(s), only('misreadNumber')).text);
    expect(texts.some((t) => t.includes('12 + 9 = 21'))).toBe(true);
  });

  it('makes mistakes at about the configured rates', () => {
    const suite = generateSuite({ seed: 3, trainSize: 200, testSize: 0 });
    const samples = teacherRationales(suite.train, { samples: 8, seed: 5, rates: { ...none, arithmeticSlip: 0.1 } });
    const steps = suite.train.reduce((s, p) => s + p.steps.length, 0) * 8;
    const slips = samples.flat().reduce((s, r) => s + r.errors.length, 0);
    expect(slips / steps).toBeGreaterThan(0.08);
    expect(slips / steps).toBeLessThan(0.12);
  });

  it('gives the same samples for the same seed, whatever subset of questions is asked for', () => {
    const suite = generateSuite({ seed: 3, trainSize: 30, testSize: 0 });
    const all = teacherRationales(suite.train, { samples: 8, seed: 11 });
    expect(all).toHaveLength(30);
    expect(all[0]).toHaveLength(8);
    expect(teacherRationales(suite.train.slice(10, 12), { samples: 8, seed: 11 })).toEqual(all.slice(10, 12));
    expect(teacherRationales(suite.train, { samples: 8, seed: 12 })).not.toEqual(all);
    expect(new Set(all.flat().map((r) => r.text)).size).toBeGreaterThan(30); // the eight samples differ
  });

  it('rejects rates outside [0, 1] and per-step rates above 1 in all', () => {
    expect(() => checkErrorRates(only('skippedStep', 1.5))).toThrow(/skippedStep must be in \[0, 1\]/);
    expect(() => checkErrorRates({ ...none, skippedStep: 0.6, repeatedStep: 0.6 })).toThrow(/add up to 1.2/);
  });
});

describe('labelling samples', () => {
  it('labels by answer equivalence and keeps answerless samples as counted negatives', () => {
    const rows = labelSamples(
      { id: 'q1', question: 'q', gold: '14', texts: ['… The answer is 14.', '… The answer is 15.', 'I am not sure', '… The answer is 14.0'] },
      'model',
    );
    expect(rows.map((r) => [r.predicted, r.positive])).toEqual([
      ['14', true],
      ['15', false],
      [null, false],
      ['14', true],
    ]);
    const more = labelSamples({ id: 'q2', question: 'q', gold: '3', texts: ['The answer is 3.', 'The answer is 3.'] }, 'model');
    const none = labelSamples({ id: 'q3', question: 'q', gold: '3', texts: ['The answer is 4.'] }, 'model');
    expect(sampleStats([...rows, ...more, ...none])).toEqual({
      questions: 3,
      samples: 7,
      positives: 4,
      negatives: 3,
      noAnswer: 1,
      withoutPositive: 1,
      withoutNegative: 1,
    });
  });

  it('labels MATH samples with the MATH equivalence', () => {
    const rows = labelSamples({ id: 'm', question: 'q', gold: '\\frac{1}{2}', texts: ['so $\\boxed{0.5}$', 'so $\\boxed{\\dfrac12}$', 'so 1/2'] }, 'math');
    expect(rows.map((r) => r.positive)).toEqual([true, true, false]);
  });
});
