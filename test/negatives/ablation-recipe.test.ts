// The negatives ablation end to end through the CLI on a tiny configuration: two strategies, a few
// SQuAD questions, two training steps. Every stage runs and each table has a row per strategy.
// Needs the shared SQuAD folder (fails under CI=true when it is missing). Run `npx tsc -p tsconfig.json` first.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../e2e/harness.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';

const RECIPE = join(ROOT, 'recipes', 'negatives-ablation.yaml');
const TINY = [
  '-S', 'vars.testQueries=12',
  '-S', 'vars.strategies=[{name: random, strategy: random, window: {start: 3}, simans: {a: 0.5}, softLabel: {}}, {name: simans, strategy: simans, window: {start: 3}, simans: {a: 0.5, b: -1}, softLabel: {}}]',
  '-S', 'stages.dense.params.steps=2',
  '-S', 'stages.scores.params.maxQueriesPerTask=2',
  '-S', 'stages.tasks.params.maxTrain=30',
  '-S', 'stages.tasks.params.maxTest=5',
];

describe.skipIf(SKIP_WITHOUT_SHARED)('negatives ablation recipe (end to end)', () => {
  it('runs every stage and reports a row per strategy in each table', async () => {
    const p = new Project();
    const res = await p.run(['run', RECIPE, '--plain', '--no-track', ...TINY], { RETORT_SQUAD_DIR: join(SHARED_TASKS, 'squad_v1') });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('0 failed');
    for (const title of ['Dense retriever on SQuAD', 'What each strategy chose (SQuAD', 'What each strategy chose (built-in suite']) {
      const table = res.stdout.slice(res.stdout.indexOf(title));
      expect(table).toMatch(/\| random\s+\|\s+-?[\d.]+ \|/);
      expect(table).toMatch(/\| simans\s+\|\s+-?[\d.]+ \|/);
    }
  }, 300_000);
});
