// A grid sweep in MLflow, against the contract server and the local file store: the run is the
// sweep's (its settings as params), each trial a run nested under it (its values and its own vars
// as params, its nodes' final metrics as metrics), a node of one trial nests under that trial, a
// node trials share runs once under the sweep's run and is linked from each of its trials; a
// trial that comes back whole from the store is linked to the run that made it, not logged again.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer, type StoredRun } from '../contract/mlflow-contract-server.js';
import { Project } from '../e2e/harness.js';
import { parseCachedList, serverCachedList } from './helpers.js';
import { at } from '../util/at.js';

let server: MlflowContractServer | undefined;
afterEach(async () => { await server?.stop(); server = undefined; });

const FAST = { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.01', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0', MLFLOW_HTTP_REQUEST_TIMEOUT: '5' };

// data is shared by every trial, prep by the trials of one seed, train is per trial.
const RECIPE = `vars:
  seed: 1
  label: base
stages:
  data: { plugin: ./plugins/count }
  prep: { plugin: ./plugins/count, inputs: { in: "\${stages.data.outputs.out}" }, params: { value: "\${vars.seed}" } }
  train: { plugin: ./plugins/count, inputs: { in: "\${stages.prep.outputs.out}" } }
sweep:
  grid:
    stages.train.params.value: [10, 20]
    vars.seed: [1, 2]
`;
const TRIALS = ['value=10,seed=1', 'value=10,seed=2', 'value=20,seed=1', 'value=20,seed=2'];

