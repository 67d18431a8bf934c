// Truncating one sequence or a pair to a length budget (the special tokens already subtracted).

import { truncateEncoding, type Encoding, type Side } from './encoding.js';
import { TokenizerError } from './errors.js';
import type { TruncationStrategy } from './settings.js';

/**
 * `longest_first` (HF's rule): when the pair is too long, the longer sequence gets
 * `budget − shorter` if the shorter fits in half the budget, else both get half (the second of
 * the two, in length order the shorter, gets the odd token). `only_first`/`only_second` cut one side.
 */
export function truncatePair(a: Encoding, b: Encoding | null, budget: number, strategy: TruncationStrategy, side: Side): [Encoding, Encoding | null] {
  if (!b) {
    if (strategy === 'only_second') throw new TokenizerError("truncation strategy 'only_second' needs a pair of sequences");
    return [truncateEncoding(a, budget, side), null];
  }
  const na = a.ids.length;
  const nb = b.ids.length;
  if (na + nb <= budget) return [a, b];
  if (strategy === 'longest_first') {
    const swap = na < nb;
    // The longer sequence loses tokens first: each keeps half when both are long, else the shorter stays whole.
    let short = swap ? na : nb;
    let long: number;
    if (short > Math.floor(budget / 2)) {
      long = Math.floor(budget / 2);
      short = long + (budget % 2);
    } else long = budget - short;
    const [ka, kb] = swap ? [short, long] : [long, short];
    return [truncateEncoding(a, ka, side), truncateEncoding(b, kb, side)];
  }
  const [cut, keep] = strategy === 'only_first' ? [na, nb] : [nb, na];
  const room = budget - keep;
  if (room < 0 || cut === 0) throw new TokenizerError(`truncation '${strategy}' cannot fit the pair into ${budget} tokens: the other sequence alone has ${keep}`);
  return strategy === 'only_first' ? [truncateEncoding(a, room, side), b] : [a, truncateEncoding(b, room, side)];
}
