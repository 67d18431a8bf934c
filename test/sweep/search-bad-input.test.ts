// A bad adaptive search is a located error (file:line:col, exit 2, a did-you-mean where one fits)
// from both plan and run, and nothing runs or is written. Through the compiled CLI.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executed, searchProject, searchRecipe } from './search-helpers.js';

interface Case { name: string; edit: (recipe: string) => string; args?: string[]; location: string; expect: RegExp[] }

const CASES: Case[] = [
  {
    name: 'an objective metric the stage does not record', edit: (r) => r.replace('train/loss', 'train/los'),
    location: 's.yaml:10:32', expect: [/stage 'train' does not record a metric 'los'; did you mean 'loss'\?/, /at key: sweep\.search\.objective\.metric/, /train records: loss/],
  },
  {
    name: 'an objective stage the recipe does not have', edit: (r) => r.replace('train/loss', 'trian/loss'),
    location: 's.yaml:10:26', expect: [/the objective names stage 'trian', which the recipe does not have; did you mean 'train'\?/],
  },
  {
    name: 'an unknown direction', edit: (r) => r.replace('minimize', 'minimise'),
    location: 's.yaml:10:49', expect: [/expected one of "maximize", "minimize", got string "minimise"/, /did you mean 'minimize'\?/],
  },
  {
    name: 'a budget below 1', edit: (r) => r.replace('budget: 4', 'budget: 0'),
    location: 's.yaml:11:13', expect: [/expected an integer ≥ 1, got number 0/, /at key: sweep\.search\.budget/],
  },
  {
    name: 'a search without an objective', edit: (r) => r.replace(/ {4}objective:.*\n/, ''),
    location: 's.yaml:8:3', expect: [/missing required key 'objective'/, /at key: sweep\.search/],
  },
  {
    name: 'a space key that names no stage', edit: (r) => r.replace('stages.train.params.lr:', 'stages.trian.params.lr:'),
    location: 's.yaml:14:7', expect: [/unknown stage 'trian'/, /did you mean 'train'\?/],
  },
  {
    name: 'a space key that names no param', edit: (r) => r.replace('stages.train.params.momentum:', 'stages.train.params.momentun:'),
    location: 's.yaml:15:7', expect: [/unknown param 'momentun' of stage 'train'/, /did you mean 'momentum'\?/],
  },
  {
    name: 'an empty dimension', edit: (r) => r.replace('uniform(0, 1)', 'uniform(1, 0)'),
    location: 's.yaml:15:37', expect: [/uniform needs lo < hi, got lo 1 ≥ hi 0/],
  },
  {
    name: 'a search crossed with a grid', edit: (r) => r + '  grid:\n    stages.train.params.offset: [0, 1]\n',
    location: 's.yaml:8:3', expect: [/sweep\.search cannot be combined with sweep\.grid/],
  },
  {
    name: 'a search with -m', edit: (r) => r, args: ['-m', '-S', 'stages.train.params.offset=0,1'],
    location: '<command line>:1:1', expect: [/-m\/--sweep adds grid axes, which an adaptive search \(sweep\.search\) cannot be crossed with/],
  },
];

describe('bad adaptive searches', () => {
  it.each(CASES)('$name: located, exit 2, nothing written', async (c) => {
    const p = searchProject();
    p.write('s.yaml', c.edit(searchRecipe({ budget: 4 })));
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
