// The tree compiles with noUncheckedIndexedAccess (tsconfig.json): an index or a record lookup may
// be undefined. `npm test` type-checks test/ too, so these lines fail to compile if the flag is off.
import { describe, expect, it } from 'vitest';

describe('indexed access', () => {
  it('is typed as possibly undefined', () => {
    const list: number[] = [1];
    const table: Record<string, number> = { a: 1 };
    // @ts-expect-error an element of a list may be missing
    const first: number = list[0];
    // @ts-expect-error a key of a record may be missing
    const a: number = table.a;
    expect(first + a).toBe(2);
  });
});
