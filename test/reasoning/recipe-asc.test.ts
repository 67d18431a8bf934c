// The ASC block of recipes/negative-distillation.yaml end to end through the CLI on a tiny
// configuration: the vote stage and what it needs run, Table 3 has a row per split and voting
// rule, and the same seed in a fresh store gives the same table. Needs the compiled CLI
// (npx tsc -p tsconfig.json).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../e2e/harness.js';

const RECIPE = join(ROOT, 'recipes', 'negative-distillation.yaml');
const TINY = [
  ['vars.pretrainSteps', '2'], ['vars.rankerSteps', '2'], ['vars.maxEval', '2'], ['vars.ascSamples', '4'],
  ['stages.suite.params.trainSize', '12'], ['stages.suite.params.testSize', '4'],
  ['stages.base.params.corpusSize', '30'], ['stages.base.params.hiddenSize', '16'], ['stages.base.params.numHeads', '2'],
  ['stages.ranker.params.hiddenSize', '16'], ['stages.ranker.params.numLayers', '1'], ['stages.ranker.params.vocabSize', '200'],
  ['stages.vote.params.maxNew', '8'],
].flatMap(([k, v]) => ['-S', `${k}=${v}`]);

/** Table 3 of the report. */
const table3 = (stdout: string) => {
  const at = stdout.indexOf('### Table 3');
  const next = stdout.indexOf('### ', at + 4);
  return stdout.slice(at, next < 0 ? undefined : next);
};

describe('negative-distillation recipe, ASC block (end to end)', () => {
  it('trains the ranker, votes, prints Table 3 and repeats it for the same seed', async () => {
    const first = new Project('retort-asc-e2e-');
    const args = ['run', RECIPE, '--target', 'vote', '--quiet', '--plain', '--no-track', ...TINY];
    const res = await first.run(args);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('5 ran, 0 cached, 0 failed'); // suite, samples, base, ranker, vote
    const table = table3(res.stdout);
    expect(table).toContain('### Table 3: ASC vs SC vs WS (N = 16)');
    for (const split of ['test', 'ood-templates', 'ood-numbers', 'ood-distractors', 'average']) {
      for (const rule of ['greedy', 'sc', 'ws', 'asc']) expect(table).toMatch(new RegExp(`^\\| ${split}/${rule}\\s+\\|\\s+[\\d.]+ \\|$`, 'm'));
    }

    const second = new Project('retort-asc-e2e-');
    const again = await second.run(args);
    expect(again.code, again.stderr).toBe(0);
    expect(table3(again.stdout)).toBe(table);
  }, 600_000);
});
