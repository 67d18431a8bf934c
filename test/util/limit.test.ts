import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Limiter, mapLimit } from '../../src/util/limit.js';

describe('bounded concurrency', () => {
  it('mapLimit keeps item order and never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (ms) => {
      most = Math.max(most, ++inFlight);
      await sleep(ms);
      inFlight--;
      return ms * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(most).toBe(3);
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });

  it('mapLimit rejects with the first failure', async () => {
    await expect(mapLimit([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('two'); return n; })).rejects.toThrow('two');
  });

  it('Limiter runs tens of thousands of queued tasks in linear time, at most `limit` at once', async () => {
    const limiter = new Limiter(4);
    let inFlight = 0;
    let most = 0;
    const n = 100_000;
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: n }, (_, i) => limiter.run(async () => {
      most = Math.max(most, ++inFlight);
      await Promise.resolve();
      inFlight--;
      return i;
    })));
    expect(results[n - 1]).toBe(n - 1);
    expect(most).toBe(4);
    // A linear queue takes well under a second here; shifting an array of 10^5 waiters takes far longer.
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
