// A no-op re-run of a large recipe is one hit lookup per node: it must stay cheap.
import { afterEach, expect, it } from 'vitest';
import { keyOf, openStore, put, removeDir } from './helpers.js';
import { mapLimit } from '../../src/store/fsutil.js';

const bases: string[] = [];
afterEach(async () => {
  for (const b of bases.splice(0)) await removeDir(b);
});

it('10,000 hit lookups (stat-verified) take well under a few seconds', async () => {
  const { store, base } = await openStore();
  bases.push(base);
  const keys = Array.from({ length: 500 }, (_, i) => keyOf(`perf${i}`));
  let t = performance.now();
  await mapLimit(keys, 16, (k) => put(store, k, { 'model/w.bin': k, 'model/cfg.json': '{}', 'metrics/m.json': '[]' }));
  const publishMs = performance.now() - t;

  t = performance.now();
  // CPU time of this process (user + system: the stats are system calls) is what the store spends;
  // wall time also counts whatever else the machine is doing.
  const cpuBefore = process.cpuUsage();
  let hits = 0;
  for (let round = 0; round < 20; round++) {
    // All at once, as a planner resolving a whole DAG would: the store bounds its own concurrency.
    const results = await Promise.all(keys.map((k) => store.lookup(k)));
    hits += results.filter((r) => r.status === 'hit').length;
  }
  const lookupMs = performance.now() - t;
  const cpu = process.cpuUsage(cpuBefore);
  const lookupCpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`publish: ${(publishMs / keys.length).toFixed(2)} ms/entry; hit lookup: ${(lookupMs / 10_000).toFixed(3)} ms each (${(lookupCpuMs / 10_000).toFixed(3)} ms of CPU)`);
  expect(hits).toBe(10_000);
  expect(lookupCpuMs).toBeLessThan(10_000);
});
