// The byte-level BPE trainer's opt-in digit splitting (Llama-style numbers): every digit one token.
import { describe, expect, it } from 'vitest';
import { tokenizerFromJSON, trainByteLevelBpe } from '../../src/lib/nn/tokenizer/core.js';

// Numbers repeat often enough that the plain trainer merges them into whole-number tokens.
const CORPUS = Array.from({ length: 40 }, (_, i) => `Mia has 47 stickers: 47 + 38 = 85, and ${i} more make ${47 + i}.`);

describe('byte-level BPE with splitDigits', () => {
  it('spells every number digit by digit, a space before it a token of its own', () => {
    const t = trainByteLevelBpe(CORPUS, { vocabSize: 400, minFrequency: 2, splitDigits: true });
    const tokens = (s: string) => t.encode(s, { addSpecialTokens: false }).tokens;
    expect(tokens('47 + 38 = 85')).toEqual(['4', '7', 'Ġ+', 'Ġ', '3', '8', 'Ġ=', 'Ġ', '8', '5']);
    for (const text of [...CORPUS, '1234 and 0.5']) expect(t.decode(t.encode(text).ids)).toBe(text);
    // No learnt token holds two digits.
    for (let id = 0; id < t.vocabSize; id++) expect(t.idToToken(id) ?? '').not.toMatch(/\d.*\d/u);
  });

  it('is off by default: the same corpus then merges whole numbers', () => {
    const t = trainByteLevelBpe(CORPUS, { vocabSize: 400, minFrequency: 2 });
    expect(t.encode('47 + 38 = 85', { addSpecialTokens: false }).tokens).toContain('Ġ38');
  });

  it('is written to tokenizer.json and read back', () => {
    const t = trainByteLevelBpe(CORPUS, { vocabSize: 400, minFrequency: 2, splitDigits: true });
    const json = t.toJSON() as { pre_tokenizer: unknown };
    expect(json.pre_tokenizer).toMatchObject({ type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, { type: 'ByteLevel' }] });
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(json)));
    for (const text of CORPUS) expect(back.encode(text).ids).toEqual(t.encode(text).ids);
  });
});
