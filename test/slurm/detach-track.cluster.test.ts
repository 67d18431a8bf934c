// A tiny sweep submitted detached to the real cluster and followed to its end with `retort status
// --follow`, through the compiled CLI: once settled, the local MLflow store holds the sweep's run,
// a run per trial and the node runs nested as an attached sweep nests them, with their metrics.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/store/runs.js';
import { BIN, Project, ROOT } from '../e2e/harness.js';
import { HOW_TO_START, SKIP_WITHOUT_SLURM, SLURM_CONF, SLURM_UP } from './cluster.js';
import { runTimes, storedRuns } from './mlflow-store.js';
import { TWO_TRIAL_SWEEP } from './two-trial-sweep.js';


const slurm = { SLURM_CONF: SLURM_CONF ?? '' };

beforeAll(() => {
  if (!SKIP_WITHOUT_SLURM && !existsSync(join(ROOT, 'dist', 'src', 'exec', 'slurm', 'detached-replay.js'))) throw new Error(`compile first: npx tsc -p tsconfig.json (${BIN} runs dist/)`);
});

describe.skipIf(SKIP_WITHOUT_SLURM)('a detached sweep on the cluster, in MLflow', () => {
  it('reaches the cluster', () => { expect(SLURM_UP, HOW_TO_START).toBe(true); });

  it('is logged when status --follow settles it: the sweep run, its trials, their nodes and the shared node', async () => {
    const p = new Project('retort-slurm-detach-track-');
    p.write('s.yaml', TWO_TRIAL_SWEEP);
    const detached = await p.run(['run', 's.yaml', '--executor', 'slurm', '--detach'], slurm);
    expect(detached.code, detached.stdout + detached.stderr).toBe(0);
    const runId = detached.stdout.trim().split('\n').at(-1)!;
    const mlruns = join(p.dir, 'runs', 'mlruns');
    expect(existsSync(mlruns)).toBe(false);

    const followed = await p.run(['status', runId, '--follow'], slurm);
    expect(followed.code, followed.stdout + followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/3 ran, 0 cached, 0 failed/);
    const runs = storedRuns(mlruns, [join(p.dir, 'runs')]);
    expect(runs.map((r) => [r.path, r.status]).sort()).toEqual([
      ['s: s-<time>', 'FINISHED'], ['s: s-<time> > data', 'FINISHED'],
      ['s: s-<time> > value=10', 'FINISHED'], ['s: s-<time> > value=10 > train[value=10]', 'FINISHED'],
      ['s: s-<time> > value=20', 'FINISHED'], ['s: s-<time> > value=20 > train[value=20]', 'FINISHED'],
    ].sort());
    const train = runs.find((r) => r.path.endsWith('> train[value=20]'))!;
    expect(train.params.value).toBe('20');
    expect(train.metrics.curve).toEqual([[1, 10.5], [2, 21]]);
    // The trial shows its nodes' final metrics (`<node>/<metric>`).
    const trial = runs.find((r) => r.path.endsWith('> value=20'))!;
    expect(Object.entries(trial.metrics).filter(([k]) => k.startsWith('train') && k.endsWith('/total')).map(([, v]) => v)).toEqual([[[0, 21]]]);
    expect(runs.find((r) => r.path.endsWith('> data'))!.tags['retort.trials']).toBe('value=10; value=20');

    // Each node run spans its job's own start and end.
    const record = JSON.parse(readFileSync(join(p.dir, 'runs', 'records', `${runId}.json`), 'utf8')) as RunRecord;
    const times = runTimes(mlruns);
    for (const n of record.nodes) expect(times.get(n.id)!.end! - times.get(n.id)!.start).toBe(n.durationMs);
  }, 120_000);
});
