// A job over its time limit ends TIMEOUT. Slurm counts limits in minutes and checks them every
// 30 s, so this file takes 60 to 90 s: it runs on its own, beside the other Slurm tests.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { client, HOW_TO_START, jobDir, SKIP_WITHOUT_SLURM, SLURM_UP } from './cluster.js';

describe.skipIf(SKIP_WITHOUT_SLURM)('time limits on a real cluster', () => {
  it('a job that runs past its timeLimit is reported TIMEOUT', async () => {
    expect(SLURM_UP, HOW_TO_START).toBe(true);
    const dir = await jobDir('timeout');
    const slurm = client();
    const id = await slurm.submit({ name: 'slow', command: ['sleep', '300'], resources: { timeLimit: '30s' }, output: join(dir, '%j.out') });
    try {
      const final = await slurm.follow([id], { minIntervalMs: 1000, maxIntervalMs: 3000 });
      expect(final.get(id)!.state).toMatchObject({ phase: 'ended', verdict: 'TIMEOUT', reason: 'TimeLimit' });
    } finally {
      await slurm.cancel([id]);
    }
  }, 150_000);
});
