// recipes/negative-distillation.yaml end to end through the CLI on a tiny configuration: every
// stage runs, the accuracy table has a row per method, and the same seed in a fresh store gives
// the same tables. Needs the compiled CLI (npx tsc -p tsconfig.json).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../e2e/harness.js';

const RECIPE = join(ROOT, 'recipes', 'negative-distillation.yaml');
const TINY = [
  ['vars.pretrainSteps', '2'], ['vars.steps', '2'], ['vars.maxEval', '2'],
  ['stages.suite.params.trainSize', '12'], ['stages.suite.params.testSize', '4'],
  ['stages.base.params.corpusSize', '30'], ['stages.base.params.hiddenSize', '16'], ['stages.base.params.numHeads', '2'],
  ['stages.student.params.maxNew', '4'], ['stages.student.params.unitDim', '4'],
  ['vars.rankerSteps', '2'], ['vars.ascSamples', '2'], ['stages.vote.params.maxNew', '4'],
  ['stages.nce.params.maxNew', '4'], ['stages.nce.params.augmentQuestions', '2'],
  ['vars.methods', '[base, few-shot, cot-kd, nt, nat]'], ['vars.studentSeed', '1'], // one student seed: the sweep fixed to one trial
].flatMap(([k, v]) => ['-S', `${k}=${v}`]);

/** The report: everything from the first table heading on. */
const tables = (stdout: string) => stdout.slice(stdout.indexOf('### '));

describe('negative-distillation recipe (end to end)', () => {
  it('runs every stage, reports every method, and repeats its tables for the same seed', async () => {
    const first = new Project('retort-nat-e2e-');
    const res = await first.run(['run', RECIPE, '--quiet', '--plain', '--no-track', ...TINY]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('12 ran, 0 cached, 0 failed');
    for (const method of ['base', 'few-shot', 'cot-kd', 'nt', 'nat', 'nce', 'kd']) expect(res.stdout).toMatch(new RegExp(`^\\| ${method}\\s+\\|( +[\\d.]+[^|]*\\(n=1\\) \\|){5}$`, 'm'));
    expect(res.stdout).toMatch(/^\| samples \|\s+12\.00 \|\s+96\.00 \|/m); // 12 questions × 8 samples

    const second = new Project('retort-nat-e2e-');
    const again = await second.run(['run', RECIPE, '--quiet', '--plain', '--no-track', ...TINY]);
    expect(again.code, again.stderr).toBe(0);
    expect(tables(again.stdout)).toBe(tables(res.stdout));
  }, 600_000);
});
