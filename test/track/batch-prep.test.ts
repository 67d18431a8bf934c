import { describe, expect, it } from 'vitest';
import { BatchPreparer } from '../../src/track/batch-prep.js';
import { flattenParams } from '../../src/track/flatten-params.js';

describe('BatchPreparer', () => {
  it('keeps param keys unique after sanitising and cuts values to 500 characters', () => {
    const warnings: string[] = [];
    const prep = new BatchPreparer((m) => warnings.push(m));
    const { params, overflow } = prep.params([
      { key: 'acc@1', value: 'x' },
      { key: 'acc#1', value: 'y' },
      { key: 'same', value: 'v' },
      { key: 'same', value: 'v' },
      { key: 'long', value: 'é'.repeat(501) },
    ]);
    expect(params).toEqual([
      { key: 'acc_1', value: 'x' },
      { key: 'acc_1_2', value: 'y' },
      { key: 'same', value: 'v' },
      { key: 'long', value: 'é'.repeat(500) },
    ]);
    expect(overflow).toEqual([{ key: 'long', value: 'é'.repeat(501) }]);
    expect(warnings).toHaveLength(2);
  });

  it('caps tag values at 5000 characters and makes steps and timestamps integers', () => {
    const warnings: string[] = [];
    const prep = new BatchPreparer((m) => warnings.push(m));
    expect(prep.tags([{ key: 't', value: 'a'.repeat(6000) }])[0]!.value).toHaveLength(5000);
    expect(prep.metrics([{ key: 'm', value: NaN, step: 2.7, timestamp: 10.4 }])).toEqual([{ key: 'm', value: NaN, step: 2, timestamp: 10 }]);
    expect(warnings).toHaveLength(2);
  });
});

describe('flattenParams', () => {
  it('turns nested objects into dotted keys and other values into strings', () => {
    expect(flattenParams({ b: { y: 1, x: { deep: true } }, a: [1, { k: 2 }], n: null, s: 'text', e: {} })).toEqual([
      { key: 'a', value: '[1,{"k":2}]' },
      { key: 'b.x.deep', value: 'true' },
      { key: 'b.y', value: '1' },
      { key: 'e', value: '{}' },
      { key: 'n', value: 'null' },
      { key: 's', value: 'text' },
    ]);
  });
});
