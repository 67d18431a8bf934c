// The negatives ablation end to end through the CLI on a tiny configuration: two strategies on
// SQuAD, two LLM-R retrievers on the suite (LLM-R's bottom-k and a window that re-mines from its
// own index), a few questions and training steps. Every stage runs and each table has a row per
// strategy; the in-context table has the categories and the average as columns; the SQuAD
// retrievers started from the pretrained encoder have their table, controls included.
// Needs the shared SQuAD folder (fails under CI=true when it is missing). Run `npx tsc -p tsconfig.json` first.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from './harness.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';

const RECIPE = join(ROOT, 'recipes', 'negatives-ablation.yaml');
const TINY = [
  '-S', 'vars.testQueries=12',
  '-S', 'vars.strategies=[{name: random, strategy: random, window: {start: 3}, simans: {a: 0.5}, softLabel: {}}, {name: simans, strategy: simans, window: {start: 3}, simans: {a: 0.5, b: -1}, softLabel: {}}]',
  '-S', 'stages.dense.params.steps=2',
  '-S', 'stages.dense-init.params.steps=2',
  '-S', 'stages.dense-untrained-init.params.steps=2',
  '-S', 'stages.reading-tasks.params.maxTrain=30',
  '-S', 'vars.encoders=[{name: untrained, steps: 0}, {name: simcse, steps: 2}]',
  '-S', 'stages.scores.params.maxQueriesPerTask=2',
  '-S', 'stages.tasks.params.maxTrain=30',
  '-S', 'stages.tasks.params.maxTest=5',
  // Four built-in tasks of four categories keep the suite side quick.
  '-S', 'stages.tasks.params.tasks=[gen_reviews, gen_nli_travel, gen_open_book, gen_headline]',
  '-S', 'vars.retrieverSteps=4',
  '-S', 'vars.iclStrategies=[{name: bottom-k, negatives: {strategy: bottom-k}, remine: {every: 0}}, {name: remined, negatives: {strategy: window, count: 4, window: {start: 3, end: 16}}, remine: {every: 2, depth: 20}}]',
];

describe.skipIf(SKIP_WITHOUT_SHARED)('negatives ablation recipe (end to end)', () => {
  it('runs every stage and reports a row per strategy in each table', async () => {
    const p = new Project();
    const res = await p.run(['run', RECIPE, '--plain', '--no-track', ...TINY], { RETORT_SQUAD_DIR: join(SHARED_TASKS, 'squad_v1'), RETORT_TASKS_DIR: SHARED_TASKS });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('0 failed');
    for (const title of ['Dense retriever on SQuAD', 'What each strategy chose (SQuAD', 'What each strategy chose (built-in suite']) {
      const table = res.stdout.slice(res.stdout.indexOf(title));
      expect(table).toMatch(/\| random\s+\|\s+-?[\d.]+ \|/);
      expect(table).toMatch(/\| simans\s+\|\s+-?[\d.]+ \|/);
    }
    const initStart = res.stdout.indexOf('Dense retriever on SQuAD started from the pretrained encoder');
    const init = res.stdout.slice(initStart, res.stdout.indexOf('\n### ', initStart));
    for (const row of ['pretrained, not fine-tuned', 'untrained init \\+ random negatives', 'random', 'simans']) expect(init).toMatch(new RegExp(`^\\| ${row}\\s+(\\|\\s+[\\d.]+ ){4}\\|$`, 'm'));
    const icl = res.stdout.slice(res.stdout.indexOf('In-context accuracy of the LLM-R retriever'));
    expect(icl).toMatch(/^\| name\s+\|.*\| average \|$/m);
    for (const row of ['BM25 \\(no training\\)', 'bottom-k', 'remined']) expect(icl).toMatch(new RegExp(`^\\| ${row}\\s+(\\|\\s+[\\d.]+ )+\\|$`, 'm'));
    const own = res.stdout.slice(res.stdout.indexOf('The retriever itself'));
    expect(own).toMatch(/^\| remined\s+(\|\s+[\d.]+ ){5}\|$/m);
  }, 600_000);
});
