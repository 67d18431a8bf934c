import { describe, expect, it } from 'vitest';
import { NgramLM } from '../../../src/lib/ml/lm/ngram.js';
import { answerDistribution, demonstrationWeights, splitPrompt } from '../../../src/lib/ml/lm/ngram/demo-prior.js';

describe('demonstration prior', () => {
  it('reads demonstrations and the test input from the LLM-R layout', () => {
    expect(splitPrompt('a b\nYes\n\nc d\nNo\n\ne f\n')).toEqual({
      demonstrations: [{ input: 'a b', answer: 'Yes' }, { input: 'c d', answer: 'No' }],
      input: 'e f',
    });
    expect(splitPrompt('e f\n')).toBeNull(); // zero-shot: nothing to learn from
    expect(splitPrompt('a\nYes\n\n')).toBeNull(); // the line starts a segment: not an answer
    expect(splitPrompt('a\nYes\n\ne f')).toBeNull(); // not at a line start
  });

  it('weights demonstrations by the similarity of their inputs, rare words counting most', () => {
    const w = (t: string) => (t === 'the' ? 0.1 : 3);
    const [close, far] = demonstrationWeights(['the', 'cat', 'sat'], [['the', 'cat', 'sat'], ['the', 'dog', 'ran']], w, 10);
    expect(close + far).toBeCloseTo(1, 12);
    expect(close).toBeGreaterThan(0.99);
    expect(demonstrationWeights(['x'], [['a'], ['b']], w, 10)).toEqual([0.5, 0.5]);
  });

  it('spreads each demonstration\'s weight over the words of its answer', () => {
    const p = answerDistribution([[7], [8, 9], []], [0.5, 0.25, 0.25]);
    expect(Object.fromEntries(p)).toEqual({ 7: 0.5 / 0.75, 8: 0.125 / 0.75, 9: 0.125 / 0.75 });
  });
});

describe('an n-gram LM whose label choice depends on the input', () => {
  // The template's fixed end is all the n-grams see before the label; only the demonstrations
  // whose inputs resemble the test input can tell the labels apart.
  const train = ['great fun film Is it good?\nYes\n', 'awful dull film Is it good?\nNo\n', 'fine film Is it good?\nYes\n'];
  const demos = 'great fun plot Is it good?\nYes\n\nawful dull plot Is it good?\nNo\n\n';
  const prompt = (x: string) => `${demos}${x} Is it good?\n`;

  it('with the prior, the label follows the nearest demonstration; without it, it does not change', async () => {
    const on = NgramLM.train(train, { kappa: 0.5 });
    const off = NgramLM.train(train, { kappa: 0 });
    const pick = async (lm: NgramLM, x: string) => (await lm.classify(prompt(x), ['Yes', 'No'])).label;
    expect([await pick(on, 'great fun show'), await pick(on, 'awful dull show')]).toEqual(['Yes', 'No']);
    expect(await pick(off, 'great fun show')).toBe(await pick(off, 'awful dull show'));
  });

  it('scores continuations as a served model scores the whole text', async () => {
    const lm = NgramLM.train(train, { kappa: 0.5 });
    const context = prompt('awful dull show');
    const [scored] = await lm.scoreContinuations([{ context, continuation: 'No\n' }]);
    const whole = lm.analyze(context + 'No\n');
    expect(whole.logProbs.slice(-2)).toEqual(scored.tokenLogProbs.map((x) => expect.closeTo(x, 12)));
  });

  it('leaves zero-shot alone', async () => {
    const on = NgramLM.train(train, { kappa: 0.5 });
    const off = NgramLM.train(train, { kappa: 0 });
    const ctx = 'awful dull show Is it good?\n';
    const [a] = await on.scoreContinuations([{ context: ctx, continuation: 'No\n' }]);
    const [b] = await off.scoreContinuations([{ context: ctx, continuation: 'No\n' }]);
    expect(a.sumLogProb).toBeCloseTo(b.sumLogProb, 12);
  });
});
