// One operation's retries are bounded in time, and requests its retries make are not retried on their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer } from '../contract/mlflow-contract-server.js';
import { HttpTransport } from '../../src/track/http-transport.js';
import { MlflowRestClient } from '../../src/track/mlflow-rest.js';
import { MlflowError } from '../../src/track/mlflow-error.js';
import { retryPolicyFromEnv } from '../../src/track/retry.js';

let server: MlflowContractServer;
beforeAll(async () => { server = await startMlflowContractServer(); });
afterAll(async () => { await server.stop(); });

/** A client whose back-off sleeps advance a fake clock instead of waiting. */
function fakeClockClient(budgetMs: number) {
  let clock = 0;
  const transport = new HttpTransport({
    trackingUri: server.url, env: {},
    retry: { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 8000, jitterMs: 0, timeoutMs: 5000, budgetMs },
    sleep: async (ms) => { clock += ms; },
    now: () => clock,
  });
  return { client: new MlflowRestClient(transport), elapsed: () => clock };
}

describe('retry budget', () => {
  it('a log-batch during a 503 window gives up within the budget; get-history inside its retries is sent once per retry', async () => {
    const { client, elapsed } = fakeClockClient(10_000);
    const exp = await client.getOrCreateExperiment('budget');
    const { runId } = await client.createRun({ experimentId: exp, runName: 'r', startTime: 1, tags: [] });
    const mark = server.requests.length;
    server.failNext(50, { status: 503 }); // more than any bounded retry sends
    let caught: unknown;
    try { await client.logBatch(runId, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] }); } catch (e) { caught = e; }
    const sent = server.requests.slice(mark).map((r) => r.path.replace('/api/2.0/mlflow/', ''));
    expect(caught).toBeInstanceOf(MlflowError);
    expect((caught as MlflowError).status).toBe(503);
    // Back-offs of 1, 1, 2 and 4 s fit in 10 s; the next (8 s) would end past it.
    expect(elapsed()).toBe(8000);
    expect(sent).toEqual(['runs/log-batch', ...Array(4).fill('metrics/get-history')]);
  });

  it('RETORT_MLFLOW_RETRY_BUDGET sets the budget in seconds', () => {
    expect(retryPolicyFromEnv({ RETORT_MLFLOW_RETRY_BUDGET: '4' }).budgetMs).toBe(4000);
    expect(retryPolicyFromEnv({}).budgetMs).toBe(15_000);
  });
});
