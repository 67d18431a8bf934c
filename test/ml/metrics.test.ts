import { describe, expect, it } from 'vitest';
import {
  aggregateMetric, binaryF1, corpusBleu, defaultPositiveLabel, exactMatch, lcsLength, normalizeAnswer,
  normalizeSquad, normalizeTriviaQa, rougeL, rougeLPltrdy, scoreExample, sentenceBleu, tokenF1,
} from '../../src/lib/ml/metrics.js';

describe('SQuAD normalisation', () => {
  it('lower-cases, strips punctuation and articles, collapses whitespace', () => {
    expect(normalizeAnswer('  The  Cat, (sat)!  on a mat. ')).toBe('cat sat on mat');
    expect(normalizeAnswer('An apple')).toBe('apple');
    expect(normalizeAnswer("don't")).toBe('dont');
  });
  it('is Unicode-aware', () => {
    expect(normalizeAnswer('Ｃａｔ')).toBe('cat'); // full-width folds by NFKC
    expect(normalizeAnswer('« Ça va ? »')).toBe('ça va'); // non-ASCII punctuation removed, accents kept
    expect(normalizeAnswer('theø thing')).toBe('theø thing'); // no ASCII \b cutting "the"
    expect(normalizeAnswer('Die Straße — the end')).toBe('die straße end');
  });
});

describe('exact match and token F1', () => {
  it('exact match after normalisation', () => {
    expect(exactMatch('The Cat!', 'cat')).toBe(1);
    expect(exactMatch('a cat', 'the cat')).toBe(1);
    expect(exactMatch('café', 'cafe')).toBe(0);
    expect(exactMatch('', '')).toBe(1);
  });
  it('token F1 by hand', () => {
    // pred tokens [cat sat on mat], ref [cat sat]: P = 2/4, R = 1, F1 = 2/3
    expect(tokenF1('the cat sat on the mat', 'a cat sat')).toBeCloseTo(2 / 3, 12);
    // repeated tokens count once per occurrence: pred [x x y], ref [x y y]: common 2, P = R = 2/3
    expect(tokenF1('x x y', 'x y y')).toBeCloseTo(2 / 3, 12);
    expect(tokenF1('dog', 'cat')).toBe(0);
    expect(tokenF1('', '')).toBe(1);
    expect(tokenF1('', 'cat')).toBe(0);
    expect(tokenF1('the', 'a')).toBe(1); // both normalise to nothing
  });
  it('takes the max over several references', () => {
    expect(scoreExample('exact_match', 'Paris', ['London', 'paris.'])).toBe(1);
    expect(scoreExample('token_f1', 'new york city', ['york', 'new york city council'])).toBeCloseTo(2 * (3 / 3) * (3 / 4) / (3 / 3 + 3 / 4), 12);
  });
});

describe('ROUGE-L', () => {
  it('LCS length', () => {
    expect(lcsLength([...'ABCBDAB'], [...'BDCABA'])).toBe(4);
    expect(lcsLength([], ['a'])).toBe(0);
  });
  it('F-measure by hand, β = 1 and β = 1.2', () => {
    // pred 6 tokens, ref 4 tokens, LCS "the cat on mat" = 4: P = 2/3, R = 1
    const s = rougeL('The cat sat on the mat.', 'the cat on mat');
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBe(1);
    expect(s.fmeasure).toBeCloseTo(0.8, 12);
    const b = 1.2;
    expect(rougeL('The cat sat on the mat.', 'the cat on mat', b).fmeasure).toBeCloseTo(((1 + b * b) * (2 / 3)) / (1 + b * b * (2 / 3)), 12);
  });
  it('edge cases: empty sides score 0, Unicode tokens, max over references', () => {
    expect(rougeL('', '').fmeasure).toBe(0);
    expect(rougeL('cat', '').fmeasure).toBe(0);
    expect(rougeL('Café crème', 'café CRÈME').fmeasure).toBe(1);
    expect(rougeL('東京 大阪', '東京').fmeasure).toBeCloseTo(2 / 3, 12);
    expect(scoreExample('rouge_l', 'a b c', ['x y', 'a b c d'])).toBeCloseTo(2 * 1 * 0.75 / 1.75, 12);
    expect(aggregateMetric('rouge_l', ['a b', 'x'], [['a b'], ['y']])).toBeCloseTo(0.5, 12);
  });
});

