import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer } from '../contract/mlflow-contract-server.js';
import { collect, Project } from './harness.js';

const RECIPE = `
name: tracked
stages:
  a: { plugin: ./plugins/count, params: { value: 1 } }
  b:
    plugin: ./plugins/count
    foreach: [1, 2]
    inputs: { in: "\${stages.a.outputs.out}" }
    params: { value: "\${item}", sleepMs: "\${vars.sleep}" }
vars: { sleep: 0 }
`;

// Fail fast against a dead server: one attempt, short timeout.
const FAST = { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.01', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0', MLFLOW_HTTP_REQUEST_TIMEOUT: '2' };

let server: MlflowContractServer | undefined;
afterEach(async () => { await server?.stop(); server = undefined; });

const tag = (run: { tags: Map<string, string> }, key: string) => run.tags.get(key);

describe('tracking (end to end)', () => {
  it('logs a parent run and a nested run per executed node; a cached node links to the run that produced it', async () => {
    server = await startMlflowContractServer();
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const env = { ...FAST, MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: 'secret-token-123' };
    const first = await p.run(['run', 'r.yaml', '--plain'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const runs = [...server.runs.values()];
    const parents = runs.filter((r) => !tag(r, 'mlflow.parentRunId'));
    const children = runs.filter((r) => tag(r, 'mlflow.parentRunId'));
    expect(parents).toHaveLength(1);
    expect(children.map((r) => tag(r, 'retort.node')).sort()).toEqual(['a', 'b[1]', 'b[2]']);
    for (const c of children) {
      expect(tag(c, 'mlflow.parentRunId')).toBe(parents[0]!.runId);
      expect(tag(c, 'retort.key')).toMatch(/^[0-9a-f]{64}$/);
      expect(tag(c, 'retort.recipe')).toBe('tracked');
      expect(c.status).toBe('FINISHED');
    }
    const b2 = children.find((r) => tag(r, 'retort.node') === 'b[2]')!;
    expect(b2.params.get('value')).toBe('2');
    expect(b2.metrics.filter((m) => m.key === 'curve').map((m) => [m.step, m.value])).toEqual([[1, 1.5], [2, 3]]);
    // The token never leaks into what the server stores.
    expect(JSON.stringify([...server.runs.values()].map((r) => [...r.tags, ...r.params]))).not.toContain('secret-token-123');
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer secret-token-123')).toBe(true);

    const second = await p.run(['run', 'r.yaml', '--plain'], env);
    expect(second.code).toBe(0);
    const after = [...server.runs.values()];
    expect(after.filter((r) => tag(r, 'mlflow.parentRunId'))).toHaveLength(3); // no new child runs
    const parent2 = after.filter((r) => !tag(r, 'mlflow.parentRunId')).find((r) => r.runId !== parents[0]!.runId)!;
    expect(tag(parent2, 'retort.cached')).toBe('3');
    const list = server.artifacts.get(`${parent2.experimentId}/${parent2.runId}/artifacts/retort/cached.tsv`)?.toString();
    expect(list?.split('\n')).toContain(`b[2]\t${tag(b2, 'retort.key')}\t${b2.runId}`);
  });

  it('a server that goes away mid-run loses nothing: records are spooled, and `retort mlflow sync` delivers them once', async () => {
    server = await startMlflowContractServer();
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const env = { ...FAST, MLFLOW_TRACKING_URI: server.url };
    const child = p.start(['run', 'r.yaml', '--plain', '-j', '1', '-S', 'vars.sleep=600'], env);
    const done = collect(child);
    while (!p.executions().includes('b[1]')) await sleep(30);
    await server.stop();
    const res = await done;
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/warning: .*spool/i);
    const status = await p.run(['mlflow', 'status'], env);
    expect(status.stdout).toMatch(/: [1-9]\d* operation\(s\) pending/);
    const reminded = await p.run(['run', 'r.yaml', '--plain', '--no-track', '-S', 'vars.sleep=600'], env);
    expect(reminded.stdout).toMatch(/warning: \d+ tracking records? waiting in the spool: run `retort mlflow sync`/);

    await server.start();
    const sync = await p.run(['mlflow', 'sync'], env);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const runs = [...server.runs.values()];
    expect(runs.filter((r) => !tag(r, 'mlflow.parentRunId'))).toHaveLength(1);
    const children = runs.filter((r) => tag(r, 'mlflow.parentRunId'));
    expect(children.map((r) => tag(r, 'retort.node')).sort()).toEqual(['a', 'b[1]', 'b[2]']);
    for (const c of children) {
      expect(c.status).toBe('FINISHED');
      expect(c.metrics.filter((m) => m.key === 'total')).toHaveLength(1);
      expect(c.metrics.filter((m) => m.key === 'curve')).toHaveLength(2);
    }
    const posts = server.requests.filter((r) => r.method === 'POST').length;
    const again = await p.run(['mlflow', 'sync'], env);
    expect(again.code).toBe(0);
    expect(server.requests.filter((r) => r.method === 'POST').length).toBe(posts);
    expect((await p.run(['mlflow', 'status'], env)).stdout).toContain(': 0 operation(s) pending');
  });

  it('without a server, writes the MLflow file store under runs/mlruns', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const res = await p.run(['run', 'r.yaml']);
    expect(res.code, res.stderr).toBe(0);
    const mlruns = join(p.dir, 'runs', 'mlruns');
    const experiments = readdirSync(mlruns).filter((d) => /^\d+$/.test(d) && d !== '0');
    expect(experiments).toHaveLength(1);
    const expDir = join(mlruns, experiments[0]!);
    expect(readFileSync(join(expDir, 'meta.yaml'), 'utf8')).toMatch(/name: '?tracked'?/);
    const runs = readdirSync(expDir).filter((d) => /^[0-9a-f]{32}$/.test(d));
    expect(runs).toHaveLength(4);
    const withMetric = runs.filter((r) => existsSync(join(expDir, r, 'metrics', 'curve')));
    expect(withMetric).toHaveLength(3);
    const lines = readFileSync(join(expDir, withMetric[0]!, 'metrics', 'curve'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{13} [\d.]+ 1$/);
  });

  it('stores the rendered tables (Markdown, LaTeX, one CSV per table) as artifacts of the parent run', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE + 'report:\n  tables:\n    - { title: Curves by item, stage: b, row: item, metrics: [curve] }\n');
    const res = await p.run(['run', 'r.yaml', '--plain']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const mlruns = join(p.dir, 'runs', 'mlruns');
    const [experiment] = readdirSync(mlruns).filter((d) => /^\d+$/.test(d) && d !== '0');
    const expDir = join(mlruns, experiment!);
    const runs = readdirSync(expDir).filter((d) => /^[0-9a-f]{32}$/.test(d));
    const withTables = runs.filter((r) => existsSync(join(expDir, r, 'artifacts', 'tables')));
    expect(withTables).toHaveLength(1);
    const parent = join(expDir, withTables[0]!);
    expect(existsSync(join(parent, 'tags', 'mlflow.parentRunId'))).toBe(false);
    const files = readdirSync(join(parent, 'artifacts', 'tables')).sort();
    expect(files).toContain('tables.md');
    expect(files).toContain('tables.tex');
    expect(files.filter((f) => f.endsWith('.csv'))).toHaveLength(1);
    const markdown = readFileSync(join(parent, 'artifacts', 'tables', 'tables.md'), 'utf8');
    expect(markdown).toContain('Curves by item');
    expect(markdown).toMatch(/^\| *1 *\|/m);
  });

  it('--no-track and `track: {enabled: false}` log nothing; --track overrides the recipe', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    p.write('off.yaml', RECIPE + 'track: { enabled: false }\n');
    expect((await p.run(['run', 'r.yaml', '--no-track'])).code).toBe(0);
    expect((await p.run(['run', 'off.yaml'])).code).toBe(0);
    expect(existsSync(join(p.dir, 'runs', 'mlruns'))).toBe(false);
    expect((await p.run(['run', 'off.yaml', '--track'])).code).toBe(0);
    expect(existsSync(join(p.dir, 'runs', 'mlruns'))).toBe(true);
  });
  it('the runs of a run killed with SIGKILL are set KILLED on the server by the next run', async () => {
    server = await startMlflowContractServer();
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const env = { ...FAST, MLFLOW_TRACKING_URI: server.url };
    const child = p.start(['run', 'r.yaml', '--plain', '-j', '1', '-S', 'vars.sleep=5000'], env);
    const done = collect(child);
    while (!p.executions().some((id) => id.startsWith('b['))) await sleep(50);
    await sleep(200); // the node's MLflow run is created as it starts
    child.kill('SIGKILL');
    await done;
    const stuck = [...server.runs.values()].filter((r) => r.status === 'RUNNING');
    expect(stuck.length).toBe(2); // the parent and the node that was running

    const next = await p.run(['run', 'r.yaml', '--plain'], env);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toMatch(/warning: run \S+ ended without finishing \(its process \d+ is gone\): marked killed with its 2 MLflow runs/);
    for (const r of stuck) {
      const now = server.runs.get(r.runId)!;
      expect(now.status).toBe('KILLED');
      expect(now.endTime).toBeGreaterThan(0);
    }
    expect([...server.runs.values()].filter((r) => r.status === 'RUNNING')).toEqual([]);
  }, 30_000);
});
