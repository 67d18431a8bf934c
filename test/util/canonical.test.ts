import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/util/canonical.js';

/** The definition, written plainly: JSON with every object's members sorted by key, undefined ones dropped. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : reference(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 })),
})).value;

describe('canonical JSON', () => {
  it('is JSON with members sorted by key (integer-like keys too), whatever order the keys were inserted in', () => {
    fc.assert(fc.property(json, (v) => {
      expect(canonicalJson(v)).toBe(reference(v));
      const reversed = JSON.parse(JSON.stringify(v), (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x));
      expect(canonicalJson(reversed)).toBe(canonicalJson(v));
    }), { numRuns: 300 });
  });

  it('drops undefined members, spells -0 as 0 and tags non-finite numbers', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined, -0] })).toBe('{"b":1,"c":[null,0]}');
    expect(canonicalJson({ x: Infinity, y: NaN })).toBe('{"x":{"$number":"Infinity"},"y":{"$number":"NaN"}}');
    expect(canonicalJson({ x: 'Infinity' })).not.toBe(canonicalJson({ x: Infinity }));
    expect(canonicalJson(10n)).toBe('{"$bigint":"10"}');
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/cannot canonicalise a function/);
  });
});
