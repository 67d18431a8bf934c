import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isValidKey, nodeKeySegment, sanitizeKey } from '../../src/track/keys.js';
import { codePointLength, decodeDouble, encodeDouble, truncateCodePoints } from '../../src/track/values.js';
import { pythonNormpath } from '../contract/mlflow-contract-server.js';

describe('sanitizeKey', () => {
  it('keeps valid keys unchanged', () => {
    for (const k of ['loss', 'train/loss', 'a b.c-d_e', 'category/nli', 'x'.repeat(250)]) expect(sanitizeKey(k)).toBe(k);
  });

  it('repairs keys MLflow rejects', () => {
    expect(sanitizeKey('acc@1')).toBe('acc_1');
    expect(sanitizeKey('eval[rte]/acc')).toBe('eval_rte_/acc');
    expect(sanitizeKey('/lead')).toBe('lead');
    expect(sanitizeKey('trail/')).toBe('trail');
    expect(sanitizeKey('a//b')).toBe('a/b');
    expect(sanitizeKey('a/./b')).toBe('a/b');
    expect(sanitizeKey('../up')).toBe('__/up');
    expect(sanitizeKey('')).toBe('_');
    expect(sanitizeKey('μ:x')).toBe('__x');
  });

  it('shortens long keys to 250 characters keeping them distinct', () => {
    const a = sanitizeKey('k'.repeat(300) + 'a');
    const b = sanitizeKey('k'.repeat(300) + 'b');
    expect(a).toHaveLength(250);
    expect(a).not.toBe(b);
    expect(isValidKey(a)).toBe(true);
  });

  it('always yields a key that satisfies the regex, length and normpath rules', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: fc.constantFrom('a', 'Z', '0', '_', '/', '.', ' ', '-', '[', ':', '#', '\\', 'é', '😀', '\n') }), (raw) => {
        const key = sanitizeKey(raw);
        return key.length > 0 && key.length <= 250 && /^[/\w.\- ]*$/.test(key)
          && pythonNormpath(key) === key && !key.startsWith('/') && !key.startsWith('..');
      }),
      { numRuns: 200 },
    );
  });

  it('turns node ids into readable key segments', () => {
    expect(nodeKeySegment('eval[rte]')).toBe('eval.rte');
    expect(nodeKeySegment('train#2')).toBe('train.2');
  });
});

describe('values', () => {
  it('truncates by code points without splitting surrogate pairs', () => {
    const s = '😀'.repeat(3);
    expect(codePointLength(s)).toBe(3);
    expect(truncateCodePoints(s, 2)).toBe('😀😀');
  });

  it('encodes and decodes the doubles JSON cannot carry', () => {
    expect([NaN, Infinity, -Infinity, 1.5].map(encodeDouble)).toEqual(['NaN', 'Infinity', '-Infinity', 1.5]);
    expect(decodeDouble('NaN')).toBeNaN();
    expect(decodeDouble('-Infinity')).toBe(-Infinity);
    expect(decodeDouble('2.5')).toBe(2.5);
  });
});
