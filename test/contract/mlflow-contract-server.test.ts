// The contract server must reject what MLflow rejects, or the client tests prove nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonNormpath, startMlflowContractServer, type MlflowContractServer } from './mlflow-contract-server.js';

let server: MlflowContractServer;
const api = (path: string) => `${server.url}/api/2.0/mlflow/${path}`;
// A byte body: fetch would add `text/plain` to a string body, hiding a missing Content-Type.
const post = (path: string, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  fetch(api(path), { method: 'POST', headers, body: new TextEncoder().encode(JSON.stringify(body)) });

beforeAll(async () => {
  server = await startMlflowContractServer();
});
afterAll(async () => {
  await server.stop();
});

async function newRun(): Promise<string> {
  const res = await post('runs/create', { experiment_id: '0', start_time: 1 });
  return ((await res.json()) as { run: { info: { run_id: string } } }).run.info.run_id;
}

describe('MLflow contract server', () => {
  it('listens on loopback and answers /health without auth', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/health`);
    expect(await res.text()).toBe('OK');
  });

  it('requires Content-Type: application/json on POST', async () => {
    const res = await post('experiments/create', { name: 'x' }, {});
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Bad Request. Content-Type header is missing.' });
    const wrong = await post('experiments/create', { name: 'x' }, { 'Content-Type': 'text/plain' });
    expect(wrong.status).toBe(400);
    const charset = await post('experiments/create', { name: 'charset-ok' }, { 'Content-Type': 'application/json; charset=utf-8' });
    expect(charset.status).toBe(200);
  });

  it('answers unknown experiment names with 404 RESOURCE_DOES_NOT_EXIST and duplicates with 400 RESOURCE_ALREADY_EXISTS', async () => {
    const res = await fetch(api('experiments/get-by-name?experiment_name=nope'));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error_code: string }).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await post('experiments/create', { name: 'dup' })).status).toBe(200);
    const again = await post('experiments/create', { name: 'dup' });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error_code: string }).error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('reports missing required fields the way MLflow words them', async () => {
    const res = await post('runs/log-batch', {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain("Missing value for required parameter 'run_id'");
    const runId = await newRun();
    const nullValue = await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: null, timestamp: 1, step: 0 }] });
    expect(((await nullValue.json()) as { message: string }).message).toContain("'metrics[0].value'");
  });

  it('enforces batch limits, key rules, duplicate and changed params', async () => {
    const runId = await newRun();
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i }));
    expect((await post('runs/log-batch', { run_id: runId, metrics })).status).toBe(400);
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    expect((await post('runs/log-batch', { run_id: runId, params })).status).toBe(400);
    for (const key of ['a//b', '/a', 'a/', '../a', 'a/./b', 'a[1]', 'x'.repeat(251)]) {
      const res = await post('runs/log-batch', { run_id: runId, tags: [{ key, value: 'v' }] });
      expect(res.status, key).toBe(400);
    }
    const dup = await post('runs/log-batch', { run_id: runId, params: [{ key: 'p', value: '1' }, { key: 'p', value: '1' }] });
    expect(((await dup.json()) as { message: string }).message).toContain('Duplicate parameter keys');
    expect((await post('runs/log-batch', { run_id: runId, params: [{ key: 'p', value: '1' }] })).status).toBe(200);
    expect((await post('runs/log-batch', { run_id: runId, params: [{ key: 'p', value: '1' }] })).status).toBe(200);
    const changed = await post('runs/log-batch', { run_id: runId, params: [{ key: 'p', value: '2' }] });
    expect(((await changed.json()) as { message: string }).message).toContain('Changing param values is not allowed');
    const long = await post('runs/log-batch', { run_id: runId, params: [{ key: 'q', value: 'x'.repeat(501) }] });
    expect(long.status).toBe(400);
  });

  it('omits empty fields and sends NaN as a string', async () => {
    const search = await post('runs/search', { experiment_ids: ['424242'] });
    expect(await search.json()).toEqual({});
    const runId = await newRun();
    await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: 'NaN', timestamp: 5, step: 1 }] });
    const hist = await fetch(api(`metrics/get-history?run_id=${runId}&metric_key=m`));
    expect(await hist.json()).toEqual({ metrics: [{ key: 'm', value: 'NaN', timestamp: 5, step: 1 }] });
    expect(await (await fetch(api(`metrics/get-history?run_id=${runId}&metric_key=other`))).json()).toEqual({});
  });

  it('requires auth when told to, with a plain-text 401', async () => {
    server.requireAuth({ basic: { username: 'u', password: 'p' } });
    try {
      const res = await fetch(api('experiments/get-by-name?experiment_name=Default'));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="mlflow"');
      const ok = await fetch(api('experiments/get-by-name?experiment_name=Default'), { headers: { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } });
      expect(ok.status).toBe(200);
    } finally {
      server.requireAuth(null);
    }
  });

  it('keeps its state across stop and restart on the same port', async () => {
    const runId = await newRun();
    const url = server.url;
    await server.stop();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await server.start();
    expect(server.url).toBe(url);
    const res = await fetch(api(`runs/get?run_id=${runId}`));
    expect(res.status).toBe(200);
  });

  it('implements Python normpath for the path-uniqueness rule', () => {
    expect(pythonNormpath('a//b')).toBe('a/b');
    expect(pythonNormpath('a/./b/')).toBe('a/b');
    expect(pythonNormpath('a/../b')).toBe('b');
    expect(pythonNormpath('../a')).toBe('../a');
    expect(pythonNormpath('a b/c')).toBe('a b/c');
  });
});
