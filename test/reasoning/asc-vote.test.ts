// The asc-vote stage: answers and scores of sampled rationales voted on hand-computed cases
// (an unscorable sample gets the mean score, an answerless one casts no vote, ties are credited
// 1/|ties|), and the stage end to end on a tiny student: its metrics agree with the votes it
// writes, recomputed here, and the same seed gives the same samples.

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ascRanker from '../../plugins/asc-ranker/index.js';
import ascVote from '../../plugins/asc-vote/index.js';
import teacherSamples from '../../plugins/teacher-samples/index.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { writeReasoningSet } from '../../src/lib/reasoning/import.js';
import { writeSuiteFiles } from '../../src/lib/reasoning/io.js';
import { scoredSamples, voteQuestion } from '../../src/lib/reasoning/self-consistency.js';
import { generateSuite } from '../../src/lib/reasoning/suite.js';
import { runPlugin } from '../plugins/ctx.js';
import { saveBigramStudent } from './bigram-student.js';

describe('votes over sampled rationales', () => {
  const texts = ['3 + 4 = 7. The answer is 7.', 'The answer is 7.', 'So 9. The answer is 9.0.', 'I do not know.', 'The answer is 9.'];

  it('fills an unscorable sample with the mean score and extracts canonical answers', () => {
    const s = scoredSamples(texts, [0.1, 0.2, 0.9, 0.5, null], '9');
    expect(s.map((x) => x.answer)).toEqual(['7', '7', '9', null, '9']);
    expect(s[4]!.score).toBeCloseTo((0.1 + 0.2 + 0.9 + 0.5) / 4, 12);
    expect(s.map((x) => x.correct)).toEqual([false, false, true, false, true]);
  });

  it('sc ties 7 and 9 (credit 1/2); ws and asc follow the scores to 9', () => {
    const s = scoredSamples(texts, [0.1, 0.2, 0.9, 0.5, null], '9');
    const v = voteQuestion(s, '9');
    // sc: 7 → 2, 9 → 2;  ws: 7 → 2.3, 9 → 1.9 + 1.425 = 3.325;  asc: 7 → 0.3, 9 → 1.325
    expect(v.winners).toEqual({ sc: ['7', '9'], ws: ['9'], asc: ['9'] });
    expect(v.credit).toEqual({ sc: 0.5, ws: 1, asc: 1 });
    expect(v.anyCorrect).toBe(true);
    expect(voteQuestion(s, '7').credit).toEqual({ sc: 0.5, ws: 0, asc: 0 });
  });

  it('MATH answers vote after normalisation, so equivalent forms pool', () => {
    const math = ['so $\\boxed{\\frac{1}{2}}$', '$\\boxed{0.5}$', 'hence \\boxed{\\dfrac12}', '\\boxed{3}', '\\boxed{3}'];
    const s = scoredSamples(math, [0.5, 0.5, 0.5, 0.9, 0.9], '\\frac12', 'math');
    expect(s.map((x) => x.answer)).toEqual(['\\frac{1}{2}', '\\frac{1}{2}', '\\frac{1}{2}', '3', '3']);
    expect(s.map((x) => x.correct)).toEqual([true, true, true, false, false]);
    // sc: ½ → 3, 3 → 2;  asc: ½ → 1.5, 3 → 1.8
    expect(voteQuestion(s, '\\frac12', 'math').credit).toEqual({ sc: 1, ws: 1, asc: 0 });
  });

  it('a question whose samples have no answer gets no credit', () => {
    const v = voteQuestion(scoredSamples(['no idea', 'none'], [0.3, 0.4], '5'), '5');
    expect(v.winners).toEqual({ sc: [], ws: [], asc: [] });
    expect(v.credit).toEqual({ sc: 0, ws: 0, asc: 0 });
    expect(v.anyCorrect).toBe(false);
  });
});

