// Through the CLI: TPE reaches a better objective than random search for the same budget, on the
// objective plugin's loss (minimum 0 at lr = 10^-2.5, momentum = 0.7), averaged over seeds 1, 2, 3.
// One trial in flight, so each search is reproducible; and each proposes exactly what the sampler
// library proposes when fed the same losses in-process (the CLI adds no noise of its own).
//
// Budget: 40. A first version of this test used 20 and failed (mean best loss over seeds 1–3:
// TPE 0.0916, random 0.0347): with 10 random start-up trials, TPE has 10 guided ones at 20, and
// in-process over seeds 1–20 it is no better than random there (0.0773 against 0.0710), while at 40
// it is (0.0105 against 0.0415). Figures through the CLI at 40: see the report and the test output.
import { describe, expect, it } from 'vitest';
import { roundAssignment } from '../../src/sweep/adaptive/prepare-search.js';
import { RandomSampler } from '../../src/sweep/search/random-search.js';
import type { Trial } from '../../src/sweep/search/sampler.js';
import { loguniform, uniform, type Assignment } from '../../src/sweep/search/space.js';
import { TpeSampler } from '../../src/sweep/search/tpe.js';
import { readLog, searchProject, searchRecipe } from './search-helpers.js';

const SEEDS = [1, 2, 3];
const BUDGET = 40;
const LR = 'stages.train.params.lr';
const MOMENTUM = 'stages.train.params.momentum';
const SPACE = { [LR]: loguniform(1e-5, 1), [MOMENTUM]: uniform(0, 1) };
const loss = (a: Assignment) => (Math.log10(a[LR] as number) + 2.5) ** 2 + ((a[MOMENTUM] as number) - 0.7) ** 2;

type Kind = 'tpe' | 'random';

/** The trials the library proposes when each is scored at once with the plugin's loss. */
function inProcess(kind: Kind, seed: number): Assignment[] {
  const options = { space: SPACE, seed, direction: 'minimize' as const, budget: BUDGET };
  const sampler = kind === 'tpe' ? new TpeSampler(options) : new RandomSampler(options);
  const history: Trial[] = [];
  for (let [next] = sampler.propose(history, 1); next; [next] = sampler.propose(history, 1)) {
    const assignment = roundAssignment(SPACE, next);
    history.push({ assignment, state: 'done', objective: loss(assignment) });
  }
  return history.map((t) => t.assignment);
}

async function search(kind: Kind, seed: number): Promise<{ best: number; trials: Assignment[] }> {
  const p = searchProject();
  p.write('s.yaml', searchRecipe({ sampler: kind, budget: BUDGET, seed, parallel: 1, shared: false }));
  const r = await p.run(['run', 's.yaml', '--no-track', '--plain', '--quiet', '-j', '1']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const log = readLog(p);
  expect(log.trials.map((t) => t.state)).toEqual(Array(BUDGET).fill('done'));
  return { best: Math.min(...log.trials.map((t) => t.objective!)), trials: log.trials.map((t) => t.assignment) };
}

describe('adaptive search through retort run', () => {
  it(`TPE finds a lower loss than random search in ${BUDGET} trials, on average over seeds ${SEEDS.join(', ')}`, async () => {
    const cases = SEEDS.flatMap((seed) => (['tpe', 'random'] as const).map((kind) => ({ kind, seed })));
    const results = await Promise.all(cases.map((c) => search(c.kind, c.seed)));
    cases.forEach((c, i) => expect(results[i]!.trials, `${c.kind}, seed ${c.seed}`).toEqual(inProcess(c.kind, c.seed)));
    const bests = (kind: Kind) => cases.map((c, i) => ({ c, best: results[i]!.best })).filter((x) => x.c.kind === kind).map((x) => x.best);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [tpe, random] = [bests('tpe'), bests('random')];
    console.log(`best loss per seed ${SEEDS.join(', ')}: tpe ${tpe.map((x) => x.toFixed(4)).join(', ')}; random ${random.map((x) => x.toFixed(4)).join(', ')}`);
    console.log(`mean best loss over ${SEEDS.length} seeds, budget ${BUDGET}: tpe ${mean(tpe).toFixed(4)}, random ${mean(random).toFixed(4)}`);
    expect(mean(tpe)).toBeLessThan(mean(random));
  }, 400_000);
});
