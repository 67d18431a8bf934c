import { describe, expect, it } from 'vitest';
import { MedianPruner, type Trial } from '../../src/sweep/search/index.js';

/** A trial that reported `values` at steps 1, 2, … */
const trial = (state: Trial['state'], values: number[]): Trial => ({
  assignment: {},
  state,
  intermediate: values.map((value, i) => ({ step: i + 1, value })),
  ...(state === 'done' ? { objective: values[values.length - 1] } : {}),
});

// Five completed trials; at step 2 their losses are 0.5, 0.6, 0.7, 0.8, 0.9 (median 0.7).
const COMPLETED = [[0.9, 0.5, 0.4], [0.9, 0.6, 0.5], [1.0, 0.7, 0.6], [1.1, 0.8, 0.7], [1.2, 0.9, 0.8]].map((v) => trial('done', v));

describe('median stopping rule', () => {
  const pruner = new MedianPruner({ nStartupTrials: 5 });

  it('prunes a trial whose best value is worse than the median at its step', () => {
    const slow = trial('running', [1.0, 0.75]);
    const decision = pruner.decide(slow, [...COMPLETED, slow]);
    expect(decision.prune).toBe(true);
    expect(decision.reason).toBe('best value 0.75 at step 2 is worse than the median 0.7 of 5 completed trials');
  });

  it('keeps a trial at or better than the median, judging by its best value so far', () => {
    expect(pruner.decide(trial('running', [1.0, 0.7]), COMPLETED).prune).toBe(false);
    // Worse at step 2 than the median, but its best (step 1) beats it.
    expect(pruner.decide(trial('running', [0.65, 0.95]), COMPLETED).prune).toBe(false);
  });

  it('waits for its startup trials, counting only completed ones', () => {
    const few = COMPLETED.slice(0, 4);
    const others = [trial('running', [0.1, 0.1]), trial('pruned', [0.1]), trial('failed', [0.1, 0.1])];
    const d = pruner.decide(trial('running', [5, 5]), [...few, ...others]);
    expect(d).toEqual({ prune: false, reason: '4 of 5 startup trials completed' });
  });

  it('does not prune during warm-up steps', () => {
    const warm = new MedianPruner({ nStartupTrials: 5, nWarmupSteps: 3 });
    expect(warm.decide(trial('running', [5, 5]), COMPLETED).prune).toBe(false);
    expect(warm.decide(trial('running', [5, 5, 5]), COMPLETED).prune).toBe(true);
  });

  it('does not prune at a step no completed trial reached', () => {
    const long = trial('running', [5, 5, 5, 5]);
    expect(pruner.decide(long, COMPLETED)).toEqual({ prune: false, reason: 'no completed trial reported step 4' });
  });

  it('keeps a trial that reported nothing yet, and prunes one that diverged', () => {
    expect(pruner.decide({ assignment: {}, state: 'running' }, COMPLETED).prune).toBe(false);
    expect(pruner.decide(trial('running', [NaN, Infinity]), COMPLETED).prune).toBe(true);
  });

  it('maximizes when asked: higher values are better', () => {
    const up = new MedianPruner({ direction: 'maximize', nStartupTrials: 5 });
    // Accuracies at step 2: 0.5 … 0.9, median 0.7.
    expect(up.decide(trial('running', [0.2, 0.6]), COMPLETED).prune).toBe(true);
    expect(up.decide(trial('running', [0.2, 0.8]), COMPLETED).prune).toBe(false);
    expect(up.decide(trial('running', [0.2, 0.6]), COMPLETED).reason).toContain('best value 0.6 at step 2 is worse than the median 0.7');
  });

  it('takes the median of an even number of trials as the mean of the middle two', () => {
    const four = COMPLETED.slice(0, 4); // 0.5, 0.6, 0.7, 0.8 at step 2: median 0.65
    const p = new MedianPruner({ nStartupTrials: 4 });
    expect(p.decide(trial('running', [1, 0.66]), four).prune).toBe(true);
    expect(p.decide(trial('running', [1, 0.64]), four).prune).toBe(false);
  });
});
