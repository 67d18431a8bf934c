// Diagnostic: why does (or doesn't) the reward model learn the LM's preferences on the built-in
// suite? Builds the recipe's inputs (tasks, n-gram LM, BM25, WordPiece tokenizer, LM scores) with
// the plugins, then
//   1. shows one tokenised training pair and how often `maxLength` cuts the answer y off text A or
//      the candidate's y_i off text B (the label the LM's preference mostly hangs on);
//   2. prints what the groups look like: how far the positive's LM score is from the negatives';
//   3. trains the reward-model plugin under a few settings and prints held-out group and pairwise
//      accuracy beside BM25's and chance on the same held-out groups, and the time each took.
//
//   npx vite-node bench/reward-learning.ts [--queries 20] [--candidates 16] [--configs 'default;lr 2e-3']

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import bm25Plugin from '../plugins/bm25/index.js';
import llmScorePlugin from '../plugins/llm-score/index.js';
import ngramPlugin from '../plugins/ngram-lm/index.js';
import rewardPlugin, { type RewardModelParams } from '../plugins/reward-model/index.js';
import { joinScores, splitHeldOut } from '../plugins/reward-model/queries.js';
import { readScoresFolder } from '../plugins/reward-model/scores-file.js';
import tokenizerPlugin from '../plugins/tokenizer/index.js';
import { PAIR_TRUNCATION_SIDE } from '../src/lib/llmr/cross-encoder.js';
import { groupForStep } from '../src/lib/llmr/groups.js';
import { loadTokenizer } from '../src/lib/nn/tokenizer/core.js';
import { materializeTasks } from '../src/lib/tasks/materialize.js';
import { runPlugin, withDefaults } from '../test/plugins/ctx.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const queries = Number(arg('queries', '20'));
const candidates = Number(arg('candidates', '16'));

/** Named settings to compare; each is a partial override of the plugin's defaults. */
const CONFIGS: Record<string, Partial<RewardModelParams>> = {
  default: {},
  'lr 2e-3': { lr: 2e-3 },
  'lr 2e-3, no dropout': { lr: 2e-3, dropout: 0 },
  'lr 2e-3, no dropout, 1 layer': { lr: 2e-3, dropout: 0, numLayers: 1 },
  'lr 2e-3, no dropout, 200 steps': { lr: 2e-3, dropout: 0, steps: 200 },
};
const configs = arg('configs', Object.keys(CONFIGS).join(';')).split(';').filter(Boolean).map((name) => {
  const config = CONFIGS[name];
  if (config === undefined) throw new Error(`--configs: no setting named "${name}" (have: ${Object.keys(CONFIGS).join('; ')})`);
  return [name, config] as const;
});
/** The fields of the plugin's model/metrics.json this bench prints. */
interface RewardMetrics {
  heldout_group_accuracy: number; heldout_pairwise_accuracy: number; bm25_group_accuracy: number; bm25_pairwise_accuracy: number;
  chance_group_accuracy: number; lastLoss: number;
}