describe('a grid sweep in MLflow', () => {
  it('logs the sweep run, a nested run per trial, node runs under their trial or, shared, under the sweep; a second run links the trials', async () => {
    server = await startMlflowContractServer();
    const p = new Project();
    p.write('s.yaml', RECIPE);
    const env = { ...FAST, MLFLOW_TRACKING_URI: server.url };
    const first = await p.run(['run', 's.yaml', '--plain', '-j', '1'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).not.toMatch(/warning/);
    const runs = [...server.runs.values()];
    const tag = (r: StoredRun, key: string) => r.tags.get(key);
    const sweeps = runs.filter((r) => tag(r, 'retort.sweep') && !tag(r, 'mlflow.parentRunId'));
    expect(sweeps).toHaveLength(1);
    const sweep = sweeps[0]!;
    expect(sweep.params.get('sweep.grid.stages.train.params.value')).toBe('[10,20]');
    expect(sweep.params.get('sweep.trials')).toBe('4');
    // The sweep's vars are those every trial shares: the swept seed is each trial's own.
    expect(sweep.params.get('vars.label')).toBe('base');
    expect(sweep.params.has('vars.seed')).toBe(false);

    const trials = runs.filter((r) => tag(r, 'mlflow.parentRunId') === sweep.runId && tag(r, 'retort.trial'));
    expect(trials.map((r) => r.runName).sort()).toEqual(TRIALS);
    const trialOf = (id: string) => trials.find((r) => r.runName === id)!;
    const t = trialOf('value=20,seed=2');
    expect(Object.fromEntries(t.params)).toMatchObject({ 'override.stages.train.params.value': '20', 'override.vars.seed': '2', 'vars.seed': '2', 'vars.label': 'base' });
    expect(trialOf('value=10,seed=1').params.get('vars.seed')).toBe('1');
    expect(trials.every((r) => r.status === 'FINISHED')).toBe(true);

    const nodeRuns = runs.filter((r) => tag(r, 'retort.node'));
    const node = (id: string) => nodeRuns.filter((r) => tag(r, 'retort.node') === id);
    // Every node ran once, so it has one run.
    expect(nodeRuns.map((r) => tag(r, 'retort.node')).sort()).toEqual(['data', 'prep[seed=1]', 'prep[seed=2]', ...TRIALS.map((id) => `train[${id}]`)].sort());
    for (const id of TRIALS) {
      const train = at(node(`train[${id}]`), 0);
      expect(tag(train, 'mlflow.parentRunId')).toBe(trialOf(id).runId);
      expect(tag(train, 'retort.trial')).toBe(id);
    }
    const prep = at(node('prep[seed=2]'), 0);
    expect(tag(prep, 'mlflow.parentRunId')).toBe(sweep.runId);
    expect(tag(prep, 'retort.trials')).toBe('value=10,seed=2; value=20,seed=2');
    expect(tag(node('data')[0]!, 'retort.trialCount')).toBe('4');
    // A trial's run has every result of the trial: its own node's and the shared ones', linked to their runs.
    const keys = t.metrics.map((m) => m.key).sort();
    expect(keys).toEqual(expect.arrayContaining(['data/total', 'prep.seed_2/total', 'train.value_20_seed_2/total']));
    expect(keys.some((k) => k.startsWith('prep.seed_1'))).toBe(false);
    expect(tag(t, 'retort.shared/prep.seed_2')).toBe(prep.runId);
    expect(tag(t, 'retort.shared/data')).toBe(node('data')[0]!.runId);

    // Nothing changed: a new sweep run links every trial to its run, and no trial is logged again.
    const second = await p.run(['run', 's.yaml', '--plain', '-j', '1'], env);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const after = [...server.runs.values()];
    expect(after).toHaveLength(runs.length + 1);
    const sweep2 = after.find((r) => tag(r, 'retort.sweep') && !tag(r, 'mlflow.parentRunId') && r.runId !== sweep.runId)!;
    expect(TRIALS.map((id) => tag(sweep2, `retort.trial/${id.replace(/[=,]/g, '_')}`))).toEqual(TRIALS.map((id) => trialOf(id).runId));

    // A changed spec: the kept trials are linked (by their nodes, whatever their id now), the new ones get runs (their shared nodes cached).
    const third = await p.run(['run', 's.yaml', '--plain', '-j', '1', '-m', '-S', 'stages.train.params.value=20,30'], env);
    expect(third.code, third.stdout + third.stderr).toBe(0);
    const latest = [...server.runs.values()].filter((r) => !after.includes(r));
    const sweep3 = latest.find((r) => tag(r, 'retort.sweep') && !tag(r, 'mlflow.parentRunId'))!;
    const newTrials = latest.filter((r) => tag(r, 'mlflow.parentRunId') === sweep3.runId && tag(r, 'retort.trial'));
    expect(newTrials.map((r) => r.runName).sort()).toEqual(['seed=1,value=30', 'seed=2,value=30']);
    expect(tag(sweep3, 'retort.trial/seed_1_value_20')).toBe(trialOf('value=20,seed=1').runId);
    const t30 = newTrials.find((r) => r.runName === 'seed=1,value=30')!;
    expect(tag(t30, 'retort.cached')).toBe('2');
    const cached = serverCachedList(server, t30);
    expect([...cached.keys()].sort()).toEqual(['data', 'prep[seed=1]']);
    expect(cached.get('data')).toEqual([tag(node('data')[0]!, 'retort.key'), node('data')[0]!.runId]);
    expect(cached.get('prep[seed=1]')?.[1]).toBe(node('prep[seed=1]')[0]!.runId);
    expect(latest.filter((r) => tag(r, 'retort.node')).map((r) => [tag(r, 'retort.node'), tag(r, 'mlflow.parentRunId')]).sort())
      .toEqual(newTrials.map((r) => [`train[${r.runName}]`, r.runId]).sort());
  }, 180_000);

  it('without a server, nests the same runs in the local file store and links them on the next run', async () => {
    const p = new Project();
    p.write('s.yaml', RECIPE);
    const r = await p.run(['run', 's.yaml', '--plain', '-j', '1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const mlruns = join(p.dir, 'runs', 'mlruns');
    const experiment = at(readdirSync(mlruns).filter((d) => /^\d+$/.test(d) && d !== '0'), 0);
    const dir = join(mlruns, experiment);
    const read = (run: string, kind: 'tags' | 'params', key: string) => (existsSync(join(dir, run, kind, key)) ? readFileSync(join(dir, run, kind, key), 'utf8') : undefined);
    const list = () => readdirSync(dir).filter((d) => /^[0-9a-f]{32}$/.test(d));
    const runs = list();
    const [sweep] = runs.filter((run) => read(run, 'tags', 'retort.sweep') && !read(run, 'tags', 'mlflow.parentRunId'));
    const trials = runs.filter((run) => read(run, 'tags', 'mlflow.parentRunId') === sweep && read(run, 'tags', 'retort.trial'));
    expect(trials.map((run) => read(run, 'tags', 'retort.trial')).sort()).toEqual(TRIALS);
    expect(trials.map((run) => read(run, 'params', 'vars.seed')).sort()).toEqual(['1', '1', '2', '2']);
    const underTrials = runs.filter((run) => trials.includes(read(run, 'tags', 'mlflow.parentRunId') ?? ''));
    expect(underTrials.map((run) => read(run, 'tags', 'retort.node')).sort()).toEqual(TRIALS.map((id) => `train[${id}]`).sort());
    const underSweep = runs.filter((run) => read(run, 'tags', 'mlflow.parentRunId') === sweep && read(run, 'tags', 'retort.node'));
    expect(underSweep.map((run) => read(run, 'tags', 'retort.node')).sort()).toEqual(['data', 'prep[seed=1]', 'prep[seed=2]']);

    const again = await p.run(['run', 's.yaml', '--plain', '-j', '1']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const added = list().filter((run) => !runs.includes(run));
    expect(added).toHaveLength(1);
    expect(TRIALS.map((id) => read(added[0]!, 'tags', `retort.trial/${id.replace(/[=,]/g, '_')}`)).sort()).toEqual([...trials].sort());
    // The shared nodes came from the store: the sweep's run lists them in one tag and one artifact.
    expect(read(added[0]!, 'tags', 'retort.cached')).toBe('3');
    const cached = parseCachedList(readFileSync(join(dir, added[0]!, 'artifacts', 'retort', 'cached.tsv'), 'utf8'));
    expect([...cached.keys()].sort()).toEqual(['data', 'prep[seed=1]', 'prep[seed=2]']);
    expect(cached.get('data')?.[1]).toBe(underSweep.find((run) => read(run, 'tags', 'retort.node') === 'data'));
  }, 120_000);
});
