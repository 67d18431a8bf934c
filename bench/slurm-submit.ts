// Benchmark: the Slurm executor (`retort run --executor slurm`) against plain sbatch, on the cluster
// SLURM_CONF names (scripts/slurm-local.sh's by default).
//
//   - submission rate of an N-node foreach fan-out through the scheduler and the executor (spec file
//     + one sbatch per node, jobs held with --hold so nothing runs, all cancelled at the end), against
//     N plain `sbatch --hold` calls in one shell loop, and one array of N tasks through the client;
//   - latency of one dependency hop: a chain of H nodes run by the executor (each node's entry holds
//     its start and end), against a chain of plain sbatch jobs that stamp their start and end.
//
//   - Snakemake 7's --cluster submission of the same fan-out (first to last sbatch, logged by a
//     wrapper around sbatch), when snakemake is installed.
//
//   npx tsc -p tsconfig.json && npx vite-node bench/slurm-submit.ts [--nodes 500] [--hops 4] [--no-snakemake]
//
// The engine is loaded from dist/: a batch job runs the compiled job program (job-main.js), which
// the executor finds beside its own module.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { snakemakeFanOut } from './snakemake-fan-out.js';

const dist = <T>(rel: string): Promise<T> => {
  const file = resolve('dist/src', rel);
  if (!existsSync(file)) throw new Error(`compile first: npx tsc -p tsconfig.json (${file} is missing)`);
  return import(pathToFileURL(file).href) as Promise<T>;
};
const { EventFanOut } = await dist<typeof import('../src/exec/fan-out.js')>('exec/fan-out.js');
const { executePlan } = await dist<typeof import('../src/exec/scheduler.js')>('exec/scheduler.js');
const { SlurmClient } = await dist<typeof import('../src/exec/slurm/client.js')>('exec/slurm/client.js');
const { SlurmExecutor } = await dist<typeof import('../src/exec/slurm/executor.js')>('exec/slurm/executor.js');
const { compileRecipe } = await dist<typeof import('../src/graph/compile.js')>('graph/compile.js');
const { ContentHasher } = await dist<typeof import('../src/graph/content-hash.js')>('graph/content-hash.js');
const { computeKeys } = await dist<typeof import('../src/graph/key.js')>('graph/key.js');
const { planRecipe } = await dist<typeof import('../src/graph/plan.js')>('graph/plan.js');
const { Store } = await dist<typeof import('../src/store/store.js')>('store/store.js');
const withSnakemake = !process.argv.includes('--no-snakemake');

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('nodes', 500);
const HOPS = arg('hops', 4);
const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: process.env.SLURM_CONF ?? '/tmp/retort-slurm/slurm.conf' };
const client = new SlurmClient({ env });
const dir = mkdtempSync(join(tmpdir(), 'retort-bench-submit-'));
cpSync(resolve('test/fixtures/plugins'), join(dir, 'plugins'), { recursive: true });
const sh = (script: string) => execFileSync('/bin/sh', ['-c', script], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(0);

/** Plans `recipe` in the bench folder; the plan, its store, and an executor over it. */
async function planned(name: string, recipe: string, sbatchArgs: string[] = [], arrays = true) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, recipe);
  const compiled = await compileRecipe(file, { env });
  const keys = await computeKeys(compiled, new ContentHasher(join(dir, name, 'hash-cache.json')), env);
  const store = await Store.open(join(dir, name, 'store'));
  const plan = await planRecipe(compiled, keys, store);
  const executor = new SlurmExecutor({ client, store, dir: join(dir, name, 'jobs'), runId: name, recipeName: name, cwd: dir, defaults: { extraArgs: sbatchArgs }, minIntervalMs: 200, maxIntervalMs: 1000, arrays });
  return { plan, store, executor };
}

/** Runs a plan; resolves when `until` says so (then interrupts it, which cancels its jobs) or when it ends. */
async function execute(p: Awaited<ReturnType<typeof planned>>, until?: (submitted: number) => boolean) {
  const controller = new AbortController();
  let submitted = 0;
  let allSubmittedAt = 0;
  const t0 = performance.now();
  const events = new EventFanOut([{
    name: 'bench',
    handle(e) {
      if (e.type !== 'node-log' || !e.line.startsWith('submitted as Slurm job')) return;
      submitted++;
      if (until?.(submitted)) { allSubmittedAt = performance.now(); controller.abort(); }
    },
  }], () => undefined);
  await executePlan(p.plan, { store: p.store, runId: 'bench', recipeName: 'bench', signal: controller.signal, executor: p.executor, events });
  return { submitted, ms: (allSubmittedAt || performance.now()) - t0 };
}

// Submission: the executor, N held jobs (one per foreach node), cancelled once all are in.
const fanRecipe = `stages:\n  f:\n    plugin: ./plugins/count\n    foreach: ${JSON.stringify(Array.from({ length: N }, (_, i) => i))}\n    params: { value: "\${item}" }\n`;
const viaExecutor = await execute(await planned('fan', fanRecipe, ['--hold'], false), (n) => n === N);
// The same fan-out as the executor submits it by default: one array for the alike members.
const viaArray = await execute(await planned('fan-array', fanRecipe, ['--hold']), (n) => n === N);

