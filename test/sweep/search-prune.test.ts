// The median rule through the CLI, on a constructed case: three trials near the optimum complete,
// then a hopeless one (lr = 1: its loss is 6.25 against about 0.05) reports its first step and is
// stopped there: its node is cancelled, nothing is published, and the search logs it as pruned.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { RandomSampler } from '../../src/sweep/search/random-search.js';
import { choice } from '../../src/sweep/search/space.js';
import { executed, readLog, searchProject } from './search-helpers.js';

const LR = 'stages.train.params.lr';
const VALUES = [0.003, 0.0031, 0.0032, 1];

/** The order random search proposes the four values in, for a seed. */
const order = (seed: number) => new RandomSampler({ space: { [LR]: choice(VALUES) }, seed, budget: 4 }).propose([], 4).map((a) => a[LR]);

const recipe = (seed: number) => `stages:
  train:
    plugin: ./plugins/objective
    params: { lr: 0.1, momentum: 0.7, steps: 3, stepMs: 1500 }
sweep:
  search:
    sampler: random
    objective: { metric: train/loss, direction: minimize }
    budget: 4
    seed: ${seed}
    parallel: 1
    space:
      ${LR}: choice(${VALUES.join(', ')})
    prune: { rule: median, startupTrials: 3 }
`;

describe('early stopping in an adaptive search', () => {
  it('stops a trial whose first report is worse than the median of the completed trials: cancelled, not published, logged as pruned', async () => {
    // A seed that proposes the hopeless value last, so three trials have completed when it reports.
    const seed = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].find((s) => order(s)[3] === 1)!;
    expect(order(seed)[3]).toBe(1);
    const p = searchProject();
    p.write('s.yaml', recipe(seed));
    const r = await p.run(['run', 's.yaml', '--no-track', '--plain', '-j', '1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const log = readLog(p);
    expect(log.trials.map((t) => [t.assignment[LR], t.state])).toEqual([...order(seed).slice(0, 3).map((v) => [v, 'done']), [1, 'pruned']]);
    const pruned = log.trials[3]!;
    expect(pruned.note).toMatch(/^best value 12\.5 at step 1 is worse than the median 0\.\d+ of 3 completed trials$/);
    expect(pruned.intermediate?.[0]).toEqual({ step: 1, value: 12.5 });
    expect(pruned.intermediate!.length).toBeLessThan(3);
    expect(r.stdout).toMatch(/trial 3 lr=1: pruned \(best value 12\.5 at step 1/);
    expect(r.stdout).toMatch(/4 of 4 trials \(3 done, 1 pruned, 0 failed\)/);
    expect(r.stdout).toMatch(/^–\s+3\s+1\s+–\s+pruned: best value 12\.5/m);
    // Its node started, and was stopped before it published anything.
    expect(executed(p, 'train').map((x) => x.lr)).toEqual(order(seed));
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    expect((await store.manifests({})).map((m) => m.stage)).toEqual(['train', 'train', 'train']);

    // A second run keeps the pruned trial as it is and runs nothing.
    p.resetExecutions();
    const again = await p.run(['run', 's.yaml', '--no-track', '--plain', '-j', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect(p.executions()).toEqual([]);
    expect(readLog(p).trials.map((t) => t.state)).toEqual(['done', 'done', 'done', 'pruned']);
  }, 180_000);
});
