// A node computed by a Slurm job (src/exec/slurm/job-main.ts) against a store on the shared
// filesystem: the same entry as a local run, under the same lease, and nothing left by a cancel.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Plan } from '../../src/graph/plan.js';
import type { Manifest } from '../../src/store/manifest.js';
import type { Store } from '../../src/store/store.js';
import { Project, ROOT } from '../e2e/harness.js';
import { client, HOW_TO_START, SKIP_WITHOUT_SLURM, SLURM_UP } from './cluster.js';
import { nodeId, type NodeId } from '../../src/util/ids.js';

// The job runs compiled code (a batch job is plain Node.js), so the test plans with the same build.
const DIST = join(ROOT, 'dist', 'src');
const load = <T>(rel: string): Promise<T> => import(pathToFileURL(join(DIST, rel)).href) as Promise<T>;
const dist = async () => ({
  compile: await load<typeof import('../../src/graph/compile.js')>('graph/compile.js'),
  key: await load<typeof import('../../src/graph/key.js')>('graph/key.js'),
  hash: await load<typeof import('../../src/graph/content-hash.js')>('graph/content-hash.js'),
  plan: await load<typeof import('../../src/graph/plan.js')>('graph/plan.js'),
  store: await load<typeof import('../../src/store/store.js')>('store/store.js'),
  spec: await load<typeof import('../../src/exec/slurm/job-spec.js')>('exec/slurm/job-spec.js'),
  events: await load<typeof import('../../src/exec/slurm/run-node-job.js')>('exec/slurm/run-node-job.js'),
});
type Dist = Awaited<ReturnType<typeof dist>>;

const CHAIN = `stages:
  a: { plugin: ./plugins/count, params: { value: 2, sleepMs: 200 } }
  b: { plugin: ./plugins/count, params: { value: 3 }, inputs: { in: "\${stages.a.outputs.out}" } }
`;

let d: Dist;
beforeAll(async () => {
  if (SKIP_WITHOUT_SLURM) return;
  if (!existsSync(join(DIST, 'exec', 'slurm', 'job-main.js'))) throw new Error('compile first: npx tsc -p tsconfig.json');
  d = await dist();
});

/** Plans `recipe` of project `p` against the store under `runsDir`. */
async function planIn(p: Project, recipe: string, runsDir: string, force: NodeId[] = []): Promise<{ plan: Plan; store: Store }> {
  const env = p.env();
  const compiled = await d.compile.compileRecipe(join(p.dir, recipe), { env });
  const keys = await d.key.computeKeys(compiled, new d.hash.ContentHasher(join(runsDir, 'hash-cache.json')), env);
  const store = await d.store.Store.open(join(runsDir, 'store'));
  return { plan: await d.plan.planRecipe(compiled, keys, store, { force }), store };
}

/** Submits every node the plan runs, each waiting for its upstream jobs; the job ids by node id. */
async function submitPlan(p: Project, plan: Plan, store: Store, tag: string): Promise<Map<string, { job: string; result: string; log: string }>> {
  const slurm = client();
  const jobs = new Map<string, { job: string; result: string; log: string }>();
  for (const id of plan.order) {
    const node = plan.nodes.get(id)!;
    if (!node.run) continue;
    const base = join(p.dir, 'slurm', `${tag}-${id}`);
    const unit = d.spec.nodeJobSpec(node, store, { runId: `run-${tag}`, recipeName: plan.recipe.name, result: `${base}.result.json` });
    await d.spec.writeSpecFile(`${base}.spec.json`, [unit]);
    const afterOk = node.spec.upstream.map((up) => jobs.get(up)?.job).filter((j): j is string => j !== undefined);
    const job = await slurm.submit({ name: id, command: d.spec.jobMainCommand(`${base}.spec.json`), afterOk, output: `${base}.log`, env: { RETORT_TEST_COUNTER: p.counter } });
    jobs.set(id, { job, result: `${base}.result.json`, log: `${base}.log` });
  }
  return jobs;
}

const comparable = (m: Manifest) => ({ key: m.key, nodeId: m.nodeId, stage: m.stage, ports: m.ports, keyStructure: m.keyStructure,
  files: m.files.map(({ path, sha256, size }) => ({ path, sha256, size })), metrics: m.metrics.map(({ name, value, step }) => ({ name, value, step })) });

