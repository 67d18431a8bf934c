// Diagnostic: can the reward model learn to compare the query's label with the candidate's (the
// preference the LM's label penalty creates) at CPU scale? On a synthetic scores folder whose
// positives are exactly the candidates with the query's own label (test/llmr/reward-fixtures.ts,
// signal 'same-label'), the reward-model plugin is trained under a few settings and its held-out
// group accuracy printed beside chance. A setting that cannot learn this cannot learn the LM's
// preferences on classification tasks either.
//
//   npx vite-node bench/reward-label-agreement.ts [--steps 100] [--configs 'lr 2e-3, dropout 0.1;lr 2e-3, no dropout']

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import rewardPlugin, { type RewardModelParams } from '../plugins/reward-model/index.js';
import { buildRewardFixture } from '../test/llmr/reward-fixtures.js';
import { runPlugin } from '../test/plugins/ctx.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const steps = Number(arg('steps', '100'));
const CONFIGS: Record<string, Partial<RewardModelParams>> = {
  'lr 5e-4, dropout 0.1 (plugin default)': { lr: 5e-4, dropout: 0.1 },
  'lr 2e-3, dropout 0.1': { lr: 2e-3, dropout: 0.1 },
  'lr 2e-3, no dropout': { lr: 2e-3, dropout: 0 },
  'lr 2e-3, no dropout, 1 layer': { lr: 2e-3, dropout: 0, numLayers: 1 },
};
const configs = arg('configs', Object.keys(CONFIGS).join(';')).split(';').filter(Boolean).map((name) => {
  const config = CONFIGS[name];
  if (config === undefined) throw new Error(`--configs: no setting named "${name}" (have: ${Object.keys(CONFIGS).join('; ')})`);
  return [name, config] as const;
});
/** The fields of the plugin's model/metrics.json this bench prints. */
interface RewardMetrics { heldout_group_accuracy: number; heldout_pairwise_accuracy: number; chance_group_accuracy: number; lastLoss: number }


const root = await mkdtemp(join(tmpdir(), 'retort-bench-label-agreement-'));
try {
  const fx = await buildRewardFixture(root, { trainSize: 120, vocabSize: 400, signal: 'same-label' });
  console.log(`synthetic same-label teacher, ${steps} steps of 8 queries × 8 candidates, hidden 64, maxLength 48`);
  console.log('| setting | held-out group acc | pairwise | chance | last loss | time |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, config] of configs) {
    const began = performance.now();
    const run = await runPlugin(rewardPlugin, join(root, name.replace(/\W+/g, '-')), { ...config, steps, maxLength: 48, heldOutFraction: 0.2 }, { tasks: fx.tasks, scores: fx.scores, tokenizer: fx.tokenizer });
    const m = JSON.parse(await readFile(join(run.outDir, 'model', 'metrics.json'), 'utf8')) as RewardMetrics;
    console.log(`| ${name} | ${m.heldout_group_accuracy.toFixed(3)} | ${m.heldout_pairwise_accuracy.toFixed(3)} | ${m.chance_group_accuracy.toFixed(3)} | ${m.lastLoss.toFixed(3)} | ${((performance.now() - began) / 1000).toFixed(0)} s |`);
  }
  console.log('(shared, loaded 2-core machine: times are loaded-machine times)');
} finally {
  await rm(root, { recursive: true, force: true });
}
