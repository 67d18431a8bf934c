// Pieces of the NT/UL/CL training: pairs of one question, the rationale's first token, the
// few-shot prefix.

import { describe, expect, it } from 'vitest';
import { trainByteLevelBpe } from '../../src/lib/nn/tokenizer/trainers/train.js';
import { encodeWithRationale, samePairs } from '../../src/lib/reasoning/negative-training.js';
import { demonstrationPrefix, END_OF_TEXT, PAD, promptOf } from '../../src/lib/reasoning/student.js';

describe('negative training data', () => {
  it('pairs every positive with every negative of the same question, and no other', () => {
    const ex = (question: string, rationale: string) => ({ question, rationale });
    const pairs = samePairs({
      positives: [ex('a', 'p1'), ex('b', 'p2'), ex('a', 'p3')],
      negatives: [ex('a', 'n1'), ex('c', 'n2'), ex('a', 'n3')],
    });
    expect(pairs).toEqual([[0, 0], [0, 2], [2, 0], [2, 2]]);
  });

  it('marks where the rationale starts: the prompt tokens come first', () => {
    const tok = trainByteLevelBpe(['Question: 1 + 2?\nAnswer: 1 + 2 = 3. The answer is 3.'], { vocabSize: 280, minFrequency: 1, specialTokens: [PAD, END_OF_TEXT] });
    const e = encodeWithRationale(tok, { question: '1 + 2?', rationale: '1 + 2 = 3. The answer is 3.' }, 100);
    const prompt = tok.encode(promptOf('1 + 2?'), { addSpecialTokens: false }).ids;
    expect(e.rationaleStart).toBe(prompt.length);
    expect(e.ids.slice(0, prompt.length)).toEqual(prompt);
    expect(tok.decode(e.ids.slice(e.rationaleStart, -1)).trim()).toBe('1 + 2 = 3. The answer is 3.');
  });

  it('a few-shot prefix is worked examples, each ending a line, so the next question follows', () => {
    const prefix = demonstrationPrefix([{ question: 'q1', rationale: 'r1' }, { question: 'q2', rationale: 'r2' }]);
    expect(prefix + promptOf('q3')).toBe('Question: q1\nAnswer: r1\nQuestion: q2\nAnswer: r2\nQuestion: q3\nAnswer:');
  });
});
