// Truncation and padding settings, as tokenizer.json stores them and as calls override them.

import { locatedError } from './errors.js';
import { Fields, type JsonObject } from './json-fields.js';
import type { Side } from './encoding.js';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface TruncationSettings {
  /** Total length, special tokens included. */
  maxLength: number;
  /** Which end loses tokens. */
  direction: Side;
  strategy: TruncationStrategy;
  /** Kept for the file only: overflowing windows are not produced. */
  stride: number;
}

export interface PaddingSettings {
  /** 'longest': to the longest sequence of the batch; a number: to that fixed length. */
  length: 'longest' | number;
  direction: Side;
  padToMultipleOf: number | null;
  padId: number;
  padTypeId: number;
  padToken: string;
}

const STRATEGIES: Record<string, TruncationStrategy> = { LongestFirst: 'longest_first', OnlyFirst: 'only_first', OnlySecond: 'only_second' };
const STRATEGY_NAMES: Record<TruncationStrategy, string> = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' };

function readSide(f: Fields, key: string): Side {
  const d = f.string(key, 'Right');
  if (d !== 'Right' && d !== 'Left') throw locatedError(f.at(key), `must be "Right" or "Left", got '${d}'`);
  return d === 'Right' ? 'right' : 'left';
}

const sideName = (s: Side): string => (s === 'right' ? 'Right' : 'Left');

export function parseTruncation(f: Fields): TruncationSettings {
  const s = f.string('strategy', 'LongestFirst');
  const strategy = STRATEGIES[s];
  if (!strategy) throw locatedError(f.at('strategy'), `'${s}' is not one of ${Object.keys(STRATEGIES).join(', ')}`);
  return { maxLength: f.int('max_length'), direction: readSide(f, 'direction'), strategy, stride: f.int('stride', 0) };
}

export function truncationJSON(t: TruncationSettings): JsonObject {
  return { direction: sideName(t.direction), max_length: t.maxLength, strategy: STRATEGY_NAMES[t.strategy], stride: t.stride };
}

export function parsePadding(f: Fields): PaddingSettings {
  const raw = f.raw('strategy');
  let length: 'longest' | number;
  if (raw === undefined || raw === 'BatchLongest') length = 'longest';
  else if (typeof raw === 'object' && raw !== null && 'Fixed' in raw) length = f.object('strategy').int('Fixed');
  else throw locatedError(f.at('strategy'), 'must be "BatchLongest" or {"Fixed": n}');
  const multiple = f.optNumber('pad_to_multiple_of');
  return { length, direction: readSide(f, 'direction'), padToMultipleOf: multiple, padId: f.int('pad_id', 0), padTypeId: f.int('pad_type_id', 0), padToken: f.string('pad_token', '[PAD]') };
}

export function paddingJSON(p: PaddingSettings): JsonObject {
  return {
    strategy: p.length === 'longest' ? 'BatchLongest' : { Fixed: p.length },
    direction: sideName(p.direction),
    pad_to_multiple_of: p.padToMultipleOf,
    pad_id: p.padId,
    pad_type_id: p.padTypeId,
    pad_token: p.padToken,
  };
}
