// No node runner outlives its run: the runners started ahead of need go when the run ends, when it is
// cancelled (SIGINT, exit 130) and when `retort run` itself is killed (SIGKILL). Runners that nodes
// leave clean take the next nodes, so a run at -j 2 needs two.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { collect, Project } from './harness.js';

/** Runner processes of this project (found by the counter path in their environment). */
function runnersOf(p: Project): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('node-runner.js')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`RETORT_TEST_COUNTER=${p.counter}`)) pids.push(Number(name));
    } catch { /* gone meanwhile */ }
  }
  return pids;
}

const RECIPE = `
stages:
  quick: { plugin: ./plugins/count, foreach: [1, 2, 3, 4], params: { value: "\${item}" } }
  slow: { plugin: ./plugins/count, params: { sleepMs: 20000 }, inputs: { in: "\${stages.quick.outputs.out}" } }
`;
const WAIT = { timeout: 30_000, interval: 20 };

describe('node runners (end to end)', () => {
  it('are gone when a run ends', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE.replace('sleepMs: 20000', 'sleepMs: 0'));
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain', '-j', '2']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    // Five nodes, two at a time, in the two runners started for -j 2.
    const pids = readFileSync(p.counter, 'utf8').trim().split('\n').map((l) => l.split(' ')[1]);
    expect(pids).toHaveLength(5);
    expect(new Set(pids).size).toBe(2);
    await vi.waitFor(() => expect(runnersOf(p)).toEqual([]), WAIT);
  }, 60_000);

  const stops = [
    { signal: 'SIGINT', ended: { code: 130, signal: null } },
    { signal: 'SIGKILL', ended: { code: null, signal: 'SIGKILL' } },
  ] as const;
  for (const { signal, ended } of stops) {
    it(`are gone when the run is stopped by ${signal}`, async () => {
      const p = new Project();
      p.write('r.yaml', RECIPE);
      const child = p.start(['run', 'r.yaml', '--no-track', '--plain', '-j', '2']);
      const done = collect(child);
      await vi.waitFor(() => expect(p.executions()).toContain('slow'), WAIT);
      // The running node and at least one runner waiting for the next.
      await vi.waitFor(() => expect(runnersOf(p).length).toBeGreaterThanOrEqual(2), WAIT);
      child.kill(signal);
      const res = await done;
      expect({ code: res.code, signal: res.signal }).toEqual(ended);
      await vi.waitFor(() => expect(runnersOf(p)).toEqual([]), WAIT);
    }, 60_000);
  }
});
