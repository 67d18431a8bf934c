// Capping a split to at most n rows by a seeded shuffle, keeping the source order of the kept rows.

import { Rng } from './generated/rng.js';

export function capRows<T>(rows: readonly T[], max: number | undefined, seed: number, label: string): T[] {
  if (max === undefined || rows.length <= max) return [...rows];
  const keep = Rng.derive(seed, 'cap', label).shuffle([...rows.keys()]).slice(0, max).sort((a, b) => a - b);
  return keep.map((i) => rows[i]!);
}
