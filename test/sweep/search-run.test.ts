// Adaptive search through the compiled CLI (build first: npx tsc -p tsconfig.json): trials proposed
// as results arrive, the node they share run once, a second run and a killed run resume from the
// store, and the median rule stops a hopeless trial.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Store } from '../../src/store/store.js';
import type { SearchLog } from '../../src/sweep/adaptive/search-log.js';
import { collect } from '../e2e/harness.js';
import { executed, readLog, searchProject, searchRecipe } from './search-helpers.js';

const pairs = (log: SearchLog) => log.trials.map((t) => [t.assignment['stages.train.params.lr'], t.assignment['stages.train.params.momentum']]);

describe('an adaptive search in retort run', () => {
  it('proposes its budget of trials, runs the node they share once, and a second run brings every trial back from the store', async () => {
    const p = searchProject();
    p.write('s.yaml', searchRecipe({ budget: 5, parallel: 2 }));
    const first = await p.run(['run', 's.yaml', '--no-track', '--plain', '-j', '2']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/search [0-9a-f]{16}: tpe towards train\/loss \(minimize\), budget 5, 2 in flight, 1 node slot each/);
    expect(p.executions().filter((id) => id === 'data')).toHaveLength(1);
    expect(executed(p, 'train')).toHaveLength(5);
    const log = readLog(p);
    expect(log.trials.map((t) => t.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    // Each trial's objective is the loss its node computed from its values.
    for (const t of log.trials) {
      const lr = t.assignment['stages.train.params.lr'] as number;
      const m = t.assignment['stages.train.params.momentum'] as number;
      expect(t.objective).toBeCloseTo((Math.log10(lr) + 2.5) ** 2 + (m - 0.7) ** 2, 9);
    }
    const best = Math.min(...log.trials.map((t) => t.objective!));
    expect(first.stdout).toMatch(/5 of 5 trials \(5 done, 0 pruned, 0 failed\)/);
    expect(first.stdout).toContain(`best train/loss = ${Number(best.toPrecision(6))} (minimize)`);

    p.resetExecutions();
    const second = await p.run(['run', 's.yaml', '--no-track', '--plain', '-j', '2']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/resuming search [0-9a-f]{16}: 5 logged trials/);
    expect(p.executions()).toEqual([]);
    expect(pairs(readLog(p))).toEqual(pairs(log));

    // A larger budget goes on with the same search: only the new trials run.
    p.write('s.yaml', searchRecipe({ budget: 7, parallel: 2 }));
    const planned = await p.run(['plan', 's.yaml']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/budget 7 trials, seed 1, 2 in flight/);
    expect(planned.stdout).toMatch(/space: stages\.train\.params\.lr: loguniform\(0\.00001, 1\); stages\.train\.params\.momentum: uniform\(0, 1\)/);
    expect(planned.stdout).toMatch(/shared by every trial: 1 node \(1 cached\): data hit/);
    expect(planned.stdout).toMatch(/logged: 5 trials of this search \(5 done, 0 pruned, 0 failed\): 5 come back from the store, 0 run again/);
    expect(planned.stdout).toMatch(/to propose: 2 trials/);
    const third = await p.run(['run', 's.yaml', '--no-track', '--plain', '-j', '2']);
    expect(third.code, third.stderr).toBe(0);
    expect(executed(p, 'train')).toHaveLength(2);
    expect(pairs(readLog(p)).slice(0, 5)).toEqual(pairs(log));
  }, 120_000);

  it('plan on a new search: its settings and the shared nodes to run, nothing logged', async () => {
    const p = searchProject();
    p.write('s.yaml', searchRecipe({ budget: 4 }));
    const planned = await p.run(['plan', 's.yaml']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/shared by every trial: 1 node \(0 cached\): data miss/);
    expect(planned.stdout).toMatch(/logged: no trial of this search yet/);
    expect(planned.stdout).toMatch(/to propose: 4 trials/);
    expect(p.executions()).toEqual([]);
  });

  it('killed mid-way, resumes: finished trials come back from the store and it ends with the trials an uninterrupted search has', async () => {
    const p = searchProject();
    p.write('s.yaml', searchRecipe({ budget: 6, parallel: 1, trainParams: 'lr: 0.1, stepMs: 300' }));
    const child = p.start(['run', 's.yaml', '--no-track', '--plain', '-j', '1']);
    const ended = collect(child);
    await vi.waitFor(() => expect(executed(p, 'train').length).toBeGreaterThanOrEqual(3), { timeout: 60_000, interval: 50 });
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    const before = readLog(p);
    const done = before.trials.filter((t) => t.state === 'done');
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(done.length).toBeLessThan(6);
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    expect((await store.manifests({})).filter((m) => m.stage === 'train')).toHaveLength(done.length);

    p.resetExecutions();
    const again = await p.run(['run', 's.yaml', '--no-track', '--plain', '-j', '1']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const after = readLog(p);
    expect(after.trials.map((t) => t.state)).toEqual(Array(6).fill('done'));
    // Only what had not finished ran again; the finished trials' nodes were hits.
    const rerun = executed(p, 'train').map((x) => [x.lr, x.momentum]);
    expect(rerun).toHaveLength(6 - done.length);
    expect(rerun).toEqual(pairs(after).slice(done.length));

    const fresh = searchProject();
    fresh.write('s.yaml', searchRecipe({ budget: 6, parallel: 1, trainParams: 'lr: 0.1, stepMs: 300' }));
    const whole = await fresh.run(['run', 's.yaml', '--no-track', '--plain', '-j', '1']);
    expect(whole.code, whole.stderr).toBe(0);
    expect(pairs(after)).toEqual(pairs(readLog(fresh)));
  }, 180_000);
});
