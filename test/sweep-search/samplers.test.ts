import { describe, expect, it } from 'vitest';
import { choice, contains, int, loguniform, Prng, RandomSampler, TpeSampler, uniform, type Assignment, type Sampler, type SearchSpace, type Trial } from '../../src/sweep/search/index.js';
import { TruncatedMixture } from '../../src/sweep/search/parzen.js';
import { at } from '../util/at.js';

const SPACE: SearchSpace = {
  alpha: uniform(-2, 3),
  lr: loguniform(1e-6, 1e-1),
  layers: int(1, 12),
  width: int(8, 4096, { log: true }),
  act: choice(['relu', 'tanh', 'gelu']),
};

const objective = (a: Assignment) => ((a.alpha as number) - 1) ** 2 + (Math.log10(a.lr as number) + 3) ** 2 + (a.act === 'gelu' ? 0 : 1);

/** Runs `trials` trials one after another; returns the history. */
function run(sampler: Sampler, trials: number, f = objective): Trial[] {
  const history: Trial[] = [];
  while (history.length < trials) {
    const a = at(sampler.propose(history, 1), 0);
    history.push({ assignment: a, state: 'done', objective: f(a) });
  }
  return history;
}

const strategies: [string, (seed: number, space?: SearchSpace, budget?: number) => Sampler][] = [
  ['random', (seed, space = SPACE, budget) => new RandomSampler({ space, seed, budget })],
  ['tpe', (seed, space = SPACE, budget) => new TpeSampler({ space, seed, budget, nStartupTrials: 5 })],
];

