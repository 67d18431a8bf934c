// Padding encodings into one row-major int32 batch, the layout tensors are made from.

import type { Encoding, Side } from './encoding.js';
import { TokenizerError } from './errors.js';

export interface BatchEncoding {
  /** [batch * length], row-major. */
  inputIds: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  specialTokensMask: Int32Array;
  /** Tokens per row before padding. */
  lengths: Int32Array;
  shape: [number, number];
}

export interface PadOptions {
  length: 'longest' | number;
  side: Side;
  multipleOf: number | null;
  padId: number;
  padTypeId: number;
}

export function batchFromEncodings(encodings: readonly Encoding[], opts: PadOptions): BatchEncoding {
  const longest = encodings.reduce((m, e) => Math.max(m, e.ids.length), 0);
  let len = opts.length === 'longest' ? longest : opts.length;
  if (opts.multipleOf && len % opts.multipleOf) len += opts.multipleOf - (len % opts.multipleOf);
  for (const [i, e] of encodings.entries()) {
    if (e.ids.length > len) {
      throw new TokenizerError(`row ${i} has ${e.ids.length} tokens, more than the padded length ${len}: turn truncation on (maxLength) or pad to the longest`);
    }
  }
  const rows = encodings.length;
  const inputIds = new Int32Array(rows * len).fill(opts.padId);
  const attentionMask = new Int32Array(rows * len);
  const tokenTypeIds = new Int32Array(rows * len).fill(opts.padTypeId);
  const specialTokensMask = new Int32Array(rows * len).fill(1);
  const lengths = new Int32Array(rows);
  encodings.forEach((e, r) => {
    const n = e.ids.length;
    lengths[r] = n;
    const start = r * len + (opts.side === 'left' ? len - n : 0);
    inputIds.set(e.ids, start);
    tokenTypeIds.set(e.typeIds, start);
    specialTokensMask.set(e.specialTokensMask, start);
    attentionMask.fill(1, start, start + n);
  });
  return { inputIds, attentionMask, tokenTypeIds, specialTokensMask, lengths, shape: [rows, len] };
}
