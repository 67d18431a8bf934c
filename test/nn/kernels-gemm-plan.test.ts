// How a matMul maps onto one gemmBatch call (src/lib/nn/kernels/gemm-plan.ts), and what it leaves
// to the stock kernel: operands that are not matrices, and batch axes that broadcast partially.
import { describe, expect, it } from 'vitest';
import { planGemm } from '../../src/lib/nn/kernels/gemm-plan.js';

describe('planGemm', () => {
  it('reads m, k, n from the last two axes, transposes included', () => {
    expect(planGemm([2, 3, 4], [4, 5], false, false)).toMatchObject({ outShape: [2, 3, 5], batch: 1, m: 6, k: 4, n: 5 });
    expect(planGemm([4, 3], [5, 4], true, true)).toMatchObject({ outShape: [3, 5], m: 3, k: 4, n: 5 });
  });

  it('leaves operands of rank below 2 to the stock kernel', () => {
    expect(planGemm([4], [4, 5], false, false)).toBeNull();
    expect(planGemm([3, 4], [4], false, false)).toBeNull();
    expect(planGemm([], [], false, false)).toBeNull();
  });

  it('leaves partial batch broadcasting to the stock kernel and throws on differing inner dimensions', () => {
    expect(planGemm([2, 1, 3, 4], [1, 3, 4, 5], false, false)).toBeNull();
    expect(() => planGemm([3, 4], [5, 6], false, false)).toThrow(/inner dimensions differ/);
  });
});