describe('the asc-vote stage (end to end on a tiny student)', () => {
  const root = mkdtempSync(join(tmpdir(), 'retort-asc-vote-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const suite = join(root, 'suite', 'suite');
  const model = join(root, 'base', 'model');
  const ranker = join(root, 'ranker', 'ranker');
  const splits = ['test', 'ood-numbers'];
  const tiny = { samples: 5, maxEval: 3, maxNew: 16, maxLength: 128, evalSplits: splits, temperature: 0.7, seed: 5 };

  beforeAll(async () => {
    await initBackend();
    // The student answers 7 or 9, half the time each; the test sets' gold answers alternate between them.
    const generated = generateSuite({ seed: 4, trainSize: 12, testSize: 3 });
    for (const [name, rows] of Object.entries(generated)) if (name !== 'train') rows.forEach((r, i) => (r.answer = i % 2 === 0 ? 7 : 9));
    mkdirSync(suite, { recursive: true });
    await writeSuiteFiles(suite, generated, {});
    await saveBigramStudent(model, Object.values(generated).flat().map((r) => r.question), ['7', '9']);
    await runPlugin(teacherSamples, join(root, 'samples'), { samples: 4, seed: 4 }, { suite });
    await runPlugin(ascRanker, join(root, 'ranker'), { steps: 2, hiddenSize: 16, numLayers: 1, intermediateSize: 32, vocabSize: 200, maxLength: 64 }, { samples: join(root, 'samples', 'samples') });
  }, 120_000);

  const votesOf = (dir: string) => readFileSync(join(dir, 'votes', 'votes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

  it('samples N rationales per question, and its metrics are the mean credit of the votes it writes', async () => {
    const run = await runPlugin(ascVote, join(root, 'vote'), tiny, { suite, model, ranker });
    const rows = votesOf(join(root, 'vote'));
    expect(rows).toHaveLength(6); // 2 splits × 3 questions
    // Every sample is one of the student's two endings, and both come up.
    const texts = rows.flatMap((r) => r.samples.map((s: { text: string }) => s.text));
    expect(new Set(texts)).toEqual(new Set(['The answer is 7.', 'The answer is 9.']));
    for (const row of rows) {
      expect(row.samples).toHaveLength(5);
      for (const s of row.samples) {
        expect(s.score).toBeGreaterThan(0);
        expect(s.score).toBeLessThan(1);
      }
      // The votes again, by plain counting: with 5 samples and two answers, SC never ties.
      const winners = (f: (s: number) => number) => {
        const t = new Map<string, number>();
        for (const s of row.samples) if (s.answer !== null) t.set(s.answer, (t.get(s.answer) ?? 0) + f(s.score));
        const best = Math.max(...t.values());
        return [...t].filter(([, v]) => v === best).map(([a]) => a);
      };
      expect(row.winners).toEqual({ sc: winners(() => 1), ws: winners((s) => 1 + s), asc: winners((s) => s) });
      expect(row.credit.sc).toBe(row.winners.sc.includes(row.gold) ? 1 / row.winners.sc.length : 0);
    }
    for (const split of splits) {
      const mine = rows.filter((r) => r.split === split);
      for (const w of ['sc', 'ws', 'asc']) {
        expect(run.metrics[`acc/${split}/${w}`]).toBeCloseTo((100 * mine.reduce((a, r) => a + r.credit[w], 0)) / mine.length, 9);
      }
      expect(run.metrics[`pass/${split}`]).toBeCloseTo((100 * mine.filter((r) => r.anyCorrect).length) / mine.length, 9);
      expect(run.metrics[`acc/${split}/greedy`]).toBeGreaterThanOrEqual(0);
    }
    expect(run.metrics['acc/average/asc']).toBeCloseTo((run.metrics['acc/test/asc']! + run.metrics['acc/ood-numbers/asc']!) / 2, 9);
  }, 120_000);

  it('gives the same samples for the same seed, other samples for another, and no greedy pass when asked not to', async () => {
    const again = await runPlugin(ascVote, join(root, 'again'), { ...tiny, greedy: false }, { suite, model, ranker });
    expect(votesOf(join(root, 'again'))).toEqual(votesOf(join(root, 'vote')));
    expect(again.metrics['acc/test/greedy']).toBeUndefined();
    await runPlugin(ascVote, join(root, 'other'), { ...tiny, greedy: false, seed: 6 }, { suite, model, ranker });
    const texts = (dir: string) => votesOf(dir).map((r) => r.samples.map((s: { text: string }) => s.text));
    expect(texts(join(root, 'other'))).not.toEqual(texts(join(root, 'vote')));
  }, 120_000);

  it('votes on a MATH reasoning set with \\boxed{} answers', async () => {
    const questions = ['What is $3 + 4$?', 'What is $3 \\cdot 3$?', 'What is $14 / 2$?'];
    const set = join(root, 'math-set');
    mkdirSync(set, { recursive: true });
    const gold = ['7', '9', '7'];
    await writeReasoningSet(set, 'math', { test: questions.map((q, i) => ({ id: `test-${i}`, split: 'test', question: q, solution: `\\boxed{${gold[i]}}`, answer: gold[i]! })) });
    const mathModel = join(root, 'math-model');
    await saveBigramStudent(mathModel, questions, ['7', '9'], (a) => ` So the result is $\\boxed{${a}}$.`);
    const run = await runPlugin(ascVote, join(root, 'math-vote'), { ...tiny, evalSplits: ['test'] }, { suite: set, model: mathModel, ranker });
    const rows = votesOf(join(root, 'math-vote'));
    expect(new Set(rows.flatMap((r) => r.samples.map((s: { answer: string }) => s.answer)))).toEqual(new Set(['7', '9']));
    for (const row of rows) for (const s of row.samples) expect(s.correct).toBe(s.answer === row.gold);
    expect(run.metrics['acc/test/sc']).toBeCloseTo((100 * rows.reduce((a, r) => a + r.credit.sc, 0)) / 3, 9);
    // Greedy takes the first of two equal logits, the same answer for every question: 7 (two of three golds) or 9.
    const greedy = run.metrics['acc/test/greedy']!;
    expect(Math.min(Math.abs(greedy - 200 / 3), Math.abs(greedy - 100 / 3))).toBeLessThan(1e-9);
  }, 120_000);

  it('refuses a ranker folder that is not one', async () => {
    await expect(runPlugin(ascVote, join(root, 'bad'), tiny, { suite, model, ranker: suite })).rejects.toThrow(/no ranker\.json \(not an asc-ranker output\)/);
  });
});