describe('BLEU', () => {
  it('identical text scores 1', () => {
    expect(corpusBleu(['the cat sat on the mat'], [['the cat sat on the mat']])).toBeCloseTo(1, 12);
  });
  it('precisions and brevity penalty by hand', () => {
    // hyp 5 tokens, ref 6: p1 4/5, p2 3/4, p3 2/3, p4 1/2; BP = exp(1 - 6/5)
    const expected = Math.exp(1 - 6 / 5) * Math.pow((4 / 5) * (3 / 4) * (2 / 3) * (1 / 2), 1 / 4);
    expect(corpusBleu(['a b c d e'], [['a b c d f g']])).toBeCloseTo(expected, 12);
  });
  it('clips counts by the max over references and picks the closest reference length', () => {
    // unigram only: "the" x7, clipped to 2 (max count in any reference); hyp length 7, closest ref 7 -> BP 1
    expect(corpusBleu(['the the the the the the the'], [['the cat is on the mat', 'there is a cat on the mat']], { maxOrder: 1 })).toBeCloseTo(2 / 7, 12);
  });
  it('is corpus-level, not the mean of sentence scores', () => {
    // sums: p1 = (4+2)/(5+2), p2 = (3+1)/(4+1); lengths hyp 7, ref 6+2 = 8
    const expected = Math.exp(1 - 8 / 7) * Math.sqrt((6 / 7) * (4 / 5));
    expect(corpusBleu(['a b c d e', 'x y'], [['a b c d f g'], ['x y']], { maxOrder: 2 })).toBeCloseTo(expected, 12);
    expect(aggregateMetric('bleu', ['a b c d e', 'x y'], [['a b c d f g'], ['x y']])).toBeCloseTo(
      corpusBleu(['a b c d e', 'x y'], [['a b c d f g'], ['x y']]), 12);
  });
  it('smoothing: none gives 0 without 4-gram matches; exp and add-one by hand', () => {
    // "a b c x" vs "a b c d": p1 3/4, p2 2/3, p3 1/2, p4 0/1
    expect(corpusBleu(['a b c x'], [['a b c d']])).toBe(0);
    expect(corpusBleu(['a b c x'], [['a b c d']], { smoothing: 'exp' })).toBeCloseTo(Math.pow((3 / 4) * (2 / 3) * (1 / 2) * (1 / 2), 1 / 4), 12);
    expect(corpusBleu(['a b c x'], [['a b c d']], { smoothing: 'add-one' })).toBeCloseTo(Math.pow((3 / 4) * (3 / 4) * (2 / 3) * (1 / 2), 1 / 4), 12);
    expect(sentenceBleu('a b c x', ['a b c d'])).toBeCloseTo(Math.pow(0.125, 1 / 4), 12);
  });
  it('edge cases: empty hypothesis, short hypothesis, punctuation tokens, case', () => {
    expect(corpusBleu([''], [['a b']])).toBe(0);
    expect(corpusBleu(['a b'], [['a b']])).toBe(0); // no 3-grams at all and no smoothing
    expect(sentenceBleu('a b', ['a b'])).toBeCloseTo(1, 12); // effective order
    expect(corpusBleu(['Hello, world!'], [['Hello , world !']])).toBeCloseTo(1, 12);
    expect(corpusBleu(['hello world again now'], [['Hello world again now']], { maxOrder: 1 })).toBeCloseTo(3 / 4, 12);
    expect(corpusBleu(['hello world again now'], [['Hello world again now']], { maxOrder: 1, lowercase: true })).toBeCloseTo(1, 12);
  });
});

