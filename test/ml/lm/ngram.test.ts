import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NgramLM, trainNgramModel } from '../../../src/lib/ml/lm/ngram.js';
import { ReferenceKneserNey, referenceLogProbs } from './ngram-reference.js';
import { BOS_ID, tokenize } from '../../../src/lib/ml/tokenize.js';

// A small corpus with repeated structure (so every order has real counts) and rare words.
function corpus(n: number, seed = 7): string[] {
  let s = seed;
  const rnd = (k: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
  const subj = ['the cat', 'a dog', 'my neighbour', 'the old man', 'Alice', 'Bob'];
  const verb = ['sees', 'likes', 'walks to', 'paints', 'finds'];
  const obj = ['the park', 'a red ball', 'the river', 'an apple', 'the house', 'a blue car'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const q = `Question: what does ${subj[rnd(subj.length)]} do?`;
    const a = `${subj[rnd(subj.length)]} ${verb[rnd(verb.length)]} ${obj[rnd(obj.length)]}.`;
    out.push(`${q}\n${a}\n`);
  }
  return out;
}

const texts = corpus(300);
const tmp = mkdtempSync(join(tmpdir(), 'ngram-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Σ P over every event after `context`: the vocabulary, <unk>, and unknown words read so far. */
function sumOverEvents(lm: NgramLM, context: string): number {
  const sc = lm.model.newScorer(lm.mix);
  const enc = lm.model.encode(context);
  enc.ids.forEach((id, i) => sc.push(id, enc.tokens[i]!));
  let sum = 0;
  for (let e = 0; e < sc.eventCount; e++) sum += sc.prob(e);
  return sum;
}

describe('n-gram language model', () => {
  const contexts = ['', 'Question: what does', 'the cat sees a', 'zebra unknown words here . zebra', 'Question: what does Bob do?\nthe old man paints the'];

  for (const order of [1, 2, 3, 4, 5]) {
    for (const lambda of [0, 0.3]) {
      it(`probabilities sum to 1 over the vocabulary and <unk> (order ${order}, λ=${lambda})`, () => {
        const lm = NgramLM.train(texts, { order, lambda, mu: 0.5 });
        for (const c of contexts) expect(Math.abs(sumOverEvents(lm, c) - 1)).toBeLessThan(1e-9);
      });
    }
  }

  it('sums to 1 with a fixed discount and a capped vocabulary', () => {
    const lm = NgramLM.train(texts, { order: 3, discount: 0.7, maxVocab: 20, lambda: 0.4, mu: 0.2 });
    expect(lm.model.vocab.size).toBe(20);
    for (const c of contexts) expect(Math.abs(sumOverEvents(lm, c) - 1)).toBeLessThan(1e-9);
  });

  it('matches the plain reference implementation token by token', () => {
    for (const order of [1, 2, 3, 4]) {
      for (const [lambda, mu] of [[0, 0.5], [0.3, 0.5], [0.5, 0]] as const) {
        const lm = NgramLM.train(texts.slice(0, 120), { order, lambda, mu, maxVocab: 40 });
        const seqs = texts.slice(0, 120).map((t) => [...lm.model.vocab.encode(tokenize(t, { lowercase: true }))]);
        const ref = new ReferenceKneserNey(seqs, order, lm.model.vocab.size);
        expect(ref.discounts).toEqual(lm.model.info.discounts);
        const probe = 'Question: what does the zebra do?\nthe cat walks to the park.\n\nQuestion: what does Alice do?\nAlice finds a red ball.';
        const enc = lm.model.encode(probe);
        const expected = referenceLogProbs(ref, [...enc.ids], enc.tokens, lambda, mu);
        const got = lm.analyze(probe).logProbs;
        expect(got.length).toBe(expected.length);
        got.forEach((lp, i) => expect(lp).toBeCloseTo(expected[i]!, 12));
      }
    }
  });

  it('is deterministic: the same texts give byte-identical model files', () => {
    const a = NgramLM.train(texts, { order: 4 }).serialize();
    const b = NgramLM.train([...texts], { order: 4 }).serialize();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = NgramLM.train(texts.slice(1), { order: 4 }).serialize();
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('saves and loads a model that scores identically', async () => {
    const lm = NgramLM.train(texts, { order: 4, lambda: 0.25, mu: 0.4, kappa: 0.5 });
    const file = join(tmp, 'model.ngram');
    await lm.save(file);
    const back = await NgramLM.load(file);
    expect(back.mix).toEqual({ lambda: 0.25, mu: 0.4, kappa: 0.5, tau: 'loo', omega: 'loo' });
    const probe = 'Question: what does Bob do?\nBob likes an apple.';
    expect(back.analyze(probe).logProbs).toEqual(lm.analyze(probe).logProbs);
    const overridden = await NgramLM.load(file, { lambda: 0 });
    expect(overridden.mix).toEqual({ lambda: 0, mu: 0.4, kappa: 0.5, tau: 'loo', omega: 'loo' });
  });

  it('rejects files that are not models, with the file name', async () => {
    const { writeFile } = await import('node:fs/promises');
    const bad = join(tmp, 'bad.ngram');
    await writeFile(bad, 'hello world, not a model');
    await expect(NgramLM.load(bad)).rejects.toThrow(/bad\.ngram: not an n-gram model file/);
    await expect(NgramLM.load(join(tmp, 'missing.ngram'))).rejects.toThrow(/missing\.ngram: file not found/);
  });

  it('a demonstration containing the gold answer raises its log-probability', async () => {
    const lm = NgramLM.train(texts, { order: 4 });
    const query = 'Question: what does the zebra do?\n';
    const gold = 'the zebra juggles seven oranges.';
    const demo = 'Question: what does the zebra do?\nthe zebra juggles seven oranges.\n\n';
    const unrelated = 'Question: what does Bob do?\nBob likes a red ball.\n\n';
    const [zero, withGold, withOther] = await lm.scoreContinuations([
      { context: query, continuation: gold },
      { context: demo + query, continuation: gold },
      { context: unrelated + query, continuation: gold },
    ]);
    expect(withGold!.sumLogProb).toBeGreaterThan(zero!.sumLogProb + 1);
    expect(withGold!.sumLogProb).toBeGreaterThan(withOther!.sumLogProb + 1);
    // Without the cache and the demonstration prior the demonstration hardly matters: the effect comes from in-context mixing.
    const noCache = NgramLM.train(texts, { order: 4, lambda: 0, kappa: 0 });
    const [z0, g0] = await noCache.scoreContinuations([
      { context: query, continuation: gold },
      { context: demo + query, continuation: gold },
    ]);
    expect(Math.abs(g0!.sumLogProb - z0!.sumLogProb)).toBeLessThan(withGold!.sumLogProb - zero!.sumLogProb);
  });

  it('after a blank line the cache has no bigram history, so it does not predict a segment start after a line end', () => {
    // Unigram model (P_KN = p1), λ = 0.5, μ = 1: P(w) = 0.5·p1(w) + 0.5·P_cache(w | previous).
    const lm = NgramLM.train(texts, { order: 1, lambda: 0.5, mu: 1 });
    const v = lm.model.vocab;
    const p1 = (t: string): number => lm.model.est.p1[v.id(t)]!;
    const sc = lm.model.newScorer(lm.mix);
    // Read "q \n a \n \n q \n": tokens q, \n, a, \n, \n, q, \n (7 in the cache).
    const read = 'question\nalice\n\nquestion\n';
    const enc = lm.model.encode(read);
    enc.ids.forEach((id, i) => sc.push(id, enc.tokens[i]!));
    // The newline after "question" was followed by "alice" once; the second newline of the blank
    // line has no bigram history, so "question" never counts as following a newline:
    // P_cache(alice | \n) = c(\n alice) / c(\n ·) = 1 / 2 (the other follower is the blank line's \n).
    expect(sc.prob(v.id('alice'))).toBeCloseTo(0.5 * p1('alice') + 0.5 * (1 / 2), 12);
    expect(sc.prob(v.id('question'))).toBeCloseTo(0.5 * p1('question'), 12);
  });

  it('scores continuations as the tokens of context + continuation after the context', async () => {
    const lm = NgramLM.train(texts, { order: 3 });
    const cases = [
      { context: 'Question: what does Bob do?\n', continuation: 'Bob paints the house.' },
      { context: 'the old ma', continuation: 'n sees' }, // a word split by the boundary
      { context: "Bob'", continuation: 's ball' }, // an apostrophe merge across the boundary
      { context: '', continuation: 'the cat' },
      { context: 'the cat', continuation: '' },
    ];
    const got = await lm.scoreContinuations(cases);
    cases.forEach((c, i) => {
      const full = c.context + c.continuation;
      const a = lm.analyze(full);
      const lps = a.logProbs.filter((_, j) => a.offsets[j]! >= c.context.length);
      const sum = lps.reduce((x, y) => x + y, 0);
      expect(got[i]!.tokens).toBe(lps.length);
      expect(got[i]!.sumLogProb).toBeCloseTo(sum, 12);
      expect(got[i]!.tokenTexts).toEqual(a.tokens.filter((_, j) => a.offsets[j]! >= c.context.length));
    });
    expect(got[1]!.tokenTexts).toEqual(['sees']); // "man" belongs to the context
    expect(got[4]!.meanLogProb).toBe(-Infinity);
  });

  it('finds the exact most probable next tokens', () => {
    const lm = NgramLM.train(texts, { order: 4, lambda: 0.3 });
    const sc = lm.model.newScorer(lm.mix);
    const enc = lm.model.encode('Question: what does the zebra do?\nthe zebra');
    enc.ids.forEach((id, i) => sc.push(id, enc.tokens[i]!));
    const brute: { event: number; p: number }[] = [];
    for (let e = 0; e < sc.eventCount; e++) if (e !== BOS_ID) brute.push({ event: e, p: sc.prob(e) });
    brute.sort((a, b) => b.p - a.p || a.event - b.event);
    expect(sc.top(5, false).map((t) => t.event)).toEqual(brute.slice(0, 5).map((b) => b.event));
    expect(sc.top(40, false).map((t) => sc.eventText(t.event))).toContain('zebra'); // an unknown word read in the prompt
  });

  it('finds the top tokens exactly without scoring every successor of a common word', () => {
    // "the" is followed by 2,000 different words, a few of them often.
    const many = [...Array(2000)].map((_, i) => `we saw the w${i} today`);
    const often = [...Array(50)].map((_, i) => `we saw the ${['cat', 'dog', 'sun'][i % 3]} today`);
    const lm = NgramLM.train([...many, ...often, ...texts], { order: 4, lambda: 0.3 });
    const the = lm.model.vocab.id('the');
    expect(lm.model.successors(the).length).toBeGreaterThan(2000);
    const prompts = ['we saw the', 'Question: what does the zebra do?\nthe', 'the w7 today we saw the', 'saw the cat the'];
    for (const [prior, k] of [[null, 1], [null, 3], [new Map([[lm.model.vocab.id('w5'), 0.7], [lm.model.vocab.id('dog'), 0.3]]), 2]] as const) {
      for (const prompt of prompts) {
        const sc = lm.model.newScorer(lm.mix);
        const enc = lm.model.encode(prompt);
        enc.ids.forEach((id, i) => sc.push(id, enc.tokens[i]!));
        sc.setPrior(prior);
        const brute: { event: number; lp: number }[] = [];
        for (let e = 0; e < sc.eventCount; e++) if (e !== BOS_ID) brute.push({ event: e, lp: Math.log(sc.prob(e)) });
        brute.sort((a, b) => b.lp - a.lp || a.event - b.event);
        const before = sc.evaluations;
        expect(sc.top(k, false)).toEqual(brute.slice(0, k).map((b) => ({ event: b.event, logProb: b.lp })));
        expect(sc.evaluations - before).toBeLessThan(500);
      }
    }
  });

  it('generates greedily and stops at a stop string', async () => {
    const lm = NgramLM.train(['the answer is forty two .\nend', 'the answer is forty two .\nend'], { order: 3, lambda: 0 });
    const [a, b, c] = await lm.generate([
      { prompt: 'the answer', maxTokens: 10, stop: ['\n'] },
      { prompt: 'the answer', maxTokens: 2 },
      { prompt: 'the answer', maxTokens: 10, stop: ['two'] },
    ]);
    expect(a).toBe(' is forty two.');
    expect(b).toBe(' is forty');
    expect(c).toBe(' is forty ');
  });

  it('learns unknown words from the prompt: they can be scored apart and copied', async () => {
    const lm = NgramLM.train(texts, { order: 4 });
    const demo = 'Question: what does Krabregou do?\nKrabregou paints the house.\n\n';
    const [seen, other] = await lm.scoreContinuations([
      { context: demo + 'Question: what does Krabregou do?\n', continuation: 'Krabregou' },
      { context: demo + 'Question: what does Krabregou do?\n', continuation: 'Zulmirak' },
    ]);
    expect(seen!.sumLogProb).toBeGreaterThan(other!.sumLogProb + 1);
    const [gen] = await lm.generate([{ prompt: 'zork blorp zork blorp zork', maxTokens: 1 }]);
    expect(gen).toBe(' blorp');
    // Without the cache every unknown word is the same <unk>.
    const plain = NgramLM.train(texts, { order: 4, lambda: 0 });
    const [a, b] = await plain.scoreContinuations([
      { context: demo, continuation: 'Krabregou' },
      { context: demo, continuation: 'Zulmirak' },
    ]);
    expect(a!.sumLogProb).toBe(b!.sumLogProb);
  });

  it('chooses options by mean log-likelihood and classifies by constrained decoding', async () => {
    // Both labels are equally frequent in training; only the demonstrations tip the balance.
    const lm = NgramLM.train([...corpus(300, 3), 'Is it good? yes', 'Is it good? no'], { order: 4 });
    const mc = await lm.chooseOption('Question: what does Bob do?\nBob walks to', [' the zebra pit', ' the park.']);
    expect(mc.index).toBe(1);
    expect(mc.scores[1]).toBeGreaterThan(mc.scores[0]!);
    const demos = 'Is it good? yes\n\nIs it good? yes\n\nIs it good? yes\n\nIs it good? ';
    const cls = await lm.classify(demos, ['no', 'yes']);
    expect(cls.label).toBe('yes');
    expect(cls.scores).toHaveLength(2);
    const flipped = await lm.classify(demos.replaceAll('yes', 'no'), ['no', 'yes']);
    expect(flipped.label).toBe('no');
  });

  it('rejects bad settings', () => {
    expect(() => trainNgramModel(texts, { order: 0 })).toThrow(/order/);
    expect(() => trainNgramModel(texts, { discount: 1.5 })).toThrow(/discount/);
    expect(() => NgramLM.train(texts, { lambda: 1 })).toThrow(/λ/);
  });
});

describe('generation that yields an answer', () => {
  // After "Answer:" a newline is by far the most likely token: every training text ends so.
  const lm = NgramLM.train([...Array(20)].map(() => 'Answer:\n').concat(['Answer: paris\n']), { lambda: 0 });
  it('a leading stop string cannot end generation with an empty answer', async () => {
    const [plain] = await lm.generate([{ prompt: 'Answer:', maxTokens: 5, stop: ['\n'] }]);
    expect(plain).toBe('');
    const [kept] = await lm.generate([{ prompt: 'Answer:', maxTokens: 5, stop: ['\n'], suppressLeadingStop: true }]);
    expect(kept).toBe(' paris');
    // Only the first token is constrained: the answer still ends at the next newline.
    expect(lm.complete('Answer:', 5, ['\n'], 0, true).finishReason).toBe('stop');
  });
});

describe('greedy loops', () => {
  it('a repeated trigram of generated tokens ends the text before the repetition', () => {
    const lm = NgramLM.train([...Array(10)].map(() => 'go for the for the for the for the win'), { lambda: 0, kappa: 0 });
    const out = lm.complete('go', 30, ['\n']);
    expect(out.text.trim()).toBe('for the');
    expect(out.finishReason).toBe('stop');
    expect(out.tokens).toEqual(['for', 'the']);
  });
});