describe.skipIf(SKIP_WITHOUT_SLURM)('a node computed by a Slurm job', () => {
  it('reaches the cluster', () => { expect(SLURM_UP, HOW_TO_START).toBe(true); });

  it('publishes the same entry as a local run: same key, same file hashes, same metrics, a stored log', async () => {
    const p = new Project('retort-slurm-job-');
    p.write('r.yaml', CHAIN);
    const local = await p.run(['run', 'r.yaml', '--no-track', '--plain'], { RETORT_RUNS_DIR: join(p.dir, 'local') });
    expect(local.code, local.stdout + local.stderr).toBe(0);
    const { plan, store } = await planIn(p, 'r.yaml', join(p.dir, 'remote'));
    expect([...plan.nodes.values()].map((n) => n.run)).toEqual([true, true]);
    p.resetExecutions();
    const jobs = await submitPlan(p, plan, store, 'same');
    const final = await client().follow([...jobs.values()].map((j) => j.job), { minIntervalMs: 200, maxIntervalMs: 1000 });
    for (const { job } of jobs.values()) expect(final.get(job)!.state).toMatchObject({ phase: 'ended', verdict: 'COMPLETED' });
    expect(p.executions()).toEqual(['a', 'b']);

    const localStore = await d.store.Store.open(join(p.dir, 'local', 'store'));
    for (const id of ['a', 'b'].map(nodeId)) {
      const key = plan.nodes.get(id)!.key;
      const there = await store.lookup(key, { verify: 'full' });
      const here = await localStore.lookup(key, { verify: 'full' });
      if (there.status !== 'hit' || here.status !== 'hit') throw new Error(`${id}: not in both stores (${there.status}, ${here.status})`);
      expect(comparable(there.manifest)).toEqual(comparable(here.manifest));
      expect(there.manifest.runId).toBe('run-same');
      const result = await d.spec.readJobResult(jobs.get(id)!.result);
      expect(result).toMatchObject({ key, nodeId: id, outcome: 'ran' });
      expect(await readFile(store.logPath(key), 'utf8')).toMatch(new RegExp(`INFO  computing ${id}: total`));
    }
    // The job's Slurm log carries its events for the driver: the node's log lines and its result.
    const events = (await readFile(jobs.get('b')!.log, 'utf8')).split('\n').map((l) => d.events.parseEventLine(l)).filter(Boolean);
    expect(events).toContainEqual({ type: 'log', level: 'info', message: 'computing b: total 5' });
    expect(events.at(-1)).toMatchObject({ type: 'result', result: { outcome: 'ran', nodeId: 'b' } });
  });

  it('two jobs for one node compute it once: the second waits for the lease and finds the entry', async () => {
    const p = new Project('retort-slurm-twice-');
    p.write('r.yaml', 'stages:\n  a: { plugin: ./plugins/count, params: { sleepMs: 1500 } }\n');
    const runsDir = join(p.dir, 'runs');
    const first = await planIn(p, 'r.yaml', runsDir);
    const second = await planIn(p, 'r.yaml', runsDir);
    const one = await submitPlan(p, first.plan, first.store, 'one');
    const two = await submitPlan(p, second.plan, second.store, 'two');
    const ids = [one.get('a')!.job, two.get('a')!.job];
    const final = await client().follow(ids, { minIntervalMs: 200, maxIntervalMs: 1000 });
    for (const id of ids) expect(final.get(id)!.state).toMatchObject({ verdict: 'COMPLETED' });
    expect(p.executions()).toEqual(['a']);
    const outcomes = await Promise.all([one, two].map(async (j) => (await d.spec.readJobResult(j.get('a')!.result))!.outcome));
    expect(outcomes.sort()).toEqual(['hit', 'ran']);
  });

  it('a job cancelled while it computes leaves no entry, no staging area and no lease', async () => {
    const p = new Project('retort-slurm-cancel-');
    p.write('r.yaml', 'stages:\n  slow: { plugin: ./plugins/count, params: { sleepMs: 20000 } }\n');
    const { plan, store } = await planIn(p, 'r.yaml', join(p.dir, 'runs'));
    const jobs = await submitPlan(p, plan, store, 'cancel');
    const { job, result } = jobs.get('slow')!;
    const slurm = client();
    await vi.waitFor(() => expect(p.executions()).toEqual(['slow']), { timeout: 20_000, interval: 100 });
    await slurm.cancel([job]);
    const final = await slurm.follow([job], { minIntervalMs: 200, maxIntervalMs: 1000 });
    expect(final.get(job)!.state).toMatchObject({ verdict: 'CANCELLED' });
    // the job writes its result as it stops (SIGTERM), before Slurm's SIGKILL
    await vi.waitFor(async () => expect(await d.spec.readJobResult(result)).toMatchObject({ outcome: 'cancelled' }), { timeout: 10_000, interval: 100 });
    expect((await store.lookup(plan.nodes.get(nodeId('slow'))!.key)).status).toBe('miss');
    expect(await readdir(store.layout.staging)).toEqual([]);
    expect((await readdir(store.layout.leases)).filter((f) => f.endsWith('.lease'))).toEqual([]);
  });

  it('a failing node fails its job, with the error in the result, and Slurm cancels the job after it', async () => {
    const p = new Project('retort-slurm-fail-');
    p.write('r.yaml', 'stages:\n  a: { plugin: ./plugins/count, params: { fail: true } }\n  b: { plugin: ./plugins/count, inputs: { in: "${stages.a.outputs.out}" } }\n');
    const { plan, store } = await planIn(p, 'r.yaml', join(p.dir, 'runs'));
    const jobs = await submitPlan(p, plan, store, 'fail');
    const final = await client().follow([...jobs.values()].map((j) => j.job), { minIntervalMs: 200, maxIntervalMs: 1000 });
    expect(final.get(jobs.get('a')!.job)!.state).toMatchObject({ verdict: 'FAILED', exitCode: 1 });
    expect(final.get(jobs.get('b')!.job)!.state).toMatchObject({ verdict: 'CANCELLED', reason: 'DependencyNeverSatisfied' });
    expect(await d.spec.readJobResult(jobs.get('a')!.result)).toMatchObject({ outcome: 'failed', error: 'a failed on purpose' });
    expect(p.executions()).toEqual(['a']);
  });
});
