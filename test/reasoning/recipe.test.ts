// recipes/negative-distillation.yaml end to end through the CLI on a tiny configuration: the ASC
// block alone (`--target vote`) runs the vote stage and what it needs and prints Table 3 with a row
// per split and voting rule; the rest of the recipe then runs on top of it; every table has a row
// per method; and the same seed in a fresh store gives the same tables. One test, so that the
// shared stages run once per store. Needs the compiled CLI (npx tsc -p tsconfig.json).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../e2e/harness.js';

const RECIPE = join(ROOT, 'recipes', 'negative-distillation.yaml');
const TINY = [
  ['vars.pretrainSteps', '2'], ['vars.steps', '2'], ['vars.maxEval', '2'],
  ['stages.suite.params.trainSize', '12'], ['stages.suite.params.testSize', '4'],
  ['stages.base.params.corpusSize', '30'], ['stages.base.params.hiddenSize', '16'], ['stages.base.params.numHeads', '2'],
  ['stages.student.params.maxNew', '4'], ['stages.student.params.unitDim', '4'],
  ['vars.rankerSteps', '2'], ['vars.ascSamples', '4'], ['stages.vote.params.maxNew', '8'],
  ['stages.ranker.params.hiddenSize', '16'], ['stages.ranker.params.numLayers', '1'], ['stages.ranker.params.vocabSize', '200'],
  ['stages.nce.params.maxNew', '4'], ['stages.nce.params.augmentQuestions', '2'],
  ['vars.methods', '[base, few-shot, cot-kd, nt, nat]'], ['vars.studentSeed', '1'], // one student seed: the sweep fixed to one trial
].flatMap(([k, v]) => ['-S', `${k}=${v}`]);
const run = (p: Project, ...extra: string[]) => p.run(['run', RECIPE, ...extra, '--quiet', '--plain', '--no-track', ...TINY]);

/** The report: everything from the first table heading on. */
const tables = (stdout: string) => stdout.slice(stdout.indexOf('### '));

/** Table 3 of the report. */
const table3 = (stdout: string) => {
  const at = stdout.indexOf('### Table 3');
  const next = stdout.indexOf('### ', at + 4);
  return stdout.slice(at, next < 0 ? undefined : next);
};

describe('negative-distillation recipe (end to end)', () => {
  it('runs the ASC block alone, then every stage, reports every method and voting rule, and repeats its tables for the same seed', async () => {
    const first = new Project('retort-nat-e2e-');
    const asc = await run(first, '--target', 'vote');
    expect(asc.code, asc.stdout + asc.stderr).toBe(0);
    expect(asc.stdout).toContain('5 ran, 0 cached, 0 failed'); // suite, samples, base, ranker, vote
    const table = table3(asc.stdout);
    expect(table).toContain('### Table 3: ASC vs SC vs WS (N = 16)');
    for (const split of ['test', 'ood-templates', 'ood-numbers', 'ood-distractors', 'average']) {
      for (const rule of ['greedy', 'sc', 'ws', 'asc']) expect(table).toMatch(new RegExp(`^\\| ${split}/${rule}\\s+\\|\\s+[\\d.]+ \\|$`, 'm'));
    }

    const res = await run(first);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('7 ran, 5 cached, 0 failed'); // the students and NCE/KD on top of the ASC block's stages
    for (const method of ['base', 'few-shot', 'cot-kd', 'nt', 'nat', 'nce', 'kd']) expect(res.stdout).toMatch(new RegExp(`^\\| ${method}\\s+\\|( +[\\d.]+[^|]*\\(n=1\\) \\|){5}$`, 'm'));
    expect(res.stdout).toMatch(/^\| samples \|\s+12\.00 \|\s+96\.00 \|/m); // 12 questions × 8 samples
    expect(table3(res.stdout)).toBe(table);

    const second = new Project('retort-nat-e2e-');
    const again = await run(second);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('12 ran, 0 cached, 0 failed');
    expect(tables(again.stdout)).toBe(tables(res.stdout));
  }, 600_000);
});
