// A detached Slurm run tracked in MLflow once `retort status --follow` settles it: the same runs,
// params, tags, metrics (with their steps), statuses and table artifacts as the attached run of
// the same plan logs, a sweep nested as an attached sweep is, logged once however often it is
// settled, and never when it was submitted with --no-track. Through the compiled CLI, on the
// folder Slurm of fake-slurm.mjs (jobs run when squeue is asked, one after the other).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer } from '../contract/mlflow-contract-server.js';
import type { RunRecord } from '../../src/store/runs.js';
import { BIN, Project, ROOT } from '../e2e/harness.js';
import { writeFakeSlurm } from './fake-slurm.js';
import { runTimes, storedRuns } from './mlflow-store.js';
import { TWO_TRIAL_SWEEP } from './two-trial-sweep.js';

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'exec', 'slurm', 'detached-replay.js'))) throw new Error(`compile first: npx tsc -p tsconfig.json (${BIN} runs dist/)`);
});

const CHAIN = `stages:
  a: { plugin: ./plugins/count }
  b: { plugin: ./plugins/count, params: { value: 2 }, inputs: { in: "\${stages.a.outputs.out}" } }
  c:
    plugin: ./plugins/count
    foreach: [1, 2]
    params: { value: "\${item}" }
    inputs: { in: "\${stages.b.outputs.out}" }
report:
  tables:
    - { stage: c, row: item, metrics: [total] }
`;

const FAILING = `stages:
  a: { plugin: ./plugins/count }
  b: { plugin: ./plugins/count, params: { fail: true }, inputs: { in: "\${stages.a.outputs.out}" } }
  c: { plugin: ./plugins/count, inputs: { in: "\${stages.b.outputs.out}" } }
`;


/** One project, its runs in `<name>/` under it, its Slurm in `<name>-slurm/`. */
function side(p: Project, name: string) {
  const runsDir = join(p.dir, name);
  const env = writeFakeSlurm(join(p.dir, `${name}-slurm`));
  const run = (args: string[]) => p.run([...args, '--runs-dir', runsDir], env);
  return { runsDir, env, run, mlruns: join(runsDir, 'mlruns') };
}

const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1)!;
const readRecord = (runsDir: string, runId: string) => JSON.parse(readFileSync(join(runsDir, 'records', `${runId}.json`), 'utf8')) as RunRecord;

