// The one generator: every seeded stream of Retort steps through src/util/sfc32.ts.
import { describe, expect, it } from 'vitest';
import { Sfc32 } from '../../src/util/sfc32.js';
import { Rng as TrainRng } from '../../src/lib/nn/train/rng.js';
import { Rng as TaskRng } from '../../src/lib/tasks/generated/rng.js';
import { Prng } from '../../src/sweep/search/prng.js';

const draws = (next: () => number, n = 4) => Array.from({ length: n }, next);

describe('sfc32', () => {
  it('gives the stream the training generator gave before it was shared (checkpoints stay valid)', () => {
    const rng = new Sfc32(42);
    expect(draws(() => rng.nextUint32())).toEqual([1028872839, 2516511472, 400437680, 853279530]);
    expect(rng.state()).toEqual([2459493073, 438442330, 1413009884, 3317318733]);
  });

  it('continues exactly from a saved state', () => {
    const rng = new Sfc32(7);
    draws(() => rng.nextUint32(), 10);
    const copy = Sfc32.fromState(rng.state());
    expect(draws(() => copy.nextUint32(), 50)).toEqual(draws(() => rng.nextUint32(), 50));
  });

  it('rejects a state that is not four 32-bit words', () => {
    expect(() => new Sfc32(1).setState([1, 2, 3] as unknown as [number, number, number, number])).toThrow(/invalid generator state/);
    expect(() => new Sfc32(1).setState([1, 2, 3, 2 ** 32])).toThrow(/invalid generator state/);
  });

  it('is the step of the training, generated-data and search generators alike', () => {
    const base = draws(() => new Sfc32(9).nextUint32(), 1);
    expect(new TrainRng(9).nextUint32()).toBe(base[0]);
    expect(new TaskRng(9).nextUint32()).toBe(base[0]);
    expect(TrainRng.fromState(new Sfc32(9).state())).toBeInstanceOf(TrainRng);
  });

  it('keeps the search generator\'s own seeding, so sweeps propose what they proposed before', () => {
    const rng = new Prng(42);
    expect(draws(() => rng.nextUint32())).toEqual([2992045872, 4015612291, 1913135949, 2708746122]);
  });
});
