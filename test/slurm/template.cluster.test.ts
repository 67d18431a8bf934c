// The command-template cluster, driven through Slurm's own commands on the real cluster.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SLURM_TEMPLATE, type TemplatePhase } from '../../src/exec/slurm/command-template.js';
import { SlurmError } from '../../src/exec/slurm/errors.js';
import { TemplateCluster } from '../../src/exec/slurm/template-client.js';
import { HOW_TO_START, jobDir, SKIP_WITHOUT_SLURM, SLURM_UP, slurmEnv } from './cluster.js';

const ended = (p: TemplatePhase) => p === 'succeeded' || p === 'failed' || p === 'cancelled';

async function script(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, `${name}.sh`);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  return path;
}

/** Polls the template's status command until every job has ended; one command per poll. */
async function waitAll(cluster: TemplateCluster, ids: string[]): Promise<Map<string, { state: string; phase: TemplatePhase }>> {
  let last = new Map<string, { state: string; phase: TemplatePhase }>();
  await vi.waitFor(async () => {
    last = await cluster.status(ids);
    expect(ids.every((id) => last.has(id) && ended(last.get(id)!.phase))).toBe(true);
  }, { timeout: 30_000, interval: 250 });
  return last;
}

describe.skipIf(SKIP_WITHOUT_SLURM)('a command-template cluster through Slurm\'s commands', () => {
  it('reaches the cluster', () => { expect(SLURM_UP, HOW_TO_START).toBe(true); });

  it('runs a chain in order, reports a failure, and cancels a pending job', async () => {
    const dir = await jobDir('template');
    const cluster = new TemplateCluster(SLURM_TEMPLATE, { env: slurmEnv });
    const out = join(dir, '%j.out');
    const first = await cluster.submit({ name: 'first', output: out, script: await script(dir, 'first', `date +%s%3N > ${dir}/first.end`) });
    const second = await cluster.submit({ name: 'second', output: out, afterOk: [first], resources: { cpus: 1, memoryMb: 100 }, script: await script(dir, 'second', `date +%s%3N > ${dir}/second.start`) });
    const bad = await cluster.submit({ name: 'bad', output: out, script: await script(dir, 'bad', 'exit 2') });
    const later = await cluster.submit({ name: 'later', output: out, script: await script(dir, 'later', 'true'), resources: { extraArgs: ['--begin=now+600'] } });
    await cluster.cancel([later]);
    const final = await waitAll(cluster, [first, second, bad, later]);
    expect(Object.fromEntries([...final].map(([id, s]) => [id, s.phase]))).toEqual({ [first]: 'succeeded', [second]: 'succeeded', [bad]: 'failed', [later]: 'cancelled' });
    expect(Number(await readFile(join(dir, 'second.start'), 'utf8'))).toBeGreaterThanOrEqual(Number(await readFile(join(dir, 'first.end'), 'utf8')));
  });

  it('a submission the scheduler refuses is a rejection quoting it', async () => {
    const dir = await jobDir('template-bad');
    const cluster = new TemplateCluster(SLURM_TEMPLATE, { env: slurmEnv });
    const err = await cluster.submit({ name: 'x', script: await script(dir, 'x', 'true'), resources: { partition: 'nope' } }).catch((e: unknown) => e) as SlurmError;
    expect(err).toBeInstanceOf(SlurmError);
    expect(err.kind).toBe('rejected');
    expect(err.message).toContain('sbatch rejected the job: sbatch: error: invalid partition specified: nope');
  });

  it('a template naming a program that is not installed says so', async () => {
    const cluster = new TemplateCluster({ ...SLURM_TEMPLATE, submit: 'qsub-not-here {script}' }, { env: slurmEnv });
    const err = await cluster.submit({ name: 'x', script: 'x.sh' }).catch((e: unknown) => e) as SlurmError;
    expect(err.kind).toBe('not-installed');
    expect(err.message).toMatch(/^qsub-not-here is not installed here: .*not found/);
  });
});