/** Runs `recipe` attached in one runs folder and detached (then followed) in another, after `before` in both. */
async function attachedAndDetached(recipe: string, extra: string[] = [], before: string[][] = []) {
  const p = new Project('retort-detach-track-');
  p.write('r.yaml', recipe);
  const attached = side(p, 'attached');
  const detached = side(p, 'detached');
  for (const s of [attached, detached]) {
    for (const args of before) {
      const r = await s.run(args);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
  }
  const a = await attached.run(['run', 'r.yaml', '--executor', 'slurm', '--plain', ...extra]);
  const earlier = storedRuns(detached.mlruns, []);
  const submitted = await detached.run(['run', 'r.yaml', '--executor', 'slurm', '--detach', ...extra]);
  expect(submitted.code, submitted.stdout + submitted.stderr).toBe(0);
  const runId = lastLine(submitted.stdout);
  const asSubmitted = readFileSync(join(detached.runsDir, 'records', `${runId}.json`), 'utf8');
  // Submitting logs nothing: the run is logged when it has ended.
  expect(storedRuns(detached.mlruns, [])).toEqual(earlier);
  const followed = await detached.run(['status', runId, '--follow']);
  return { p, attached, detached, a, followed, runId, asSubmitted };
}

// Each test has its own project and Slurm: they run side by side.
describe.concurrent('a detached Slurm run settled by status --follow', () => {
  it('is logged in MLflow as the attached run of the same plan: runs, params, tags, metric steps, cache hits, tables', async () => {
    const { attached, detached, a, followed, runId, asSubmitted } = await attachedAndDetached(CHAIN, [], [['run', 'r.yaml', '--target', 'a', '--plain']]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(followed.code, followed.stdout + followed.stderr).toBe(0);
    expect(followed.stderr).toBe('');
    const paths = [attached.runsDir, detached.runsDir];
    const want = storedRuns(attached.mlruns, paths);
    const got = storedRuns(detached.mlruns, paths);
    // The first run (a alone), then the run itself: its parent, a run per node that ran, a as a cache hit.
    expect(want.map((r) => r.path).sort()).toEqual(['r: r-<time>', 'r: r-<time>', 'r: r-<time> > a', 'r: r-<time> > b', 'r: r-<time> > c[1]', 'r: r-<time> > c[2]']);
    expect(got).toEqual(want);
    const parent = got.find((r) => r.tags['retort.ran'] === '3')!;
    expect(parent.status).toBe('FINISHED');
    // a is the one cache hit, linked to the run that made it.
    expect(parent.tags['retort.cached']).toBe('1');
    expect(parent.artifacts['retort/cached.tsv']).toMatch(/^node\tkey\tproduced_by\na\t[0-9a-f]{64}\t<id>\n$/);
    expect(Object.keys(parent.artifacts)).toContain('tables/tables.md');
    expect(got.find((r) => r.path.endsWith('> c[2]'))!.metrics.curve).toEqual([[1, 2.5], [2, 5]]);

    // The node runs start and end when their jobs did.
    const record = readRecord(detached.runsDir, runId);
    const times = runTimes(detached.mlruns);
    for (const n of record.nodes.filter((m) => m.job)) {
      const file = readdirSync(record.slurm!.dir).find((f) => f.startsWith(`${n.id.replace(/[^A-Za-z0-9_.-]+/g, '_')}-`) && f.endsWith('.result.json'))!;
      const result = JSON.parse(readFileSync(join(record.slurm!.dir, file), 'utf8')) as { startedAt: number; endedAt: number };
      expect(times.get(n.id)).toEqual({ start: result.startedAt, end: result.endedAt });
    }
    expect(times.get(`r-${runId.slice(0, 15)}`)?.start).toBe(record.startedAt);

    // Settled once: a second follow logs nothing, nor does a follower that saw the run still
    // detached and finds it logged by another (it settles the record all the same).
    const again = await detached.run(['status', runId, '--follow']);
    expect(again.code).toBe(0);
    expect(storedRuns(detached.mlruns, paths)).toEqual(got);
    writeFileSync(join(detached.runsDir, 'records', `${runId}.json`), asSubmitted);
    const late = await detached.run(['status', runId, '--follow']);
    expect(late.code, late.stdout + late.stderr).toBe(0);
    expect(late.stdout).toMatch(/3 ran, 1 cached, 0 failed/);
    expect(storedRuns(detached.mlruns, paths)).toEqual(got);
    expect(readRecord(detached.runsDir, runId).status).toBe('ok');
  }, 180_000);

  it('a failed node: FAILED with its error, its dependent without a run, the parent FAILED, as attached', async () => {
    const { attached, detached, a, followed } = await attachedAndDetached(FAILING);
    expect(a.code).toBe(1);
    expect(followed.code, followed.stdout + followed.stderr).toBe(1);
    const paths = [attached.runsDir, detached.runsDir];
    const got = storedRuns(detached.mlruns, paths);
    expect(got).toEqual(storedRuns(attached.mlruns, paths));
    expect(got.map((r) => [r.path, r.status]).sort()).toEqual([['r: r-<time>', 'FAILED'], ['r: r-<time> > a', 'FINISHED'], ['r: r-<time> > b', 'FAILED']].sort());
    expect(got.find((r) => r.path.endsWith('> b'))!.tags['retort.error']).toContain('b failed on purpose');
  }, 120_000);

  it('a sweep: the sweep run, a run per trial, a node of one trial under it and the shared node under the sweep, as attached', async () => {
    const { attached, detached, a, followed } = await attachedAndDetached(TWO_TRIAL_SWEEP);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(followed.code, followed.stdout + followed.stderr).toBe(0);
    const paths = [attached.runsDir, detached.runsDir];
    const got = storedRuns(detached.mlruns, paths);
    expect(got).toEqual(storedRuns(attached.mlruns, paths));
    expect(got.map((r) => r.path).sort()).toEqual([
      'r: r-<time>', 'r: r-<time> > data', 'r: r-<time> > value=10', 'r: r-<time> > value=10 > train[value=10]',
      'r: r-<time> > value=20', 'r: r-<time> > value=20 > train[value=20]',
    ]);
    const trial = got.find((r) => r.path.endsWith('> value=20'))!;
    expect(trial.params['override.stages.train.params.value']).toBe('20');
    expect(trial.status).toBe('FINISHED');
    // A complete trial is remembered, so that a later run links it instead of logging it again.
    expect(readdirSync(join(detached.runsDir, 'sweeps', 'trial-runs'))).toHaveLength(2);
  }, 120_000);
});

describe('a detached Slurm run not to be tracked', () => {
  it('submitted with --no-track, is not tracked; with tracking settings it cannot read, says so and settles all the same', async () => {
    const p = new Project('retort-detach-notrack-');
    p.write('r.yaml', FAILING.replace('fail: true', 'fail: false'));
    const s = side(p, 'runs');
    const untracked = lastLine((await s.run(['run', 'r.yaml', '--executor', 'slurm', '--detach', '--no-track'])).stdout);
    const followed = await s.run(['status', untracked, '--follow']);
    expect(followed.code, followed.stdout + followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/3 ran, 0 cached, 0 failed/);
    expect(storedRuns(s.mlruns, [])).toEqual([]);

    // All hits now: nothing to submit, and the run settles at once.
    const runId = lastLine((await s.run(['run', 'r.yaml', '--executor', 'slurm', '--detach'])).stdout);
    const snapshot = join(s.runsDir, 'slurm', runId, 'tracking.json');
    writeFileSync(snapshot, '{"v": 1, "track": ');
    const settled = await s.run(['status', runId, '--follow']);
    expect(settled.code, settled.stdout + settled.stderr).toBe(0);
    expect(settled.stderr).toContain(`warning: run ${runId} is not tracked in MLflow: ${snapshot} is not valid JSON`);
    expect(settled.stdout).toMatch(/0 ran, 3 cached, 0 failed/);
    expect(readRecord(s.runsDir, runId).status).toBe('ok');
    expect(storedRuns(s.mlruns, [])).toEqual([]);
  }, 120_000);
});

describe('a detached run whose tracking server cannot be reached when it settles', () => {
  let server: MlflowContractServer | undefined;
  afterEach(async () => { await server?.stop(); server = undefined; });
  const FAST = { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.01', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0', MLFLOW_HTTP_REQUEST_TIMEOUT: '2' };

  it('goes to the server it was submitted to, is spooled and delivered by `retort mlflow sync`; the record settles', async () => {
    server = await startMlflowContractServer();
    const p = new Project('retort-detach-spool-');
    p.write('r.yaml', FAILING.replace('fail: true', 'fail: false'));
    const s = side(p, 'runs');
    const submitted = await p.run(['run', 'r.yaml', '--executor', 'slurm', '--detach', '--runs-dir', s.runsDir], { ...s.env, MLFLOW_TRACKING_URI: server.url });
    const runId = lastLine(submitted.stdout);
    await server.stop();
    // Followed where MLFLOW_TRACKING_URI is not set: the run still goes where it was to be tracked.
    const followed = await p.run(['status', runId, '--follow', '--runs-dir', s.runsDir], { ...s.env, ...FAST });
    expect(followed.code, followed.stdout + followed.stderr).toBe(0);
    expect(followed.stderr).toContain(`warning: MLflow: logging to ${server.url}, where the run was to be tracked when it was submitted`);
    expect(followed.stderr).toMatch(/warning: \d+ tracking records? waiting in the spool: run `retort mlflow sync`/);
    expect(readRecord(s.runsDir, runId).status).toBe('ok');
    expect(existsSync(s.mlruns)).toBe(false);

    await server.start();
    const sync = await p.run(['mlflow', 'sync', '--runs-dir', s.runsDir], { ...FAST, MLFLOW_TRACKING_URI: server.url });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const runs = [...server.runs.values()];
    const parents = runs.filter((r) => !r.tags.get('mlflow.parentRunId'));
    expect(parents.map((r) => r.status)).toEqual(['FINISHED']);
    const children = runs.filter((r) => r.tags.get('mlflow.parentRunId') === parents[0]!.runId);
    expect(children.map((r) => [r.tags.get('retort.node'), r.status]).sort()).toEqual([['a', 'FINISHED'], ['b', 'FINISHED'], ['c', 'FINISHED']]);
    for (const c of children) expect(c.metrics.filter((m) => m.key === 'curve').map((m) => m.step)).toEqual([1, 2]);
  }, 120_000);
});
