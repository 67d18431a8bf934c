// The peer of both Slurm benches: Snakemake submitting N independent rule instances through
// `--cluster`, timed from its first sbatch to its N-th by a wrapper that logs each submission. The
// jobs are held, so Snakemake would wait for them forever: it is stopped and its jobs cancelled.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SlurmClient } from '../src/exec/slurm/client.js';

export interface FanOutResult {
  version: string;
  /** First to N-th submission; absent when Snakemake could not be measured (see `note`). */
  ms?: number;
  note?: string;
}

export async function snakemakeFanOut(o: { dir: string; jobs: number; env: NodeJS.ProcessEnv; slurm: SlurmClient }): Promise<FanOutResult> {
  const probe = spawnSync('snakemake', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return { version: '?', note: `cannot run here: ${probe.error?.message ?? probe.stderr.trim()}` };
  const version = probe.stdout.trim();
  const work = join(o.dir, 'snakemake');
  const log = join(work, 'submitted.log');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'Snakefile'), `rule all:\n    input: expand("out/{i}.txt", i=range(${o.jobs}))\n\nrule one:\n    output: "out/{i}.txt"\n    shell: "touch {output}"\n`);
  writeFileSync(join(work, 'submit.sh'), `#!/bin/sh\ndate +%s%3N >> ${log}\nexec sbatch --parsable --hold --job-name=bench-snake --output=/dev/null "$@"\n`, { mode: 0o755 });
  const args = ['--cores', '1', '--jobs', String(o.jobs), '--cluster', join(work, 'submit.sh'), '--latency-wait', '1', '--quiet'];
  const child = spawn('snakemake', args, { cwd: work, env: o.env, stdio: 'ignore' });
  const submitted = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  const deadline = Date.now() + 300_000;
  while (submitted().length < o.jobs && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
  const stamps = submitted().map(Number);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL'); // it waits for its held jobs and ignores SIGTERM meanwhile
  await exited;
  const queued = spawnSync('squeue', ['--noheader', '--name=bench-snake', '--format=%A'], { encoding: 'utf8', env: o.env });
  const ids = (queued.stdout ?? '').trim().split('\n').filter(Boolean);
  if (ids.length) await o.slurm.cancel(ids);
  const [first] = stamps;
  const last = stamps[o.jobs - 1];
  if (first === undefined || last === undefined) return { version, note: `submitted ${stamps.length} of ${o.jobs} before it stopped` };
  return { version, ms: last - first };
}
