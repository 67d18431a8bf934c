// recipes/llara.yaml end to end through the compiled CLI on a tiny configuration (a tiny generated
// passage corpus, a few steps per stage): every row of the table prints, and a re-run is
// all cache hits. recipes/llara-paper.yaml is accepted by `validate` and `plan`. Build first
// (npx tsc -p tsconfig.json).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../e2e/harness.js';

const ROWS = [
  'BM25', 'Base LM (last token) + fine-tuned', 'LLaRA (EBAE+EBAR), not fine-tuned', 'LLaRA (EBAE+EBAR) + fine-tuned',
  'EBAE only + fine-tuned', 'EBAR only + fine-tuned', 'Bidirectional encoder, same size, from scratch',
];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('recipes/llara.yaml', () => {
  it('runs on a tiny configuration and prints every row, then is cached', async () => {
    const p = new Project('retort-llara-e2e-');
    const args = [
      'run', join(ROOT, 'recipes', 'llara.yaml'), '--plain', '--no-track',
      ...Object.entries({ documents: 8, passagesPerDocument: 3, trainQueries: 12, testQueries: 6, topics: 2,
        zeroShotDocuments: 3, zeroShotQueries: 4, zeroShotTopics: 1 })
        .flatMap(([k, v]) => ['-S', `stages.passages.params.${k}=${v}`]),
      '-S', 'stages.mined.params.window.end=12', '-S', 'stages.base.params.steps=3', '-S', 'stages.base.params.vocabSize=450', '-S', 'stages.base.params.hiddenSize=16', '-S', 'stages.base.params.numLayers=1',
      '-S', 'stages.adapt.params.steps=2', '-S', 'stages.adapt.params.batchSize=4',
      '-S', 'stages.tune-adapted.params.steps=2', '-S', 'stages.tune-base.params.steps=2', '-S', 'stages.tune-bidirectional.params.steps=2',
    ];
    const res = await p.run(args);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('18 ran, 0 cached, 0 failed');
    for (const row of ROWS) expect(res.stdout).toMatch(new RegExp(`\\| ${escape(row)} +(\\| +(\\*\\*)?\\d\\.\\d{3} \\(n=1\\)(\\*\\*)? +){6}\\|`));
    const again = await p.run(args);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to do: every node was cached');
  }, 600_000);

  it('the paper-scale recipe is accepted by validate and plan', async () => {
    const p = new Project('retort-llara-paper-');
    const recipe = join(ROOT, 'recipes', 'llara-paper.yaml');
    const v = await p.run(['validate', recipe]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('ok (7 stages, 7 nodes)');
    const plan = await p.run(['plan', recipe]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    for (const stage of ['wiki', 'msmarco', 'zero-shot', 'adapt', 'finetune', 'eval', 'eval-bm25']) expect(plan.stdout).toMatch(new RegExp(`miss +${stage} `));
  }, 120_000);
});
