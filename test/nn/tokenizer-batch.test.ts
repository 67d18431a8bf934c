// Truncation (left/right, pairs longest-first), padding (right/left, longest/fixed/multiple) and tensors.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { tokenizerFromJSON, toTensors, TokenizerError } from '../../src/lib/nn/tokenizer/index.js';
import { BERT_VOCAB, bertJson } from './tokenizer-fixtures.js';

const id = (t: string): number => BERT_VOCAB.indexOf(t);
const [PAD, CLS, SEP] = [0, 2, 3];
const bert = tokenizerFromJSON(bertJson());
const FOUR = 'the cafe hello world'; // 4 word tokens
const THREE = 'hello world .';

describe('truncation', () => {
  it('keeps the start (right) or the end (left), special tokens included in maxLength', () => {
    expect(bert.encode(FOUR, { maxLength: 4 }).ids).toEqual([CLS, id('the'), id('cafe'), SEP]);
    expect(bert.encode(FOUR, { maxLength: 4, truncation: 'left' }).ids).toEqual([CLS, id('hello'), id('world'), SEP]);
    expect(bert.encode(FOUR, { maxLength: 4, addSpecialTokens: false }).ids).toEqual([id('the'), id('cafe'), id('hello'), id('world')]);
    expect(bert.encode(FOUR, { maxLength: 10 }).ids).toHaveLength(6);
    expect(() => bert.encode(FOUR, { maxLength: 1 })).toThrow(TokenizerError);
    expect(() => bert.encode(FOUR, { truncation: 'left' })).toThrow(/truncation 'left' needs maxLength/);
    expect(() => bert.encodeBatch([FOUR], { padding: 'max_length' })).toThrow(/padding 'max_length' needs maxLength/);
  });

  it('cuts pairs longest first', () => {
    // budget 6-3 = 3: the shorter (1) fits in half, so the longer keeps 3-1 = 2.
    expect(bert.encode(FOUR, { pair: 'hello', maxLength: 6 }).ids).toEqual([CLS, id('the'), id('cafe'), SEP, id('hello'), SEP]);
    // budget 4: both get 2.
    expect(bert.encode(FOUR, { pair: THREE, maxLength: 7 }).ids).toEqual([CLS, id('the'), id('cafe'), SEP, id('hello'), id('world'), SEP]);
    // budget 5 (odd): the longer gets 2, the shorter 3.
    expect(bert.encode(FOUR, { pair: THREE, maxLength: 8 }).ids).toEqual([CLS, id('the'), id('cafe'), SEP, id('hello'), id('world'), id('.'), SEP]);
    // The same with the longer sequence second, cut from the left.
    expect(bert.encode('hello', { pair: FOUR, maxLength: 6, truncation: 'left' }).ids).toEqual([CLS, id('hello'), SEP, id('hello'), id('world'), SEP]);
  });

  it('cuts only the first or only the second sequence when asked', () => {
    expect(bert.encode(FOUR, { pair: THREE, maxLength: 8, truncationStrategy: 'only_first' }).ids).toEqual([CLS, id('the'), id('cafe'), SEP, id('hello'), id('world'), id('.'), SEP]);
    expect(bert.encode(FOUR, { pair: THREE, maxLength: 8, truncationStrategy: 'only_second' }).ids).toEqual([CLS, id('the'), id('cafe'), id('hello'), id('world'), SEP, id('hello'), SEP]);
    expect(() => bert.encode(FOUR, { pair: THREE, maxLength: 6, truncationStrategy: 'only_second' })).toThrow(/cannot fit the pair into 3 tokens/);
  });

  it('uses the file\'s truncation unless the call overrides or disables it', () => {
    const t = tokenizerFromJSON(bertJson({ truncation: { direction: 'Left', max_length: 4, strategy: 'LongestFirst', stride: 0 } }));
    expect(t.encode(FOUR).ids).toEqual([CLS, id('hello'), id('world'), SEP]);
    expect(t.encode(FOUR, { truncation: 'right' }).ids).toEqual([CLS, id('the'), id('cafe'), SEP]);
    expect(t.encode(FOUR, { truncation: false }).ids).toHaveLength(6);
  });
});

