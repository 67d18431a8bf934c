// One encoded sequence (or pair) before batching.

export interface Encoding {
  ids: number[];
  /** 0 for the first sequence, 1 for the second of a pair (as the post-processor assigns them). */
  typeIds: number[];
  /** 1 where the post-processor inserted a special token ([CLS], [SEP], <s>, …). */
  specialTokensMask: number[];
}

export function plainEncoding(ids: readonly number[], typeId = 0): Encoding {
  return { ids: [...ids], typeIds: new Array(ids.length).fill(typeId), specialTokensMask: new Array(ids.length).fill(0) };
}

export function concatEncodings(a: Encoding, b: Encoding): Encoding {
  return { ids: [...a.ids, ...b.ids], typeIds: [...a.typeIds, ...b.typeIds], specialTokensMask: [...a.specialTokensMask, ...b.specialTokensMask] };
}

export type Side = 'left' | 'right';

/** Keeps `n` ids, dropping from the right end or the left end. */
export function truncateEncoding(e: Encoding, n: number, side: Side): Encoding {
  if (e.ids.length <= n) return e;
  const cut = <T>(xs: T[]): T[] => (side === 'right' ? xs.slice(0, n) : xs.slice(xs.length - n));
  return { ids: cut(e.ids), typeIds: cut(e.typeIds), specialTokensMask: cut(e.specialTokensMask) };
}
