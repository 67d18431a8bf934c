// An adaptive search in MLflow, against the contract server and the local file store: a run for the
// search (its settings as params, each trial's objective as a metric stepped by the trial's number),
// a run per trial nested under it (its values as params), node runs nested under their trial; a
// second run links the trials that come back from the store instead of logging them again.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer } from '../contract/mlflow-contract-server.js';
import { readLog, searchProject, searchRecipe } from './search-helpers.js';
import { at } from '../util/at.js';

let server: MlflowContractServer | undefined;
afterEach(async () => { await server?.stop(); server = undefined; });

const FAST = { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.01', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0', MLFLOW_HTTP_REQUEST_TIMEOUT: '5' };

describe('an adaptive search in MLflow', () => {
  it('logs a search run, a nested run per trial and node runs under their trial; a second run links the cached trials', async () => {
    server = await startMlflowContractServer();
    const p = searchProject();
    p.write('s.yaml', searchRecipe({ budget: 3, parallel: 1 }));
    const env = { ...FAST, MLFLOW_TRACKING_URI: server.url };
    const first = await p.run(['run', 's.yaml', '--plain', '-j', '1'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const runs = [...server.runs.values()];
    const tag = (r: (typeof runs)[number], key: string) => r.tags.get(key);
    const search = runs.filter((r) => tag(r, 'retort.search'));
    expect(search).toHaveLength(1);
    expect(tag(search[0]!, 'mlflow.parentRunId')).toBeUndefined();
    expect(search[0]!.params.get('search.sampler')).toBe('tpe');
    expect(search[0]!.params.get('search.objective')).toBe('train/loss (minimize)');
    const log = readLog(p);
    expect(search[0]!.metrics.filter((m) => m.key === 'objective').map((m) => [m.step, m.value])).toEqual(log.trials.map((t) => [t.number, t.objective]));

    const trials = runs.filter((r) => tag(r, 'mlflow.parentRunId') === search[0]!.runId);
    expect(trials).toHaveLength(3);
    expect(trials.map((r) => Number(r.params.get('override.stages.train.params.lr'))).sort()).toEqual(log.trials.map((t) => t.assignment['stages.train.params.lr']).sort());
    for (const t of trials) expect(t.metrics.some((m) => m.key === 'train/loss')).toBe(true);
    const trialIds = new Set(trials.map((r) => r.runId));
    const nodes = runs.filter((r) => trialIds.has(tag(r, 'mlflow.parentRunId') ?? ''));
    // The data node ran once (in the first trial); every trial ran its own train node.
    expect(nodes.map((r) => tag(r, 'retort.node')).sort()).toEqual(['data', 'train', 'train', 'train']);
    expect(log.trials.map((t) => t.tracking?.mlflowRunId).sort()).toEqual([...trialIds].sort());

    const second = await p.run(['run', 's.yaml', '--plain', '-j', '1'], env);
    expect(second.code, second.stderr).toBe(0);
    const after = [...server.runs.values()];
    expect(after).toHaveLength(runs.length + 1);
    const search2 = after.find((r) => r.tags.get('retort.search') && r.runId !== search[0]!.runId)!;
    expect(log.trials.map((t) => search2.tags.get(`retort.trial.${t.number}`))).toEqual(log.trials.map((t) => t.tracking!.mlflowRunId));
    expect(search2.metrics.filter((m) => m.key === 'objective').map((m) => m.value)).toEqual(log.trials.map((t) => t.objective));
  }, 120_000);

  it('without a server, nests the same runs in the local file store', async () => {
    const p = searchProject();
    p.write('s.yaml', searchRecipe({ budget: 2, parallel: 1 }));
    const r = await p.run(['run', 's.yaml', '--plain', '-j', '1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const mlruns = join(p.dir, 'runs', 'mlruns');
    const experiment = at(readdirSync(mlruns).filter((d) => /^\d+$/.test(d) && d !== '0'), 0);
    const dir = join(mlruns, experiment);
    const readTag = (run: string, key: string) => (existsSync(join(dir, run, 'tags', key)) ? readFileSync(join(dir, run, 'tags', key), 'utf8') : undefined);
    const runs = readdirSync(dir).filter((d) => /^[0-9a-f]{32}$/.test(d));
    const search = runs.filter((run) => readTag(run, 'retort.search'));
    expect(search).toHaveLength(1);
    const trials = runs.filter((run) => readTag(run, 'mlflow.parentRunId') === search[0]);
    expect(trials).toHaveLength(2);
    const nodes = runs.filter((run) => trials.includes(readTag(run, 'mlflow.parentRunId') ?? ''));
    expect(nodes.map((run) => readTag(run, 'retort.node')).sort()).toEqual(['data', 'train', 'train']);
    expect(readFileSync(join(dir, search[0]!, 'metrics', 'objective'), 'utf8').trim().split('\n')).toHaveLength(2);
  }, 120_000);
});