describe('encodeBatch', () => {
  it('pads right to the longest by default, with masks, type ids and lengths', () => {
    const b = bert.encodeBatch(['hello world', 'hello']);
    expect(b.shape).toEqual([2, 4]);
    expect([...b.inputIds]).toEqual([CLS, id('hello'), id('world'), SEP, CLS, id('hello'), SEP, PAD]);
    expect([...b.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
    expect([...b.tokenTypeIds]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...b.specialTokensMask]).toEqual([1, 0, 0, 1, 1, 0, 1, 1]);
    expect([...b.lengths]).toEqual([4, 3]);
    expect(b.inputIds).toBeInstanceOf(Int32Array);
  });

  it('pads left, to a fixed length, to a multiple, with a chosen pad id', () => {
    const left = bert.encodeBatch(['hello world', 'hello'], { padSide: 'left' });
    expect([...left.inputIds]).toEqual([CLS, id('hello'), id('world'), SEP, PAD, CLS, id('hello'), SEP]);
    expect([...left.attentionMask]).toEqual([1, 1, 1, 1, 0, 1, 1, 1]);
    const fixed = bert.encodeBatch(['hello'], { maxLength: 6, padding: 'max_length', padId: 4 });
    expect(fixed.shape).toEqual([1, 6]);
    expect([...fixed.inputIds]).toEqual([CLS, id('hello'), SEP, 4, 4, 4]);
    expect(bert.encodeBatch(['hello'], { padToMultipleOf: 8 }).shape).toEqual([1, 8]);
  });

  it('truncates and pads pairs into one batch', () => {
    const b = bert.encodeBatch([FOUR, 'hello'], { pairs: [THREE, 'world'], maxLength: 7, truncation: 'right' });
    expect(b.shape).toEqual([2, 7]);
    expect([...b.inputIds.slice(7)]).toEqual([CLS, id('hello'), SEP, id('world'), SEP, PAD, PAD]);
    expect([...b.tokenTypeIds.slice(0, 7)]).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect([...b.tokenTypeIds.slice(7)]).toEqual([0, 0, 0, 1, 1, 0, 0]);
    expect(() => bert.encodeBatch(['a', 'b'], { pairs: ['c'] })).toThrow(/2 texts but 1 pairs/);
  });

  it('follows the file\'s padding and refuses rows longer than a fixed length', () => {
    const t = tokenizerFromJSON(bertJson({ padding: { strategy: { Fixed: 5 }, direction: 'Left', pad_to_multiple_of: null, pad_id: 4, pad_type_id: 1, pad_token: '[MASK]' } }));
    const b = t.encodeBatch(['hello']);
    expect([...b.inputIds]).toEqual([4, 4, CLS, id('hello'), SEP]);
    expect([...b.tokenTypeIds]).toEqual([1, 1, 0, 0, 0]);
    expect(() => t.encodeBatch([FOUR])).toThrow(/row 0 has 6 tokens, more than the padded length 5/);
  });

  it('decodes a batch without its padding', () => {
    const b = bert.encodeBatch(['Hello world!', 'hello'], { padSide: 'left' });
    expect(bert.decodeBatch(b, { skipSpecialTokens: true })).toEqual(['hello world!', 'hello']);
  });

  it('makes int32 tensors of shape [batch, length] and leaks none', () => {
    const before = tf.memory().numTensors;
    const t = toTensors(bert.encodeBatch(['hello world', 'hello']));
    expect(t.inputIds.dtype).toBe('int32');
    expect(t.inputIds.shape).toEqual([2, 4]);
    expect(t.attentionMask.arraySync()).toEqual([[1, 1, 1, 1], [1, 1, 1, 0]]);
    expect(t.tokenTypeIds.shape).toEqual([2, 4]);
    tf.dispose([t.inputIds, t.attentionMask, t.tokenTypeIds]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
