import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer } from '../contract/mlflow-contract-server.js';
import { MlflowError } from '../../src/track/mlflow-error.js';
import type { MlflowRestClient } from '../../src/track/mlflow-rest.js';
import { restClient } from './helpers.js';

let server: MlflowContractServer;
let client: MlflowRestClient;
let tmp: string;

beforeAll(async () => {
  server = await startMlflowContractServer();
  client = restClient(server.url);
  tmp = await mkdtemp(join(tmpdir(), 'retort-rest-'));
});
afterAll(async () => {
  await server.stop();
  await rm(tmp, { recursive: true, force: true });
});
afterEach(() => server.requireAuth(null));

async function newRun(name = 'r'): Promise<string> {
  const exp = await client.getOrCreateExperiment('rest-tests');
  return (await client.createRun({ experimentId: exp, runName: name, startTime: 1000, tags: [] })).runId;
}

function batchRequests(since: number) {
  return server.requests.slice(since).filter((r) => r.path.endsWith('/runs/log-batch'));
}

const metrics = (n: number, key = 'm') => Array.from({ length: n }, (_, i) => ({ key, value: i, timestamp: 1000 + i, step: i }));
const params = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: String(i) }));

describe('log-batch chunking', () => {
  it('sends 1000 metrics in one request and 1001 in two', async () => {
    const runId = await newRun();
    let mark = server.requests.length;
    expect(await client.logBatch(runId, { metrics: metrics(1000, 'a') })).toBe(1);
    expect(batchRequests(mark)).toHaveLength(1);
    mark = server.requests.length;
    expect(await client.logBatch(runId, { metrics: metrics(1001, 'b') })).toBe(2);
    const reqs = batchRequests(mark);
    expect(reqs.map((r) => (r.json as { metrics: unknown[] }).metrics.length)).toEqual([1000, 1]);
    expect(reqs.every((r) => r.status === 200)).toBe(true);
    expect(server.runs.get(runId)!.metrics).toHaveLength(2001);
  });

  it('sends 100 params in one request and 101 in two', async () => {
    const runId = await newRun();
    let mark = server.requests.length;
    await client.logBatch(runId, { params: params(100) });
    expect(batchRequests(mark)).toHaveLength(1);
    const other = await newRun();
    mark = server.requests.length;
    await client.logBatch(other, { params: params(101) });
    expect(batchRequests(mark).map((r) => (r.json as { params: unknown[] }).params.length)).toEqual([100, 1]);
    expect(server.runs.get(other)!.params.size).toBe(101);
  });

  it('packs metrics beside params and tags up to 1000 entities', async () => {
    const runId = await newRun();
    const mark = server.requests.length;
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
    await client.logBatch(runId, { params: params(100), tags, metrics: metrics(900) });
    const reqs = batchRequests(mark).map((r) => r.json as { metrics?: unknown[]; params?: unknown[]; tags?: unknown[] });
    expect(reqs.map((r) => [r.metrics?.length ?? 0, r.params?.length ?? 0, r.tags?.length ?? 0])).toEqual([[800, 100, 100], [100, 0, 0]]);
  });

  it('splits a batch whose body would exceed 1 MB', async () => {
    const runId = await newRun();
    const mark = server.requests.length;
    // 100 tags of 5000 three-byte characters: 1.5 MB in one request.
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `big${i}`, value: '€'.repeat(5000) }));
    await client.logBatch(runId, { tags });
    const reqs = batchRequests(mark);
    expect(reqs.length).toBeGreaterThan(1);
    expect(reqs.every((r) => r.status === 200 && r.bytes <= 1_000_000)).toBe(true);
    expect(server.runs.get(runId)!.tags.get('big99')).toHaveLength(5000);
  });
});

