// Bad sweeps are located errors: file:line:col, the key path, what was expected, a did-you-mean;
// exit 2, and nothing runs or is written (no runs folder). Through the compiled CLI.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from '../e2e/harness.js';

const BASE = `vars:
  seed: 1
stages:
  data: { plugin: ./plugins/count }
  train: { plugin: ./plugins/count, inputs: { in: "\${stages.data.outputs.out}" } }
`;

interface Case { name: string; sweep?: string; args?: string[]; location: string; expect: RegExp[] }

const CASES: Case[] = [
  {
    name: 'an unknown sweep key', sweep: 'sweep:\n  gird:\n    vars.seed: [1, 2]\n',
    location: 's.yaml:7:3', expect: [/unknown key 'gird' in sweep/, /at key: sweep\.gird/, /did you mean 'grid'\?/],
  },
  {
    name: 'an unknown stage in a sweep path', sweep: 'sweep:\n  grid:\n    stages.trian.params.value: [1, 2]\n',
    location: 's.yaml:8:5', expect: [/unknown stage 'trian'/, /did you mean 'train'\?/],
  },
  {
    name: 'an unknown param in a sweep path', sweep: 'sweep:\n  grid:\n    stages.train.params.valeu: [1, 2]\n',
    location: 's.yaml:8:5', expect: [/unknown param 'valeu' of stage 'train'/, /did you mean 'value'\?/],
  },
  {
    name: 'an unknown variable in a variant', sweep: 'sweep:\n  variants:\n    - name: a\n      set: { vars.sed: 2 }\n',
    location: 's.yaml:9:14', expect: [/unknown variable 'vars\.sed'/, /did you mean 'seed'\?/],
  },
  {
    name: 'an empty axis', sweep: 'sweep:\n  grid:\n    vars.seed: []\n',
    location: 's.yaml:8:16', expect: [/expected a list of at least 1 item, got an empty list/, /at key: sweep\.grid\["vars\.seed"\]/],
  },
  {
    name: 'a budget below 1', sweep: 'sweep:\n  random:\n    budget: 0\n    space: { vars.seed: "int(1, 5)" }\n',
    location: 's.yaml:8:13', expect: [/expected an integer ≥ 1, got number 0/, /at key: sweep\.random\.budget/],
  },
  {
    name: 'a range with step 0', sweep: 'sweep:\n  grid:\n    vars.seed: range(1, 5, 0)\n',
    location: 's.yaml:8:16', expect: [/range step is 0/, /expected a step other than 0/],
  },
  {
    name: 'a value the param does not take', sweep: 'sweep:\n  grid:\n    stages.train.params.sleepMs: [10, -5]\n',
    location: 's.yaml:8:39', expect: [/expected an integer ≥ 0, got number -5/, /in trial sleepMs=-5/],
  },
  {
    name: '-m without a comma list', args: ['-m', '-S', 'vars.seed=2'],
    location: '<command line>:1:1', expect: [/-m\/--sweep makes the comma lists of -S values sweep axes, but no -S value is a comma list/, /expected e\.g\. -m -S vars\.seed=1,2,3/],
  },
  {
    name: 'a range with step 0 on the command line', args: ['-m', '-S', 'vars.seed=range(1,5,0)'],
    location: '<command line>:1:14', expect: [/range step is 0/],
  },
  {
    name: 'an unknown path on the command line', args: ['-m', '-S', 'vars.sede=1,2'],
    location: '<command line>:1:4', expect: [/unknown variable 'vars\.sede'/, /did you mean 'seed'\?/],
  },
];

describe('bad sweeps', () => {
  it.each(CASES)('$name: located, exit 2, nothing written', async (c) => {
    const p = new Project();
    p.write('s.yaml', BASE + (c.sweep ?? ''));
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
