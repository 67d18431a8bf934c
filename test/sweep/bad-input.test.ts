// Bad sweeps and bad adaptive searches, in one table: located errors (file:line:col, the key path,
// what was expected, a did-you-mean where one fits) from both plan and run; exit 2, and nothing
// runs or is written (no runs folder). Through the compiled CLI.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executed, searchProject, searchRecipe } from './search-helpers.js';

const BASE = `vars:
  seed: 1
stages:
  data: { plugin: ./plugins/count }
  train: { plugin: ./plugins/count, inputs: { in: "\${stages.data.outputs.out}" } }
`;
/** A grid sweep: the count recipe with this sweep block (and report) after it. */
const grid = (tail: string) => BASE + tail;
/** An adaptive search: the objective recipe, edited. */
const search = (edit: (recipe: string) => string) => edit(searchRecipe({ budget: 4 }));

interface Case { name: string; recipe: string; args?: string[]; location: string; expect: RegExp[] }

const CASES: Case[] = [
  {
    name: 'an unknown sweep key', recipe: grid('sweep:\n  gird:\n    vars.seed: [1, 2]\n'),
    location: 's.yaml:7:3', expect: [/unknown key 'gird' in sweep/, /at key: sweep\.gird/, /did you mean 'grid'\?/],
  },
  {
    name: 'an unknown stage in a sweep path', recipe: grid('sweep:\n  grid:\n    stages.trian.params.value: [1, 2]\n'),
    location: 's.yaml:8:5', expect: [/unknown stage 'trian'/, /did you mean 'train'\?/],
  },
  {
    name: 'an unknown param in a sweep path', recipe: grid('sweep:\n  grid:\n    stages.train.params.valeu: [1, 2]\n'),
    location: 's.yaml:8:5', expect: [/unknown param 'valeu' of stage 'train'/, /did you mean 'value'\?/],
  },
  {
    name: 'an unknown variable in a variant', recipe: grid('sweep:\n  variants:\n    - name: a\n      set: { vars.sed: 2 }\n'),
    location: 's.yaml:9:14', expect: [/unknown variable 'vars\.sed'/, /did you mean 'seed'\?/],
  },
  {
    name: 'an empty axis', recipe: grid('sweep:\n  grid:\n    vars.seed: []\n'),
    location: 's.yaml:8:16', expect: [/expected a list of at least 1 item, got an empty list/, /at key: sweep\.grid\["vars\.seed"\]/],
  },
  {
    name: 'a budget below 1', recipe: grid('sweep:\n  random:\n    budget: 0\n    space: { vars.seed: "int(1, 5)" }\n'),
    location: 's.yaml:8:13', expect: [/expected an integer ≥ 1, got number 0/, /at key: sweep\.random\.budget/],
  },
  {
    name: 'a range with step 0', recipe: grid('sweep:\n  grid:\n    vars.seed: range(1, 5, 0)\n'),
    location: 's.yaml:8:16', expect: [/range step is 0/, /expected a step other than 0/],
  },
  {
    name: 'a value the param does not take', recipe: grid('sweep:\n  grid:\n    stages.train.params.sleepMs: [10, -5]\n'),
    location: 's.yaml:8:39', expect: [/expected an integer ≥ 0, got number -5/, /in trial sleepMs=-5/],
  },
  {
    name: '-m without a comma list', recipe: grid(''), args: ['-m', '-S', 'vars.seed=2'],
    location: '<command line>:1:1', expect: [/-m\/--sweep makes the comma lists of -S values sweep axes, but no -S value is a comma list/, /expected e\.g\. -m -S vars\.seed=1,2,3/],
  },
  {
    name: 'a range with step 0 on the command line', recipe: grid(''), args: ['-m', '-S', 'vars.seed=range(1,5,0)'],
    location: '<command line>:1:14', expect: [/range step is 0/],
  },
  {
    name: 'an unknown path on the command line', recipe: grid(''), args: ['-m', '-S', 'vars.sede=1,2'],
    location: '<command line>:1:4', expect: [/unknown variable 'vars\.sede'/, /did you mean 'seed'\?/],
  },
  {
    name: 'tables that depend on a swept value', recipe: grid('report:\n  tables:\n    - { title: "seed ${vars.seed}", stage: train, metrics: [total] }\nsweep:\n  grid:\n    vars.seed: [1, 2]\n'),
    location: 's.yaml:11:20', expect: [/report\.tables differs between trials seed=1 and seed=2 \(it depends on 'vars\.seed'\)/, /expected tables that are the same in every trial/],
  },
  {
    name: 'search: an objective metric the stage does not record', recipe: search((r) => r.replace('train/loss', 'train/los')),
    location: 's.yaml:10:32', expect: [/stage 'train' does not record a metric 'los'; did you mean 'loss'\?/, /at key: sweep\.search\.objective\.metric/, /train records: loss/],
  },
  {
    name: 'search: an objective stage the recipe does not have', recipe: search((r) => r.replace('train/loss', 'trian/loss')),
    location: 's.yaml:10:26', expect: [/the objective names stage 'trian', which the recipe does not have; did you mean 'train'\?/],
  },
  {
    name: 'search: an unknown direction', recipe: search((r) => r.replace('minimize', 'minimise')),
    location: 's.yaml:10:49', expect: [/expected one of "maximize", "minimize", got string "minimise"/, /did you mean 'minimize'\?/],
  },
  {
    name: 'search: a budget below 1', recipe: search((r) => r.replace('budget: 4', 'budget: 0')),
    location: 's.yaml:11:13', expect: [/expected an integer ≥ 1, got number 0/, /at key: sweep\.search\.budget/],
  },
  {
    name: 'search: no objective', recipe: search((r) => r.replace(/ {4}objective:.*\n/, '')),
    location: 's.yaml:8:3', expect: [/missing required key 'objective'/, /at key: sweep\.search/],
  },
  {
    name: 'search: a space key that names no stage', recipe: search((r) => r.replace('stages.train.params.lr:', 'stages.trian.params.lr:')),
    location: 's.yaml:14:7', expect: [/unknown stage 'trian'/, /did you mean 'train'\?/],
  },
  {
    name: 'search: a space key that names no param', recipe: search((r) => r.replace('stages.train.params.momentum:', 'stages.train.params.momentun:')),
    location: 's.yaml:15:7', expect: [/unknown param 'momentun' of stage 'train'/, /did you mean 'momentum'\?/],
  },
  {
    name: 'search: an empty dimension', recipe: search((r) => r.replace('uniform(0, 1)', 'uniform(1, 0)')),
    location: 's.yaml:15:37', expect: [/uniform needs lo < hi, got lo 1 ≥ hi 0/],
  },
  {
    name: 'search: crossed with a grid', recipe: search((r) => r + '  grid:\n    stages.train.params.offset: [0, 1]\n'),
    location: 's.yaml:8:3', expect: [/sweep\.search cannot be combined with sweep\.grid/],
  },
  {
    name: 'search: with -m', recipe: search((r) => r), args: ['-m', '-S', 'stages.train.params.offset=0,1'],
    location: '<command line>:1:1', expect: [/-m\/--sweep adds grid axes, which an adaptive search \(sweep\.search\) cannot be crossed with/],
  },
];

