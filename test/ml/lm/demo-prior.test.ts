import { describe, expect, it } from 'vitest';
import { NgramLM } from '../../../src/lib/ml/lm/ngram.js';
import { answerDistribution, chooseSharpness, demonstrationWeights, splitPrompt } from '../../../src/lib/ml/lm/ngram/demo-prior.js';
import { at } from '../../util/at.js';

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
    expect(close! + far!).toBeCloseTo(1, 12);
    expect(close).toBeGreaterThan(0.99);
    expect(demonstrationWeights(['x'], [['a'], ['b']], w, 10)).toEqual([0.5, 0.5]);
  });

  it('spreads each demonstration\'s weight over the words of its answer', () => {
    const p = answerDistribution([[7], [8, 9], []], [0.5, 0.25, 0.25]);
    expect(Object.fromEntries(p)).toEqual({ 7: 0.5 / 0.75, 8: 0.125 / 0.75, 9: 0.125 / 0.75 });
  });
});

describe('the sharpness chosen by leave-one-out', () => {
  const one = () => 1;
  // The LM without the prior gives every answer word 0.1.
  const tenth = () => 0.1;

  it('is sharp when similar inputs have the same answers', () => {
    // Held out, d0 and d1 are predicted by each other (similarity 1) or, at τ = 0, half by d2
    // (d2's answer is no other's: log(0.05) under every prior). With κ = 0.5:
    //   no prior: 3·log 0.1 = −6.91     τ = 0: 2·log(0.05 + 0.25) + log 0.05 = −5.41
    //   τ = 3: weights e³/(e³+1) = 0.953 → 2·log(0.05 + 0.476) + log 0.05 = −4.28     τ → ∞: −4.19
    expect(chooseSharpness([['a'], ['a'], ['b']], [[1], [1], [2]], one, tenth, 0.5)).toBe(40);
    expect(chooseSharpness([['a'], ['a'], ['b']], [[1], [1], [2]], one, tenth, 0.5, [0, 3])).toBe(3);
  });

  it('is 0 (no prior) when similar inputs have other answers: every demonstration alike wins, as the cache counts them', () => {
    // Held out, d0 is predicted by d1 (answer 2) when sharp: log(0.05); at τ = 0 by d1, d2, d3: log(0.05 + 0.5/3).
    expect(chooseSharpness([['a'], ['a'], ['b'], ['b']], [[1], [2], [1], [2]], one, tenth, 0.5)).toBe(0);
  });

  it('is 0 (no prior) when the LM alone predicts the answers better, as when answers copy the input', () => {
    // The same prompt as the sharp case, but the LM gives each answer 0.9 (its words are in its input):
    //   no prior: 3·log 0.9 = −0.32     τ → ∞: 2·log(0.45 + 0.5) + log 0.45 = −0.90
    expect(chooseSharpness([['a'], ['a'], ['b']], [[1], [1], [2]], one, () => 0.9, 0.5)).toBe(0);
  });

  it('is 0 with fewer than three answered demonstrations, and on ties', () => {
    expect(chooseSharpness([['a'], ['a'], ['b']], [[1], [1], []], one, tenth, 0.5)).toBe(0);
    // Every input alike: every τ gives the weights of τ = 0.
    expect(chooseSharpness([['a'], ['a'], ['a']], [[1], [2], [1]], one, tenth, 0.5)).toBe(0);
  });
});

describe('an n-gram LM whose label choice depends on the input', () => {
  // The template's fixed end is all the n-grams see before the label; only the demonstrations
  // whose inputs resemble the test input can tell the labels apart.
  const train = ['great fun film Is it good?\nYes\n', 'awful dull film Is it good?\nNo\n', 'fine film Is it good?\nYes\n'];
  const demos = 'great fun plot Is it good?\nYes\n\nawful dull plot Is it good?\nNo\n\n';
  const prompt = (x: string) => `${demos}${x} Is it good?\n`;

  it('with the prior (fixed τ), the label follows the nearest demonstration; without it, it does not change', async () => {
    const on = NgramLM.train(train, { kappa: 0.5, tau: 10 });
    const off = NgramLM.train(train, { kappa: 0 });
    const pick = async (lm: NgramLM, x: string) => (await lm.classify(prompt(x), ['Yes', 'No'])).label;
    expect([await pick(on, 'great fun show'), await pick(on, 'awful dull show')]).toEqual(['Yes', 'No']);
    expect(await pick(off, 'great fun show')).toBe(await pick(off, 'awful dull show'));
  });

  it('with τ chosen by leave-one-out, the label follows the nearest demonstrations when neighbours agree', async () => {
    const lm = NgramLM.train(train, { kappa: 0.5, tau: 'loo' });
    const four = 'great fun plot Is it good?\nYes\n\nawful dull plot Is it good?\nNo\n\ngreat fun story Is it good?\nYes\n\nawful dull story Is it good?\nNo\n\n';
    const pick = async (x: string) => (await lm.classify(`${four}${x} Is it good?\n`, ['Yes', 'No'])).label;
    expect([await pick('great fun show'), await pick('awful dull show')]).toEqual(['Yes', 'No']);
  });

  it('scores continuations as a served model scores the whole text', async () => {
    const lm = NgramLM.train(train, { kappa: 0.5, tau: 10 });
    const context = prompt('awful dull show');
    const scored = at(await lm.scoreContinuations([{ context, continuation: 'No\n' }]), 0);
    const whole = lm.analyze(context + 'No\n');
    expect(whole.logProbs.slice(-2)).toEqual(scored.tokenLogProbs.map((x) => expect.closeTo(x, 12)));
  });

  it('leaves zero-shot alone', async () => {
    const on = NgramLM.train(train, { kappa: 0.5 });
    const off = NgramLM.train(train, { kappa: 0 });
    const ctx = 'awful dull show Is it good?\n';
    const a = at(await on.scoreContinuations([{ context: ctx, continuation: 'No\n' }]), 0);
    const b = at(await off.scoreContinuations([{ context: ctx, continuation: 'No\n' }]), 0);
    expect(a.sumLogProb).toBeCloseTo(b.sumLogProb, 12);
  });
});
