import { describe, expect, it } from 'vitest';
import { SlurmClient } from '../../src/exec/slurm/client.js';
import type { CommandRunner } from '../../src/exec/slurm/command.js';
import { SlurmError } from '../../src/exec/slurm/errors.js';

/**
 * An sbatch whose job ids come from the job names (job-<n> gets id 100+n). The job named `slowName`
 * is answered only after every other one has been, and `refuse` names a job it rejects.
 */
function fakeSbatch(opts: { total: number; slowName?: string; refuse?: string }) {
  let running = 0;
  let most = 0;
  let answered = 0;
  let releaseSlow: () => void = () => undefined;
  const slowGate = new Promise<void>((r) => { releaseSlow = r; });
  const run: CommandRunner = async (_cmd, args) => {
    running++;
    most = Math.max(most, running);
    const name = args.find((a) => a.startsWith('--job-name='))!.slice('--job-name='.length);
    if (name === opts.slowName) await slowGate;
    else await Promise.resolve();
    running--;
    if (++answered === opts.total - 1) releaseSlow();
    if (name === opts.refuse) return { stdout: '', stderr: 'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n', exitCode: 1 };
    return { stdout: `${100 + Number(name.split('-')[1])}\n`, stderr: '', exitCode: 0 };
  };
  return { run, most: () => most };
}

describe('submitting many independent jobs', () => {
  it('keeps the order given, with at most `concurrency` sbatch calls at once', async () => {
    const names = [0, 1, 2, 3, 4, 5].map((n) => `job-${n}`);
    const sbatch = fakeSbatch({ total: names.length, slowName: 'job-0' }); // asked first, answered last
    const ids = await new SlurmClient({ run: sbatch.run }).submitAll(names.map((name) => ({ name, command: ['true'] })), 3);
    expect(ids).toEqual(['100', '101', '102', '103', '104', '105']);
    expect(sbatch.most()).toBe(3);
  });

  it('stops at a refusal and names the jobs that were submitted already', async () => {
    const sbatch = fakeSbatch({ total: 3, refuse: 'job-1' });
    const err = await new SlurmClient({ run: sbatch.run }).submitAll(['job-0', 'job-1', 'job-2'].map((name) => ({ name, command: ['true'] })), 1).catch((e: unknown) => e) as SlurmError;
    expect(err).toBeInstanceOf(SlurmError);
    expect(err.kind).toBe('rejected');
    expect(err.submitted).toEqual(['100']);
    expect(err.message).toBe('sbatch rejected the job: sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified (already submitted: 100)');
  });
});