describe.each(strategies)('%s sampler', (_name, make) => {
  it('is deterministic given its seed and history, and seeds differ', () => {
    const a = run(make(7), 30).map((t) => t.assignment);
    const b = run(make(7), 30).map((t) => t.assignment);
    const c = run(make(8), 30).map((t) => t.assignment);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('proposes the same in one batch as in two halves (a resumed search repeats itself)', () => {
    const history = run(make(3), 12);
    const whole = make(3).propose(history, 4);
    const first = make(3).propose(history, 2);
    const rest = make(3).propose([...history, ...first.map((assignment) => ({ assignment, state: 'running' as const }))], 2);
    expect([...first, ...rest]).toEqual(whole);
  });

  it('keeps every proposal inside its bounds (integers integral, choices from the list)', () => {
    const history = run(make(11), 60);
    for (const { assignment } of history) {
      for (const [name, dim] of Object.entries(SPACE)) expect(contains(dim, assignment[name]), `${name}=${assignment[name]}`).toBe(true);
    }
  });

  it('respects its budget', () => {
    const sampler = make(1, SPACE, 5);
    const history: Trial[] = sampler.propose([], 3).map((assignment) => ({ assignment, state: 'failed' }));
    expect(history).toHaveLength(3);
    expect(sampler.propose(history, 10)).toHaveLength(2);
    expect(sampler.propose([...history, ...history], 10)).toHaveLength(0);
  });

  it('never proposes a point the history holds, and runs out when the space does', () => {
    const small: SearchSpace = { a: choice(['x', 'y', 'z']), b: int(1, 2) };
    const all = ['x', 'y', 'z'].flatMap((a) => [1, 2].map((b) => ({ a, b })));
    // Four trials done, one in flight: one point is left, whatever is asked for.
    const history: Trial[] = all.slice(0, 5).map((assignment, i) => (i === 4 ? { assignment, state: 'running' } : { assignment, state: 'done', objective: i }));
    const proposals = make(5, small).propose(history, 4);
    expect(proposals).toEqual([all[5]]);
  });

  it('samples log dimensions log-uniformly', () => {
    const space: SearchSpace = { lr: loguniform(1e-4, 1), width: int(1, 10_000, { log: true }) };
    const sampler = new RandomSampler({ space, seed: 99 });
    const draws = sampler.propose([], 4000);
    // Log-uniform: half the mass below the geometric middle (1e-2; 100); uniform would put 1 % there.
    const lrBelow = draws.filter((d) => (d.lr as number) < 1e-2).length / draws.length;
    const widthBelow = draws.filter((d) => (d.width as number) < 100).length / draws.length;
    expect(lrBelow).toBeGreaterThan(0.45);
    expect(lrBelow).toBeLessThan(0.55);
    expect(widthBelow).toBeGreaterThan(0.45);
    expect(widthBelow).toBeLessThan(0.55);
    // And evenly across decades: each of the four holds about a quarter.
    for (let d = 0; d < 4; d++) {
      const share = draws.filter((x) => (x.lr as number) >= 10 ** (d - 4) && (x.lr as number) < 10 ** (d - 3)).length / draws.length;
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.3);
    }
  });
});

describe('TPE', () => {
  it('starts with the same random trials as random search of the same seed', () => {
    const tpe = new TpeSampler({ space: SPACE, seed: 4, nStartupTrials: 10 });
    const random = new RandomSampler({ space: SPACE, seed: 4 });
    expect(run(tpe, 10).map((t) => t.assignment)).toEqual(run(random, 10).map((t) => t.assignment));
  });

  it('moves towards the optimum in the direction asked for', () => {
    const space: SearchSpace = { x: uniform(0, 10) };
    const peak = (a: Assignment) => -(((a.x as number) - 7) ** 2);
    const maximizer = new TpeSampler({ space, seed: 2, direction: 'maximize' });
    const history: Trial[] = [];
    while (history.length < 40) {
      const a = at(maximizer.propose(history, 1), 0);
      history.push({ assignment: a, state: 'done', objective: peak(a) });
    }
    // After the 10 random startup trials: a uniform draw on [0, 10] lands within 1.5 of 7 with probability 0.3.
    const near = history.slice(10).filter((t) => Math.abs((t.assignment.x as number) - 7) < 1.5).length / 30;
    expect(near).toBeGreaterThan(0.5);
  });

  it('spreads proposals away from trials in flight (constant liar)', () => {
    const space: SearchSpace = { x: uniform(0, 1) };
    const history: Trial[] = Array.from({ length: 20 }, (_, i) => ({ assignment: { x: (i + 0.5) / 20 }, state: 'done' as const, objective: Math.abs((i + 0.5) / 20 - 0.5) }));
    const spread = (xs: number[]) => {
      let sum = 0;
      for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) sum += Math.abs(xs[i]! - xs[j]!);
      return sum / ((xs.length * (xs.length - 1)) / 2);
    };
    let withLiar = 0;
    let without = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const sampler = new TpeSampler({ space, seed });
      withLiar += spread(sampler.propose(history, 4).map((a) => a.x as number));
      // The same four trial numbers, each proposed as if the others were not in flight (failed trials
      // take the numbers and are otherwise ignored).
      const placeholders = (n: number): Trial[] => Array.from({ length: n }, (_, i) => ({ assignment: { x: 0.999 - i / 1000 }, state: 'failed' as const }));
      without += spread([0, 1, 2, 3].map((i) => sampler.propose([...history, ...placeholders(i)], 1)[0]!.x as number));
    }
    // Measured: 1.79 against 0.50 (sums over the 20 seeds of the mean pairwise distance).
    expect(withLiar).toBeGreaterThan(without * 2);
  });

  it('ignores failed trials and counts pruned ones as bad', () => {
    const space: SearchSpace = { arm: choice(['a', 'b', 'c']), y: uniform(0, 1) };
    const rng = new Prng(5);
    const done: Trial[] = [];
    for (let i = 0; i < 6; i++) done.push({ assignment: { arm: i % 2 ? 'a' : 'b', y: rng.next() }, state: 'done', objective: i % 2 ? 1 : 2 });
    const others = (state: 'pruned' | 'failed'): Trial[] => Array.from({ length: 6 }, () => ({ assignment: { arm: 'c', y: rng.next() }, state }));
    const shareOfC = (history: Trial[]) => {
      let c = 0;
      for (let seed = 1; seed <= 200; seed++) if (new TpeSampler({ space, seed, nStartupTrials: 4 }).propose(history, 1)[0]!.arm === 'c') c++;
      return c / 200;
    };
    // 'c' was only tried by trials that failed: TPE knows nothing of it and keeps trying it now and then.
    const afterFailures = shareOfC([...done, ...others('failed')]);
    // 'c' was only tried by trials that were pruned: it is bad, and proposed less often.
    const afterPruning = shareOfC([...done, ...others('pruned')]);
    expect(afterFailures).toBeGreaterThan(0.1);
    expect(afterPruning).toBeLessThan(afterFailures / 2);
  });
});

describe('truncated Parzen mixture', () => {
  it('integrates to one over its interval and samples inside it', () => {
    const d = new TruncatedMixture([0.1, 0.15, 0.9], [1, 1, 1], 0, 1, 1);
    let integral = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) integral += Math.exp(d.logPdf((i + 0.5) / n)) / n;
    expect(integral).toBeCloseTo(1, 3);
    const rng = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const x = d.sample(rng);
      expect(x >= 0 && x <= 1).toBe(true);
    }
  });
});
