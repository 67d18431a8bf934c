// Benchmark: Retort's Slurm client against plain sbatch (and Snakemake 7's --cluster submission),
// on the cluster SLURM_CONF names (scripts/slurm-local.sh's by default).
//
//   - submission rate of an N-node fan-out: one array of N tasks, and N separate jobs (one sbatch at
//     a time, and four at a time), through the client; against N plain `sbatch` calls in one shell loop, and against Snakemake --cluster
//     submitting the same fan-out. Jobs are submitted held (--hold), so nothing runs; all are cancelled.
//   - following: one squeue for all N jobs (what the client does per poll) against one squeue per job;
//   - latency of one dependency hop: a chain of H jobs through the client, against the same chain
//     submitted by a shell loop of plain sbatch; each job stamps its start and end (ms), a hop is
//     the time from a job's end to the next one's start.
//
//   npx vite-node bench/slurm.ts [--jobs 500] [--hops 5] [--no-snakemake]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SlurmClient } from '../src/exec/slurm/client.js';
import { snakemakeFanOut } from './snakemake-fan-out.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('jobs', 500);
const HOPS = arg('hops', 5);
const withSnakemake = !process.argv.includes('--no-snakemake');

const LOCAL_CONF = '/tmp/retort-slurm/slurm.conf';
const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: process.env.SLURM_CONF ?? LOCAL_CONF };
const slurm = new SlurmClient({ env });
const dir = mkdtempSync(join(tmpdir(), 'retort-bench-slurm-'));
const held = { extraArgs: ['--hold'] };
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(0);
const sh = (script: string) => execFileSync('/bin/sh', ['-c', script], { env, encoding: 'utf8', maxBuffer: 64 << 20 });

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

async function main(): Promise<void> {
  try {
    await slurm.ping();
  } catch (err) {
    console.error(`${(err as Error).message}\nstart the local cluster with: scripts/slurm-local.sh install && scripts/slurm-local.sh up`);
    process.exit(1);
  }
  console.log(`Slurm: ${sh('sinfo --version').trim()}, ${sh("sinfo --noheader --format='%n %c CPUs'").trim()}; fan-out of ${N}, chain of ${HOPS}`);
  const toCancel: string[] = [];

  // Submission rate.
  const [arrayId, arrayMs] = await time(() => slurm.submit({ name: 'bench-array', command: ['true'], array: { count: N }, resources: held, output: '/dev/null' }));
  toCancel.push(arrayId);
  const [singles, singlesMs] = await time(async () => {
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push(await slurm.submit({ name: 'bench-one', command: ['true'], resources: held, output: '/dev/null' }));
    return ids;
  });
  toCancel.push(...singles);
  const [parallel, parallelMs] = await time(() => slurm.submitAll(Array.from({ length: N }, () => ({ name: 'bench-one', command: ['true'], resources: held, output: '/dev/null' })), 4));
  toCancel.push(...parallel);
  const [plain, plainMs] = await time(async () => sh(`for i in $(seq ${N}); do sbatch --parsable --hold --output=/dev/null --wrap true; done`).trim().split('\n'));
  toCancel.push(...plain);

  // Following: one query for all jobs against one per job (a sample of 50).
  const [listed, oneQueryMs] = await time(() => slurm.status(singles));
  const sample = singles.slice(0, 50);
  const [, perJobMs] = await time(async () => { for (const id of sample) await slurm.status([id]); });
  await slurm.cancel(toCancel);

  const snake = withSnakemake ? await snakemakeFanOut({ dir, jobs: N, env, slurm }) : undefined;

  // Dependency hops.
  const clientHops = await time(async () => {
    let previous: string | undefined;
    const ids: string[] = [];
    for (let i = 0; i < HOPS; i++) {
      previous = await slurm.submit({ name: `hop${i}`, command: ['sh', '-c', stampScript('c', i)], afterOk: previous ? [previous] : [], output: '/dev/null' });
      ids.push(previous);
    }
    await slurm.follow(ids, { minIntervalMs: 100, maxIntervalMs: 500 });
  });
  const plainHops = await time(async () => {
    let script = 'J=; ids=';
    for (let i = 0; i < HOPS; i++) {
      const dep = i ? '--dependency=afterok:$J' : '';
      script += `; J=$(sbatch --parsable ${dep} --output=/dev/null --wrap '${stampScript('p', i)}'); ids="$ids $J"`;
    }
    const ids = sh(`${script}; echo $ids`).trim().split(/\s+/);
    await slurm.follow(ids, { minIntervalMs: 100, maxIntervalMs: 500 });
  });

  console.log('\n| measure | Retort client | peer | ratio |');
  console.log('|---|---|---|---|');
  console.log(`| submit ${N} nodes as one array | ${seconds(arrayMs)} s (${rate(N, arrayMs)} nodes/s) | ${N} plain sbatch: ${seconds(plainMs)} s (${rate(N, plainMs)} jobs/s) | ${(plainMs / arrayMs).toFixed(0)}× faster |`);
  console.log(`| submit ${N} nodes, one job each | ${seconds(singlesMs)} s (${rate(N, singlesMs)} jobs/s) | ${N} plain sbatch: ${seconds(plainMs)} s | ${(singlesMs / plainMs).toFixed(2)}× the time |`);
  console.log(`| submit ${N} nodes, one job each, 4 sbatch at a time (submitAll) | ${seconds(parallelMs)} s (${rate(N, parallelMs)} jobs/s) | ${N} plain sbatch: ${seconds(plainMs)} s | ${(parallelMs / plainMs).toFixed(2)}× the time |`);
  if (snake) console.log(`| submit ${N} nodes, one job each | (as above) ${rate(N, singlesMs)} jobs/s | Snakemake ${snake.version} --cluster sbatch: ${snake.ms === undefined ? snake.note : `${seconds(snake.ms)} s (${rate(N, snake.ms)} jobs/s)`} | ${snake.ms === undefined ? '–' : `${(snake.ms / singlesMs).toFixed(2)}× our time`} |`);
  console.log(`| state of ${N} jobs | one squeue: ${oneQueryMs.toFixed(0)} ms (${listed.length} listed) | one squeue per job: ${(perJobMs / sample.length * N).toFixed(0)} ms (${(perJobMs / sample.length).toFixed(1)} ms each × ${N}) | ${(perJobMs / sample.length * N / oneQueryMs).toFixed(0)}× fewer ms |`);
  const cHop = hopLatency('c');
  const pHop = hopLatency('p');
  console.log(`| one dependency hop (end → next start) | ${cHop.toFixed(0)} ms (chain of ${HOPS}: ${seconds(clientHops[1])} s with following) | plain sbatch chain: ${pHop.toFixed(0)} ms (${seconds(plainHops[1])} s) | ${(cHop / pHop).toFixed(2)}× |`);
}

/** A job body that stamps its start and end (ms) under the bench folder. */
function stampScript(tag: string, i: number): string {
  return `date +%s%3N > ${dir}/${tag}${i}.start; date +%s%3N > ${dir}/${tag}${i}.end`;
}

/** Mean time from one job's end to the next job's start. */
function hopLatency(tag: string): number {
  const read = (i: number, edge: string) => Number(readFileSync(join(dir, `${tag}${i}.${edge}`), 'utf8'));
  let sum = 0;
  for (let i = 1; i < HOPS; i++) sum += read(i, 'start') - read(i - 1, 'end');
  return sum / (HOPS - 1);
}


main().catch((err) => { console.error(err); process.exit(1); });