// Plain sbatch: the same number of held jobs from a shell loop, then cancelled.
let t0 = performance.now();
const plainIds = sh(`for i in $(seq 1 ${N}); do sbatch --parsable --hold --output=/dev/null --wrap true; done`).trim().split('\n');
const plainMs = performance.now() - t0;
sh(`scancel ${plainIds.join(' ')}`);

// One array of N tasks through the client (what a foreach of alike nodes could be).
t0 = performance.now();
const array = await client.submit({ name: 'bench-array', command: ['true'], array: { count: N }, output: '/dev/null', resources: { extraArgs: ['--hold'] } });
const arrayMs = performance.now() - t0;
await client.cancel([array]);

// Dependency hops: a chain of HOPS nodes through the executor; each entry holds its job's start and end.
const chainRecipe = ['stages:', '  h0: { plugin: ./plugins/count }', ...Array.from({ length: HOPS - 1 }, (_, i) => `  h${i + 1}: { plugin: ./plugins/count, inputs: { in: "\${stages.h${i}.outputs.out}" } }`)].join('\n') + '\n';
const chain = await planned('chain', chainRecipe);
const chainRun = await execute(chain);
const entries = await Promise.all(chain.plan.order.map(async (id) => {
  const found = await chain.store.lookup(chain.plan.nodes.get(id)!.key);
  if (found.status !== 'hit') throw new Error(`${id} did not run`);
  return found.manifest;
}));
const executorHop = mean(entries.slice(1).map((m, i) => m.startedAt - entries[i]!.endedAt)); // entries[i] is the hop before m

// The same chain of plain sbatch jobs, each stamping its start and end in ms.
const stamps = join(dir, 'stamps');
sh(`mkdir -p ${stamps}; prev=; ids=; for i in $(seq 0 ${HOPS - 1}); do dep=\${prev:+--dependency=afterok:$prev}; prev=$(sbatch --parsable $dep --output=/dev/null --wrap "date +%s%3N > ${stamps}/$i.start; sleep 0.2; date +%s%3N > ${stamps}/$i.end"); ids="$ids $prev"; done; echo $ids`);
for (let tries = 0; readdirSync(stamps).filter((f) => f.endsWith('.end')).length < HOPS && tries < 600; tries++) await new Promise((r) => setTimeout(r, 200));
const stamp = (i: number, what: string) => Number(readFileSync(join(stamps, `${i}.${what}`), 'utf8'));
const plainHop = mean(Array.from({ length: HOPS - 1 }, (_, i) => stamp(i + 1, 'start') - stamp(i, 'end')));

const snake = withSnakemake ? await snakemakeFanOut({ dir, jobs: N, env, slurm: client }) : { version: '-', note: 'not measured (--no-snakemake)' };

console.log(`Slurm submission and dependency latency (${N} nodes, chain of ${HOPS}; machine shared, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})\n`);
console.log('| measure | retort --executor slurm | plain sbatch | ratio |');
console.log('|---|---|---|---|');
console.log(`| submit ${N} jobs (one per node) | ${rate(viaExecutor.submitted, viaExecutor.ms)} jobs/s (${(viaExecutor.ms / 1000).toFixed(2)} s) | ${rate(N, plainMs)} jobs/s (${(plainMs / 1000).toFixed(2)} s, shell loop) | ${(plainMs / viaExecutor.ms).toFixed(2)}× |`);
console.log(`| submit ${N} nodes as one array (executor, the default) | ${rate(viaArray.submitted, viaArray.ms)} nodes/s (${(viaArray.ms / 1000).toFixed(2)} s) | ${rate(N, plainMs)} jobs/s (one job each) | ${(plainMs / viaArray.ms).toFixed(1)}× |`);
console.log(`| submit ${N} as one array (client) | ${rate(N, arrayMs)} tasks/s (${(arrayMs / 1000).toFixed(2)} s) | ${rate(N, plainMs)} jobs/s (one job each) | ${(plainMs / arrayMs).toFixed(1)}× |`);
console.log(`| submit ${N} nodes, one job each | ${rate(viaExecutor.submitted, viaExecutor.ms)} jobs/s | Snakemake ${snake.version} --cluster sbatch: ${snake.ms === undefined ? snake.note : `${rate(N, snake.ms)} jobs/s (${(snake.ms / 1000).toFixed(2)} s)`} | ${snake.ms === undefined ? '–' : `${(snake.ms / viaExecutor.ms).toFixed(2)}×`} |`);
console.log(`| one dependency hop (end → next start) | ${executorHop.toFixed(0)} ms (chain run in ${(chainRun.ms / 1000).toFixed(1)} s) | ${plainHop.toFixed(0)} ms | ${(executorHop / plainHop).toFixed(2)}× |`);


function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
