// Benchmark: where the main job's time goes. Runs `retort run recipes/llm-r.yaml` from an empty
// store (or reads a runs folder that already holds the run), then prints each stage's node time
// and its share of the sum, the run's wall time, and how much the scheduler overlapped nodes
// (sum of node times / wall time; 1.0 means nothing ran side by side).
//
//   npx vite-node bench/llm-r-stages.ts                       # a fresh run in a temporary folder
//   npx vite-node bench/llm-r-stages.ts --runs-dir runs        # the entries a run already made
//   npx vite-node bench/llm-r-stages.ts --recipe recipes/llm-r.yaml -S vars.iterations=1

import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../src/store/store.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

const here = dirname(fileURLToPath(import.meta.url));
const recipe = resolve(arg('recipe') ?? join(here, '..', 'recipes', 'llm-r.yaml'));
const overrides = process.argv.flatMap((a, i) => (a === '-S' && process.argv[i + 1] ? ['-S', process.argv[i + 1]!] : []));
let runsDir = arg('runs-dir');
let wallMs: number | undefined;
if (!runsDir) {
  runsDir = await mkdtemp(join(tmpdir(), 'retort-bench-llmr-'));
  const t0 = performance.now();
  execFileSync(process.execPath, [join(here, '..', 'bin', 'retort.js'), 'run', recipe, '--runs-dir', runsDir, '--quiet', '--plain', '--no-track', ...overrides], { stdio: 'inherit' });
  wallMs = performance.now() - t0;
}

const store = await Store.open(join(resolve(runsDir), 'store'));
const manifests = await store.manifests({});
if (manifests.length === 0) throw new Error(`no entries in ${runsDir}/store: run the recipe first, or leave out --runs-dir`);

const byStage = new Map<string, { nodes: number; ms: number }>();
let first = Infinity;
let last = -Infinity;
for (const m of manifests) {
  const s = byStage.get(m.stage) ?? { nodes: 0, ms: 0 };
  s.nodes++;
  s.ms += m.endedAt - m.startedAt;
  byStage.set(m.stage, s);
  first = Math.min(first, m.startedAt);
  last = Math.max(last, m.endedAt);
}
const total = [...byStage.values()].reduce((n, s) => n + s.ms, 0);
const span = last - first;
const rows = [...byStage].sort((a, b) => b[1].ms - a[1].ms);
console.log(`${recipe}: ${manifests.length} entries in ${runsDir}`);
console.log('| stage | nodes | node time (s) | share |');
console.log('|---|---:|---:|---:|');
for (const [stage, s] of rows) console.log(`| ${stage} | ${s.nodes} | ${(s.ms / 1000).toFixed(1)} | ${((100 * s.ms) / total).toFixed(1)} % |`);
console.log(`| all | ${manifests.length} | ${(total / 1000).toFixed(1)} | 100 % |`);
console.log(`first node start → last node end: ${(span / 1000).toFixed(1)} s; node time / that span: ${(total / span).toFixed(2)} (nodes side by side)`);
if (wallMs !== undefined) console.log(`wall time of the run: ${(wallMs / 1000).toFixed(1)} s`);
