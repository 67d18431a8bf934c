// A job over its time limit ends TIMEOUT, for a plain job and for a node of `retort run --executor
// slurm`. Slurm counts limits in whole minutes and checks them every 30 s, so each takes 60 to 90 s:
// the two run side by side, so that this file waits for one limit, not two.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from '../e2e/harness.js';
import { client, HOW_TO_START, jobDir, SKIP_WITHOUT_SLURM, SLURM_CONF, SLURM_UP } from './cluster.js';

describe.skipIf(SKIP_WITHOUT_SLURM).concurrent('time limits on a real cluster', () => {
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

  it('a node whose job runs past its timeLimit fails as TIMEOUT, naming its job and the limit Slurm applied', async () => {
    const p = new Project('retort-slurm-timeout-');
    p.write('r.yaml', 'stages:\n  slow: { plugin: ./plugins/count, params: { sleepMs: 300000 }, resources: { timeLimit: 30s } }\n');
    const res = await p.run(['run', 'r.yaml', '--executor', 'slurm', '--no-track', '--plain'], { SLURM_CONF: SLURM_CONF ?? '' });
    const [job] = [...res.stdout.matchAll(/submitted as Slurm job (\d+)/g)].map((m) => m[1]);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toContain(`failed: slow: Slurm stopped job ${job} at its time limit of 1m (TIMEOUT; resources.timeLimit)`);
  }, 150_000);
});