describe('encoding', () => {
  it('sends NaN and ±Infinity as strings and reads them back', async () => {
    const runId = await newRun();
    const mark = server.requests.length;
    await client.logBatch(runId, {
      metrics: [
        { key: 'nan', value: NaN, timestamp: 1, step: 0 },
        { key: 'inf', value: Infinity, timestamp: 1, step: 0 },
        { key: 'ninf', value: -Infinity, timestamp: 1, step: 0 },
      ],
    });
    const sent = (batchRequests(mark)[0]!.json as { metrics: { value: unknown }[] }).metrics.map((m) => m.value);
    expect(sent).toEqual(['NaN', 'Infinity', '-Infinity']);
    expect((await client.getMetricHistory(runId, 'nan'))[0]!.value).toBeNaN();
    expect((await client.getMetricHistory(runId, 'ninf'))[0]!.value).toBe(-Infinity);
  });
});

describe('auth', () => {
  it('sends Basic dXNlcjpwYXNz for user/pass, and basic wins over the token', async () => {
    server.requireAuth({ basic: { username: 'user', password: 'pass' } });
    const c = restClient(server.url, { MLFLOW_TRACKING_USERNAME: 'user', MLFLOW_TRACKING_PASSWORD: 'pass', MLFLOW_TRACKING_TOKEN: 'tok-123' });
    const mark = server.requests.length;
    expect(await c.getExperimentByName('Default')).not.toBeNull();
    expect(server.requests[mark]!.headers.authorization).toBe('Basic dXNlcjpwYXNz');
  });

  it('sends a bearer token', async () => {
    server.requireAuth({ bearer: 'my-token' });
    const c = restClient(server.url, { MLFLOW_TRACKING_TOKEN: 'my-token' });
    const mark = server.requests.length;
    await c.getExperimentByName('Default');
    expect(server.requests[mark]!.headers.authorization).toBe('Bearer my-token');
  });

  it('uses credentials in the URI as Basic auth and never echoes them', async () => {
    server.requireAuth({ basic: { username: 'alice', password: 's3cr3t-pw' } });
    const uri = server.url.replace('http://', 'http://alice:s3cr3t-pw@');
    const c = restClient(uri);
    expect(c.trackingUri).toBe(server.url);
    expect(await c.getExperimentByName('Default')).not.toBeNull();
    server.requireAuth({ basic: { username: 'alice', password: 'other' } });
    const err = await c.getExperimentByName('Default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('UNAUTHENTICATED');
    expect((err as MlflowError).status).toBe(401);
    expect(String((err as Error).message)).not.toContain('s3cr3t-pw');
  });
});

describe('retries', () => {
  it('retries a 503 and then succeeds', async () => {
    const mark = server.requests.length;
    server.failNext(1, { status: 503 });
    expect(await client.getExperimentByName('Default')).not.toBeNull();
    expect(server.requests.slice(mark).map((r) => r.status)).toEqual([503, 200]);
  });

  it('waits for Retry-After on 429', async () => {
    const mark = server.requests.length;
    server.failNext(1, { status: 429, retryAfter: '1' });
    const started = Date.now();
    await client.getExperimentByName('Default');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests.slice(mark).map((r) => r.status)).toEqual([429, 200]);
  });

  it('gives up after the configured attempts with the server error', async () => {
    const mark = server.requests.length;
    server.failNext(3, { status: 503 });
    const err = (await client.getExperimentByName('Default').catch((e: unknown) => e)) as MlflowError;
    expect(err).toBeInstanceOf(MlflowError);
    expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(server.requests.length - mark).toBe(3);
  });

  it('does not retry client errors', async () => {
    const runId = await newRun();
    const mark = server.requests.length;
    await client.logBatch(runId, { params: [{ key: 'p', value: '1' }] });
    const err = (await client.logBatch(runId, { params: [{ key: 'p', value: '2' }] }).catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.status).toBe(400);
    expect(server.requests.length - mark).toBe(2);
  });

  it('does not duplicate metric points when a retried batch had been applied', async () => {
    const runId = await newRun();
    server.failNext(1, { status: 503, applyFirst: true });
    await client.logBatch(runId, { metrics: metrics(5) });
    expect(server.runs.get(runId)!.metrics).toHaveLength(5);
  });

  it('times out a server that never answers, retrying within the bound', async () => {
    let seen = 0;
    const hanging = createServer(() => { seen++; });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    try {
      // Two timed-out attempts are enough to call the server down, whatever maxAttempts says.
      const c = restClient(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}`, {}, { maxAttempts: 5, timeoutMs: 100 });
      const err = (await c.getExperimentByName('x').catch((e: unknown) => e)) as MlflowError;
      expect(err.errorCode).toBe('TIMEOUT');
      expect(err.isUnreachable).toBe(true);
      expect(seen).toBe(2);
    } finally {
      hanging.closeAllConnections();
      await new Promise((r) => hanging.close(r));
    }
  });

  it('reports an unreachable server as NETWORK_ERROR without credentials', async () => {
    const down = await startMlflowContractServer();
    const url = down.url;
    await down.stop();
    const c = restClient(url.replace('http://', 'http://bob:hunter2-pw@'), { MLFLOW_TRACKING_TOKEN: 'tok-secret-9' }, { maxAttempts: 2 });
    const err = (await c.getExperimentByName('x').catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('NETWORK_ERROR');
    expect(err.isUnreachable).toBe(true);
    expect(err.message).not.toMatch(/hunter2|tok-secret|bob/);
  });
});

describe('errors', () => {
  it('maps MLflow error bodies to errorCode + status', async () => {
    expect(await client.getExperimentByName('does-not-exist')).toBeNull();
    const err = (await client.getRun('0123456789abcdef0123456789abcdef').catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/^RESOURCE_DOES_NOT_EXIST: Run with id=0123456789abcdef0123456789abcdef not found/);
    await client.createExperiment('twice');
    const dup = (await client.createExperiment('twice').catch((e: unknown) => e)) as MlflowError;
    expect(dup.errorCode).toBe('RESOURCE_ALREADY_EXISTS');
    expect(dup.status).toBe(400);
  });

  it('getOrCreateExperiment tolerates a concurrent creator', async () => {
    const ids = await Promise.all([client.getOrCreateExperiment('race'), client.getOrCreateExperiment('race')]);
    expect(ids[0]).toBe(ids[1]);
    expect([...server.experiments.values()].filter((e) => e.name === 'race')).toHaveLength(1);
  });
});

describe('artifacts', () => {
  it('PUTs to the mlflow-artifacts proxy path of the run', async () => {
    const exp = await client.getOrCreateExperiment('artifacts');
    const run = await client.createRun({ experimentId: exp, startTime: 1, tags: [] });
    expect(run.artifactUri).toBe(`mlflow-artifacts:/${exp}/${run.runId}/artifacts`);
    const mark = server.requests.length;
    await client.uploadArtifact(run.artifactUri!, 'notes/a b.txt', { content: 'hello' });
    const put = server.requests[mark]!;
    expect(put.method).toBe('PUT');
    expect(put.path).toBe(`/api/2.0/mlflow-artifacts/artifacts/${exp}/${run.runId}/artifacts/notes/a%20b.txt`);
    expect(put.headers['content-type']).toBe('text/plain');
    expect(server.artifacts.get(`${exp}/${run.runId}/artifacts/notes/a b.txt`)?.toString()).toBe('hello');
  });

  it('streams a large file', async () => {
    const exp = await client.getOrCreateExperiment('artifacts');
    const run = await client.createRun({ experimentId: exp, startTime: 1, tags: [] });
    const file = join(tmp, 'big.bin');
    await writeFile(file, Buffer.alloc(3_000_000, 7));
    await client.uploadArtifact(run.artifactUri!, 'big.bin', { file });
    expect(server.artifacts.get(`${exp}/${run.runId}/artifacts/big.bin`)?.length).toBe(3_000_000);
  });
});
