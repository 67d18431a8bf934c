// Answer extraction and equivalence on hand-written cases: our format, GSM8K's "####", MATH's
// \boxed{} with Hendrycks' normalisation, and the MATH/GSM8K row readers' located errors.

import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/lib/data/errors.js';
import {
  answersMatch,
  canonicalNumber,
  extractGsm8kAnswer,
  extractMathAnswer,
  extractModelAnswer,
  isMathEquiv,
  isNumericEquiv,
  lastBoxed,
  normalizeMathAnswer,
} from '../../src/lib/reasoning/answers.js';
import { gsm8kRow, mathRow } from '../../src/lib/reasoning/rows.js';

describe('numbers', () => {
  it('canonicalises commas, dollars, trailing points and zeros', () => {
    expect(canonicalNumber('1,234')).toBe('1234');
    expect(canonicalNumber('$12')).toBe('12');
    expect(canonicalNumber('12.50')).toBe('12.5');
    expect(canonicalNumber('7.')).toBe('7');
    expect(canonicalNumber('-0')).toBe('0');
    expect(canonicalNumber('.5')).toBe('0.5');
    expect(canonicalNumber('twelve')).toBeNull();
    expect(canonicalNumber('1,2')).toBeNull(); // a comma that is not a thousands separator
  });
});

describe('our format: "The answer is N"', () => {
  it('takes the last statement, any case, with dollars and commas', () => {
    expect(extractModelAnswer('A: 3 + 4 = 7.\nThe answer is 7.')).toBe('7');
    expect(extractModelAnswer('the answer is 5. Wait. The answer is $1,200.')).toBe('1200');
    expect(extractModelAnswer('The answer is: -3')).toBe('-3');
    expect(extractModelAnswer('So 3 + 4 = 7.')).toBeNull();
    expect(extractModelAnswer('The answer is unclear.')).toBeNull();
  });
});

describe('GSM8K: "#### N"', () => {
  it('reads the number after the last ####', () => {
    expect(extractGsm8kAnswer('Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72')).toBe('72');
    expect(extractGsm8kAnswer('x\n#### 1,080\n')).toBe('1080');
    expect(extractGsm8kAnswer('no marker 72')).toBeNull();
    expect(extractGsm8kAnswer('#### many')).toBeNull();
  });
});

describe('MATH: \\boxed{} and normalisation', () => {
  it('finds the last \\boxed with matched braces, \\fbox and the brace-less form', () => {
    expect(lastBoxed('first \\boxed{1} then \\boxed{\\frac{1}{2}}.')).toBe('\\boxed{\\frac{1}{2}}');
    expect(extractMathAnswer('so $\\boxed{\\frac{a}{\\sqrt{b}}}$ done')).toBe('\\frac{a}{\\sqrt{b}}');
    expect(extractMathAnswer('\\fbox{42}')).toBe('42');
    expect(extractMathAnswer('hence \\boxed 5$ ok')).toBe('5');
    expect(extractMathAnswer('\\boxed{unclosed')).toBeNull();
    expect(extractMathAnswer('no box at all')).toBeNull();
  });

  it.each([
    ['\\dfrac{1}{2}', '\\frac{1}{2}'],
    ['\\tfrac12', '\\frac{1}{2}'],
    ['\\frac1{2}', '\\frac{1}{2}'],
    ['0.5', '\\frac{1}{2}'],
    ['3/4', '\\frac{3}{4}'],
    ['\\left( 1, 2 \\right)', '(1,2)'],
    ['90^\\circ', '90'],
    ['90^{\\circ}', '90'],
    ['\\$5', '5'],
    ['5 \\text{ cm}', '5'],
    ['50\\%', '50'],
    ['.5', '\\frac{1}{2}'],
    ['x = 3', '3'],
    ['\\sqrt3', '\\sqrt{3}'],
    ['\\!10', '10'],
    ['a\n b', 'ab'],
  ])('normalises %j to %j', (raw, want) => {
    expect(normalizeMathAnswer(raw)).toBe(want);
  });

  it('keeps the quirks of the reference code', () => {
    expect(normalizeMathAnswer('\\frac{1}2')).toBe('\\frac{1}2'); // a braced first argument is not touched
    expect(normalizeMathAnswer('03/4')).toBe('03/4'); // not written as integers are
    expect(normalizeMathAnswer('y_1 = 3')).toBe('y_1=3'); // a long left-hand side stays
    expect(normalizeMathAnswer('1 \\text{ a} 2 \\text{ b}')).toBeNull(); // two units: the reference raises
  });

  it('compares normalised answers; unnormalisable ones as written; missing ones', () => {
    expect(isMathEquiv('\\dfrac{1}{2}', '0.5')).toBe(true);
    expect(isMathEquiv('\\frac{1}{2}', '\\frac{2}{4}')).toBe(false);
    expect(isMathEquiv('1 \\text{ a} 2 \\text{ b}', '1 \\text{ a} 2 \\text{ b}')).toBe(true);
    expect(isMathEquiv('1 \\text{ a} 2 \\text{ b}', '1')).toBe(false);
    expect(isMathEquiv(null, null)).toBe(true);
    expect(isMathEquiv(null, '1')).toBe(false);
  });

  it('answersMatch: a missing prediction never matches', () => {
    expect(answersMatch(null, '3', 'math')).toBe(false);
    expect(answersMatch('\\frac{6}{2}', '3', 'math')).toBe(false); // MATH does not evaluate
    expect(answersMatch('3.0', '3', 'gsm8k')).toBe(true);
    expect(answersMatch('3', '3', 'model')).toBe(true);
    expect(isNumericEquiv('3', 'three')).toBe(false);
  });
});

describe('rows of real datasets', () => {
  it('reads a MATH row and a GSM8K row', () => {
    expect(mathRow({ problem: 'What is 1/2 + 1/2?', solution: 'It is $\\boxed{1}$.' }, 'math.jsonl', 3)).toEqual({
      question: 'What is 1/2 + 1/2?',
      solution: 'It is $\\boxed{1}$.',
      answer: '1',
    });
    expect(gsm8kRow({ question: 'q', answer: 'He has 2+3=5.\n#### 5' }, 'gsm.jsonl', 1)).toEqual({ question: 'q', solution: 'He has 2+3=5.', answer: '5' });
  });

  it('a MATH row without \\boxed{} is a located data error', () => {
    let caught: unknown;
    try {
      mathRow({ problem: 'p', solution: 'The answer is 4.' }, 'data/math/train.jsonl', 17);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).message).toBe('data/math/train.jsonl:17: the solution has no \\boxed{…} answer (or its braces do not close)');
    expect(() => gsm8kRow({ question: 'q', answer: 'five' }, 'g.jsonl', 2)).toThrow('g.jsonl:2: the answer has no "#### <number>" line');
    expect(() => mathRow({ problem: 'p' }, 'm.jsonl', 4)).toThrow('m.jsonl:4: "solution" must be a string, got nothing');
  });
});
