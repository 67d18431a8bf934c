import { describe, expect, it } from 'vitest';
import { NgramLM } from '../../../src/lib/ml/lm/ngram.js';
import {
  bestWeight, chooseCopyWeights, copyDistribution, indexPositions, pointerStarts, splitStream, stopHazard,
} from '../../../src/lib/ml/lm/ngram/copy.js';
import { at } from '../../util/at.js';

// Token streams as letters: one letter per event, "/" the newline.
const NL = 0;
const ids = (s: string): number[] => [...s].map((c) => (c === '/' ? NL : c.charCodeAt(0)));
const text = (e: number): string => (e === NL ? '\n' : String.fromCharCode(e));
const plan = (source: number[], starts: Map<number, number>, lengths: number[]) => ({ source, index: indexPositions(source), starts, lengths, newline: NL });

describe('the copy component, piece by piece', () => {
  it('finds the demonstrations and the test input of a token stream', () => {
    // "ab/Y//cd/N//ef/": two demonstrations (answers Y at 3, N at 9), the test input from 12.
    expect(splitStream(ids('ab/Y//cd/N//ef/'), NL)).toEqual({
      demonstrations: [{ inputStart: 0, answerStart: 3, end: 4 }, { inputStart: 6, answerStart: 9, end: 10 }],
      inputStart: 12,
    });
    expect(splitStream(ids('ef/'), NL)).toEqual({ demonstrations: [], inputStart: 0 }); // zero-shot
    expect(splitStream(ids('ab/Y//'), NL)).toBeNull(); // a blank line: the next line starts a segment
    expect(splitStream(ids('ab/Y//e'), NL)).toBeNull(); // not at a line start
  });

  it('points from the question into the passage, at words near the question\'s words but not at them', () => {
    // Passage "k x q v w ." then question "k q ?" (3 tokens: windows of 3 each side, distances
    // count 1 − d/4): x has k and q at distance 1, v has q at 1 and k at 3, w q at 2.
    const s = ids('kxqvw.kq?');
    const idf = (e: number): number => (text(e) === 'k' ? 2 : 1);
    const starts = pointerStarts(s, 0, s.length, text, idf, () => false);
    const byToken = Object.fromEntries([...starts].map(([p, a]) => [text(s[p]!), a]));
    expect(Object.keys(byToken).sort()).toEqual(['v', 'w', 'x']); // "." is punctuation
    // s(x) = 2·3/4 + 3/4 = 2.25; s(v) = 3/4 + 2·1/4 = 1.25; s(w) = 2/4 = 0.5.
    expect(byToken.x! / byToken.v!).toBeCloseTo(Math.exp(1), 12);
    expect(byToken.x! / byToken.w!).toBeCloseTo(Math.exp(1.75), 12);
    expect([...starts.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // A function word neither counts as a question word nor starts a span.
    const fw = pointerStarts(s, 0, s.length, text, idf, (e) => text(e) === 'q' || text(e) === 'v');
    // Only k counts then, and w is 4 tokens from it: x alone is pointed at.
    expect([...fw.entries()].map(([p, a]) => [text(s[p]!), a])).toEqual([['x', 1]]);
    // No sentence before the question: nothing to point at.
    expect(pointerStarts(ids('kq?'), 0, 3, text, idf, () => false).size).toBe(0);
  });

  it('ends a span as the demonstrations\' answers end', () => {
    expect(stopHazard([1, 2, 2, 4], 1)).toBe(1 / 4);
    expect(stopHazard([1, 2, 2, 4], 2)).toBe(2 / 3);
    expect(stopHazard([1, 2, 2, 4], 3)).toBe(0);
    expect(stopHazard([1, 2, 2, 4], 5)).toBe(1); // longer than every answer
    expect(stopHazard([], 2)).toBe(0); // no demonstrations: no length to follow
  });

  it('continues a copied span from where it started, then falls back to the longest match', () => {
    const source = ids('xabcyabd/');
    // The span that started at 1 ("abc…") goes on with "c"; the hazard of lengths [5] is 0 at t = 2.
    const started = plan(source, new Map([[1, 1]]), [5]);
    expect(copyDistribution(started, ids('ab'))).toEqual(new Map([[ids('c')[0], 1]]));
    // No span started: "ab" occurs twice, followed by c and d.
    const free = plan(source, new Map(), [5]);
    expect(copyDistribution(free, ids('ab'))).toEqual(new Map([[ids('c')[0], 0.5], [ids('d')[0], 0.5]]));
    // "yab" is the longer match: only d.
    expect(copyDistribution(free, ids('yab'))).toEqual(new Map([[ids('d')[0], 1]]));
    // Lengths [1, 2]: half the answers end after one token.
    expect(copyDistribution(plan(source, new Map(), [1, 2]), ids('y'))).toEqual(new Map([[ids('a')[0], 0.5], [NL, 0.5]]));
    // Nothing to copy: silent (empty), not a certain stop.
    expect(copyDistribution(plan(source, new Map(), [1]), ids('z')).size).toBe(0);
  });

  it('weighs the copy by how well it predicts, against the model, ties keeping the smaller weight', () => {
    expect(bestWeight([[0.01, 0.9], [0.01, 0.8]])).toBe(0.9);
    expect(bestWeight([[0.5, 0], [0.5, 0.1]])).toBe(0);
    expect(bestWeight([[0.3, 0.3]])).toBe(0);
    expect(bestWeight([])).toBe(0);
  });

  it('chooses the weights from the demonstrations, each predicted from the text before its answer', () => {
    // Three demonstrations whose answers copy a letter of their passage after the question's words.
    const s = ids('pkxq.kq?/x//pkyq.kq?/y//pkzq.kq?/z//pkwq.kq?/');
    const split = splitStream(s, NL);
    if (split === null) throw new Error('no split');
    const idf = (): number => 1;
    const pointer = (from: number, to: number) => pointerStarts(s, from, to, text, idf, () => false);
    // The model gives every answer token 0.01: the copy (about 1/4 on the right letter) wins.
    const low = s.map(() => 0.01);
    const [w0] = chooseCopyWeights(s, low, split.demonstrations, indexPositions(s), NL, pointer);
    expect(w0).toBeGreaterThan(0);
    // A model that already predicts the answers (0.99) keeps the pointer off; the span's end
    // (every answer is one token long, so the copy's newline has probability 1) still wins.
    const high = s.map(() => 0.99);
    expect(chooseCopyWeights(s, high, split.demonstrations, indexPositions(s), NL, pointer)).toEqual([0, 0.9]);
    // Fewer than three demonstrations: off.
    expect(chooseCopyWeights(s, low, split.demonstrations.slice(0, 2), indexPositions(s), NL, pointer)).toEqual([0, 0]);
  });
});

describe('the copy component in the n-gram LM', () => {
  // The model knows the layout, not the names: every answer word below is new to it.
  const lm = NgramLM.train([
    'Article: the box holds a key . What does the box hold?\na key\n',
    'Article: the bag holds a map . What does the bag hold?\na map\n',
    'Article: the cup holds the tea . What does the cup hold?\nthe tea\n',
  ], { order: 3 });
  const demo = (thing: string, answer: string) => `Article: the ${thing} holds ${answer} . What does the ${thing} hold?\n${answer}`;
  const prompt = [demo('velm', 'brisk ores'), demo('tarn', 'ulmo pike'), demo('quill', 'sard moth'), 'Article: the glim holds zorvan kelt . What does the glim hold?\n'].join('\n\n');
  const withOmega = (omega: number | 'loo') => new NgramLM(lm.model, { ...lm.mix, omega });

  it('copies the span the question points at, and stops where the demonstrations\' answers stop', () => {
    expect(withOmega('loo').complete(prompt, 10, ['\n'], 0, true).text).toBe('zorvan kelt');
    // Without it the model answers from its training text.
    expect(withOmega(0).complete(prompt, 10, ['\n'], 0, true).text).toBe('a key');
  });

  it('chooses no copy for zero-shot: there are no demonstrations to choose by', () => {
    const zeroShot = 'Article: the glim holds zorvan kelt . What does the glim hold?\n';
    const on = withOmega('loo').complete(zeroShot, 10, ['\n'], 5, true);
    const off = withOmega(0).complete(zeroShot, 10, ['\n'], 5, true);
    expect(on).toEqual(off);
    expect(withOmega(0.5).complete(zeroShot, 10, ['\n'], 0, true).text).not.toBe(off.text); // a fixed weight would copy
  });

  it('writes answers with it but leaves scored labels and options alone', async () => {
    const on = at(await withOmega('loo').scoreContinuations([{ context: prompt, continuation: 'zorvan kelt\n' }]), 0);
    const off = at(await withOmega(0).scoreContinuations([{ context: prompt, continuation: 'zorvan kelt\n' }]), 0);
    expect(on.tokenLogProbs).toEqual(off.tokenLogProbs);
  });

  it('leaves the distribution unchanged where there is nothing to copy', () => {
    // No sentence before the question and no earlier answer word: the copy is silent even with a
    // fixed weight, so the 20 best next tokens are the model's (within 1e-12).
    const plain = ['a\nb', 'c\nd', 'e\nf', 'what does the box hold?\n'].join('\n\n');
    const on = withOmega(0.5).complete(plain, 1, [], 20);
    const off = withOmega(0).complete(plain, 1, [], 20);
    expect(on.top?.[0]!.map((t) => t.token)).toEqual(off.top?.[0]!.map((t) => t.token));
    on.top?.[0]!.forEach((t, i) => expect(Math.abs(t.logProb - (off.top?.[0]![i]!.logProb ?? 0))).toBeLessThan(1e-12));
    expect(on.top?.[0]!.length).toBe(20);
  });

  it('keeps probabilities summing to one on an answer line while copying', () => {
    const lmOn = withOmega(0.5);
    const sc = lmOn.model.newScorer(lmOn.mix);
    const enc = lmOn.model.encode(prompt + 'zorvan');
    enc.ids.forEach((id, i) => {
      if (i === enc.ids.length - 1) sc.setCopy(sc.planCopy());
      sc.push(id, enc.tokens[i]!);
    });
    let sum = 0;
    for (let e = 0; e < sc.eventCount; e++) sum += sc.prob(e);
    expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
    expect(sc.prob(sc.eventOf(lmOn.model.vocab.id('kelt'), 'kelt'))).toBeGreaterThan(0.4);
  });
});