describe('accuracy and binary F1', () => {
  it('accuracy compares labels case- and space-insensitively', () => {
    expect(scoreExample('accuracy', ' Yes ', ['yes'])).toBe(1);
    expect(scoreExample('accuracy', 'Yes.', ['yes'])).toBe(0);
    expect(aggregateMetric('accuracy', ['a', 'b', 'c', 'd'], [['a'], ['x'], ['c'], ['x']])).toBe(0.5);
  });
  it('binary F1 by hand with a configurable positive label', () => {
    // tp 1, fp 1, fn 1 -> 2/4
    expect(binaryF1(['Yes', 'Yes', 'No', 'No'], ['Yes', 'No', 'Yes', 'No'])).toBe(0.5);
    expect(aggregateMetric('f1', ['true', 'true', 'true'], [['true'], ['false'], ['true']], { positive: 'true' })).toBeCloseTo(0.8, 12);
    expect(aggregateMetric('f1', ['No', 'No'], [['No'], ['No']])).toBe(0); // no positives anywhere
    expect(scoreExample('f1', 'TRUE', ['true'])).toBe(1);
  });
  it('picks a sensible positive label for task label sets', () => {
    expect(defaultPositiveLabel(['false', 'true'])).toBe('true');
    expect(defaultPositiveLabel(['not_equivalent', 'equivalent'])).toBe('equivalent');
    expect(defaultPositiveLabel(['No', 'Yes'])).toBe('Yes');
    expect(defaultPositiveLabel(['World', 'Sports'])).toBe('Sports');
  });
});

describe('API contract', () => {
  it('checks lengths and references; an empty corpus is 0', () => {
    expect(() => aggregateMetric('accuracy', ['a'], [])).toThrow(/1 predictions but 0 reference lists/);
    expect(() => scoreExample('exact_match', 'a', [])).toThrow(/at least one reference/);
    expect(aggregateMetric('exact_match', [], [])).toBe(0);
    expect(() => scoreExample('nope' as never, 'a', ['a'])).toThrow(/unknown metric/);
  });
  it('scores lie in 0..1', () => {
    for (const m of ['accuracy', 'exact_match', 'f1', 'rouge_l', 'token_f1', 'bleu'] as const) {
      const v = aggregateMetric(m, ['the cat sat', 'Yes'], [['a cat sat down'], ['Yes']]);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });
});

describe('LLM-R scoring rules', () => {
  it('ROUGE-L as the rouge pip package computes it (sentences at ".", distinct words, case kept)', () => {
    // Worked by hand through rouge 1.0.1's rouge_l_summary_level.
    expect(rougeLPltrdy('a b c d', 'd c b a').fmeasure).toBeCloseTo(0.25, 6);
    expect(rougeLPltrdy('the cat the cat sat.', 'the cat sat on the mat. the dog sat.').fmeasure).toBeCloseTo(8 / 11, 6);
    expect(rougeLPltrdy('', 'Title policy').fmeasure).toBe(0);
    expect(rougeLPltrdy('Huntley/question', 'Huntley/question').fmeasure).toBeCloseTo(1, 6);
    expect(rougeLPltrdy('Blue Spice', 'blue spice').fmeasure).toBe(0);
    expect(rougeL('Blue Spice', 'blue spice').fmeasure).toBe(1);
  });

  it('T5 qa_utils normalisation: squad deletes punctuation, trivia_qa turns it into spaces', () => {
    expect(normalizeSquad('The U.S.-born  "Poe"!')).toBe('usborn poe');
    expect(normalizeTriviaQa('The U.S.-born  "Poe"!')).toBe('u s born poe');
    expect(normalizeTriviaQa('rock‘n’roll')).toBe('rock n roll');
    // Only ASCII punctuation counts (Python's string.punctuation), unlike the default normaliser.
    expect(normalizeSquad('1972–1975')).toBe('1972–1975');
    expect(normalizeAnswer('1972–1975')).toBe('19721975');
    expect(normalizeSquad('théa the')).toBe('théa');
    expect(scoreExample('exact_match', 'U.S.', ['u s'], { normalization: 'trivia_qa' })).toBe(1);
    expect(scoreExample('exact_match', 'U.S.', ['u s'], { normalization: 'squad' })).toBe(0);
  });

  it('averages ROUGE over references when asked (common_gen: one row per reference in LLM-R)', () => {
    const refs = ['a b', 'c d'];
    expect(scoreExample('rouge_l', 'a b', refs, { rouge: 'pltrdy', references: 'mean' })).toBeCloseTo(0.5, 6);
    expect(scoreExample('rouge_l', 'a b', refs, { rouge: 'pltrdy' })).toBeCloseTo(1, 6);
  });
});