describe('bad sweeps and searches', () => {
  it.each(CASES)('$name: located, exit 2, nothing written', async (c) => {
    const p = searchProject();
    p.write('s.yaml', c.recipe);
    const [planned, ran] = await Promise.all([
      p.run(['plan', 's.yaml', ...(c.args ?? [])]),
      p.run(['run', 's.yaml', '--no-track', ...(c.args ?? [])]),
    ]);
    for (const r of [planned, ran]) {
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr.startsWith(`${c.location}: error: `), r.stderr).toBe(true);
      for (const re of c.expect) expect(r.stderr).toMatch(re);
      expect(r.stderr).toMatch(/nothing was run/);
    }
    expect(p.executions()).toEqual([]);
    expect(existsSync(join(p.dir, 'runs'))).toBe(false);
  }, 60_000);
});

describe('an objective metric the plugin does not declare and its node does not record', () => {
  it('fails the first trial, naming what the node recorded, and proposes no more', async () => {
    const p = searchProject();
    // The count plugin declares no metrics: its objective can only be checked once a node has run.
    p.write('s.yaml', searchRecipe({ budget: 4, parallel: 1 }).replace('train/loss', 'data/totl'));
    const r = await p.run(['run', 's.yaml', '--no-track', '--plain', '-j', '1']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/error: the search stopped: data recorded no metric 'totl'; did you mean 'total'\? \(recorded: total, curve\); every trial would fail the same way/);
    expect(r.stdout).toMatch(/1 of 4 trials \(0 done, 0 pruned, 1 failed\)/);
    expect(executed(p, 'train')).toHaveLength(1);
  }, 60_000);
});
