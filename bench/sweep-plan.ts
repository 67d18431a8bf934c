// Benchmark: planning a 1,000-trial grid as one merged DAG, against planning it as Hydra's multirun
// does (one compile per trial, each on its own), and the node executions of each.
//
//   npx vite-node bench/sweep-plan.ts [--values 10] [--reps 3] [--keep]
//
// The recipe has 5 stages: data → features(dim) → train(lr) → eval(seed) → score, with a grid of
// `--values` values on each of dim, lr and seed (10 → 1,000 trials). Merged, the data node is shared
// by every trial, each features node by 100, each train node by 10. Measured in this process:
//   - merged: compileSweep (every trial compiled with shared plugins and schemas, keyed, merged) + planRecipe
//     against an empty store; this is what `retort plan` and `retort run` do for a sweep.
//   - per trial (the peer): for each trial a fresh compileRecipe of the recipe file with the trial's
//     -S overrides + computeKeys, as one `retort plan -S …` per trial would, without the process start-up.
// Node executions: the merged DAG's node count, against trials × 5 for one `retort run` per trial
// with no cache shared between trials (Hydra launches each trial as its own job).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ContentHasher } from '../src/graph/content-hash.js';
import { compileRecipe } from '../src/graph/compile.js';
import { computeKeys } from '../src/graph/key.js';
import { planRecipe } from '../src/graph/plan.js';
import { Store } from '../src/store/store.js';
import { compileSweep } from '../src/sweep/compile-sweep.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const VALUES = Number(arg('values', '10'));
const REPS = Number(arg('reps', '3'));
const keep = process.argv.includes('--keep');

// One in-process plugin with a free numeric param: every stage uses it under its own id.
const PLUGIN = `export default {
  id: 'bench-step', version: '1',
  params: { type: 'object', additionalProperties: false, properties: { value: { type: 'number', default: 0 } } },
  inputs: { in: { optional: true } },
  outputs: { out: {} },
  run() {},
};
`;

const values = Array.from({ length: VALUES }, (_, i) => i + 1);
const RECIPE = `stages:
  data: { plugin: ./step }
  features: { plugin: ./step, inputs: { in: "\${stages.data.outputs.out}" } }
  train: { plugin: ./step, inputs: { in: "\${stages.features.outputs.out}" } }
  eval: { plugin: ./step, inputs: { in: "\${stages.train.outputs.out}" } }
  score: { plugin: ./step, inputs: { in: "\${stages.eval.outputs.out}" } }
sweep:
  grid:
    stages.features.params.value: [${values.join(', ')}]
    stages.train.params.value: [${values.join(', ')}]
    stages.eval.params.value: [${values.join(', ')}]
`;

/** Median wall and CPU time of `REPS` runs: on a shared machine CPU time says more than the clock. */
async function median(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const runs: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    runs.push({ wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 });
  }
  const mid = (xs: number[]): number => {
    const m = xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    if (m === undefined) throw new Error(`--reps must be at least 1, got ${REPS}`);
    return m;
  };
  return { wall: mid(runs.map((r) => r.wall)), cpu: mid(runs.map((r) => r.cpu)) };
}

const ms = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(0)} ms wall, ${t.cpu.toFixed(0)} ms CPU`;

const dir = mkdtempSync(join(tmpdir(), 'retort-sweep-bench-'));
try {
  mkdirSync(join(dir, 'step'));
  writeFileSync(join(dir, 'step', 'index.mjs'), PLUGIN);
  const file = join(dir, 'sweep.yaml');
  writeFileSync(file, RECIPE);
  const store = await Store.open(join(dir, 'runs', 'store'));
  const hasher = new ContentHasher();

  // Warm-up: plugin loading and schema compiling happen once per process in both cases.
  const warm = (await compileSweep(file, { overrides: [], multirun: false, hasher }))!;
  const trials = warm.recipe.sweep!.trials;

  let merged = warm;
  const mergedMs = await median(async () => {
    merged = (await compileSweep(file, { overrides: [], multirun: false, hasher }))!;
    await planRecipe(merged.recipe, merged.keys, store, { explainMisses: false });
  });

  // The peer: each trial on its own, as one `retort plan -S …` per trial would compile it.
  const paths = Object.keys(merged.spec.grid);
  const perTrialMs = await median(async () => {
    for (const t of trials) {
      const overrides = paths.map((p) => `${p}=${JSON.stringify(t.assignments[p])}`);
      const recipe = await compileRecipe(file, { overrides });
      await computeKeys(recipe, hasher);
    }
  });

  const mergedNodes = merged.recipe.order.length;
  const perTrialNodes = merged.trialNodes;
  console.log(`sweep plan benchmark: ${trials.length} trials × 5 stages (grid ${VALUES}×${VALUES}×${VALUES}), median of ${REPS}`);
  console.log(`  merged DAG plan (compile every trial, key, merge, plan on an empty store): ${ms(mergedMs)}`);
  console.log(`  per-trial compiles, Hydra-style (${trials.length} separate compiles + keys):  ${ms(perTrialMs)}`);
  console.log(`  plan time ratio (per-trial / merged): ${(perTrialMs.wall / mergedMs.wall).toFixed(2)}× wall, ${(perTrialMs.cpu / mergedMs.cpu).toFixed(2)}× CPU`);
  console.log(`  node executions: merged DAG ${mergedNodes}, one run per trial ${perTrialNodes} (ratio ${(perTrialNodes / mergedNodes).toFixed(2)}×)`);
  // On a loaded machine the clock counts other people's work; CPU time is this process's own.
  console.log(`  target: a 1,000-trial grid plans in under 1 s: ${mergedMs.cpu < 1000 ? 'MET' : 'MISSED'} on CPU time (${mergedMs.cpu.toFixed(0)} ms), ${mergedMs.wall < 1000 ? 'MET' : 'MISSED'} on the clock (${mergedMs.wall.toFixed(0)} ms; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores)`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