const root = await mkdtemp(join(tmpdir(), 'retort-bench-reward-learning-'));
try {
  const tasks = join(root, 'tasks');
  await materializeTasks(tasks, { source: { kind: 'builtin' }, seed: 1 });
  const lm = join((await runPlugin(ngramPlugin, join(root, 'lm'), { order: 4, lambda: 0.3 }, { tasks })).outDir, 'model');
  const bm25 = join((await runPlugin(bm25Plugin, join(root, 'bm25'), { topK: 100 }, { tasks })).outDir, 'candidates');
  const tokDir = join((await runPlugin(tokenizerPlugin, join(root, 'tok'), { vocabSize: 4000 }, { tasks })).outDir, 'tokenizer');
  const scores = join((await runPlugin(llmScorePlugin, join(root, 'scores'), { maxQueriesPerTask: queries, scoreTopk: candidates, seed: 1 }, { tasks, lm, candidates: bm25 })).outDir, 'scores');
  const defaults = withDefaults(rewardPlugin, {});

  // 1. Tokenised pairs and truncation.
  const tok = await loadTokenizer(join(tokDir, 'tokenizer.json'));
  const joined = await joinScores(tasks, await readScoresFolder(scores), defaults);
  const sep = tok.tokenToId('[SEP]');
  const endsWith = (xs: number[], tail: number[]) => tail.length === 0 || xs.slice(-tail.length).join() === tail.join();
  const lost = { right: { y: 0, yi: 0 }, left: { y: 0, yi: 0 } };
  let pairs = 0;
  let cut = 0;
  let longest = 0;
  for (const q of joined.queries) {
    const yIds = tok.encode(q.a.split('\n').pop()!, { truncation: false, addSpecialTokens: false }).ids;
    for (const b of q.contents) {
      const full = tok.encode(q.a, { pair: b, truncation: false });
      pairs++;
      longest = Math.max(longest, full.ids.length);
      if (full.ids.length > defaults.maxLength) cut++;
      const yiIds = tok.encode(b.split('\n').pop()!, { truncation: false, addSpecialTokens: false }).ids;
      for (const side of ['right', 'left'] as const) {
        const enc = tok.encode(q.a, { pair: b, maxLength: defaults.maxLength, truncation: side, truncationStrategy: 'longest_first' });
        const firstSep = enc.ids.indexOf(sep!);
        if (!endsWith(enc.ids.slice(1, firstSep), yIds)) lost[side].y++;
        if (!endsWith(enc.ids.slice(firstSep + 1, -1), yiIds)) lost[side].yi++;
      }
    }
  }
  const sample = joined.queries.find((q) => q.task === 'gen_reviews') ?? joined.queries[0];
  if (sample === undefined) throw new Error('the fixture has no scored queries');
  console.log('one pair, tokenised:', tok.encode(sample.a, { pair: sample.contents[0], maxLength: defaults.maxLength, truncation: PAIR_TRUNCATION_SIDE, truncationStrategy: 'longest_first' }).tokens.join(' '));
  const pct = (x: number) => `${((100 * x) / pairs).toFixed(1)} %`;
  console.log(`${pairs} scored pairs, longest ${longest} tokens; maxLength ${defaults.maxLength} cuts ${pct(cut)} of them`);
  for (const side of ['right', 'left'] as const) console.log(`  cutting the ${side} end: y lost from A ${pct(lost[side].y)}, y_i lost from B ${pct(lost[side].yi)}${side === PAIR_TRUNCATION_SIDE ? ' (what encodePairs does)' : ''}`);

  // 2. What separates positives from negatives in the LM's scores.
  const { heldOut } = splitHeldOut(joined.examples, defaults.heldOutFraction, defaults.seed);
  let posScore = 0;
  let negScore = 0;
  let negPenalised = 0;
  let negCount = 0;
  for (const e of joined.examples) {
    const g = groupForStep(e.example, { groupSize: defaults.groupSize, epoch: 0, seed: defaults.seed, pool: joined.pools.get(e.query.task)!.ids });
    posScore += g.scores[0]!; // the positive comes first in every group
    for (const s of g.scores.slice(1)) {
      negCount++;
      if (s <= -100) negPenalised++;
      else negScore += s;
    }
  }
  const n = joined.examples.length;
  console.log(`${n} training queries (${heldOut.length} held out): positive's mean LM score ${(posScore / n).toFixed(3)}; negatives at −100 (other label or filler) ${((100 * negPenalised) / negCount).toFixed(1)} %, the rest mean ${(negScore / Math.max(1, negCount - negPenalised)).toFixed(3)}`);

  // 3. Training under several settings.
  console.log('| setting | held-out group acc | pairwise | BM25 group | BM25 pairwise | chance | last loss | time |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [name, config] of configs) {
    const began = performance.now();
    const run = await runPlugin(rewardPlugin, join(root, `reward-${name.replace(/\W+/g, '-')}`), config, { tasks, scores, tokenizer: tokDir, candidates: bm25 });
    const seconds = (performance.now() - began) / 1000;
    const m = JSON.parse(await readFile(join(run.outDir, 'model', 'metrics.json'), 'utf8')) as RewardMetrics;
    const f = (x: number) => x.toFixed(3);
    console.log(`| ${name} | ${f(m.heldout_group_accuracy)} | ${f(m.heldout_pairwise_accuracy)} | ${f(m.bm25_group_accuracy)} | ${f(m.bm25_pairwise_accuracy)} | ${f(m.chance_group_accuracy)} | ${m.lastLoss.toFixed(3)} | ${seconds.toFixed(0)} s |`);
  }
  console.log('(shared 2-core machine: times are loaded-machine times)');
} finally {
  await rm(root, { recursive: true, force: true });
}
