// MLFLOW_TRACKING_SERVER_CERT_PATH / MLFLOW_TRACKING_INSECURE_TLS through Node 20's fetch (undici dispatcher).

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport } from '../../src/track/http-transport.js';
import { MlflowError } from '../../src/track/mlflow-error.js';
import { MlflowRestClient } from '../../src/track/mlflow-rest.js';
import { tlsDispatcher } from '../../src/track/tls.js';
import { FAST_RETRY } from './helpers.js';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
const certPath = join(fixtures, 'tls-cert.pem');
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer({ key: readFileSync(join(fixtures, 'tls-key.pem')), cert: readFileSync(certPath) }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ experiment: { experiment_id: '7', name: 'tls', lifecycle_stage: 'active' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function clientFor(env: NodeJS.ProcessEnv): Promise<MlflowRestClient> {
  const dispatcher = await tlsDispatcher(env);
  return new MlflowRestClient(new HttpTransport({ trackingUri: url, env, retry: { ...FAST_RETRY, maxAttempts: 1 }, dispatcher }));
}

describe('TLS settings', () => {
  it('rejects an untrusted certificate by default', async () => {
    const err = (await (await clientFor({})).getExperimentByName('tls').catch((e: unknown) => e)) as MlflowError;
    expect(err).toBeInstanceOf(MlflowError);
    expect(err.errorCode).toBe('NETWORK_ERROR');
  });

  it('trusts the CA bundle in MLFLOW_TRACKING_SERVER_CERT_PATH', async () => {
    const exp = await (await clientFor({ MLFLOW_TRACKING_SERVER_CERT_PATH: certPath })).getExperimentByName('tls');
    expect(exp?.experimentId).toBe('7');
  });

  it('skips verification with MLFLOW_TRACKING_INSECURE_TLS=true', async () => {
    const exp = await (await clientFor({ MLFLOW_TRACKING_INSECURE_TLS: 'true' })).getExperimentByName('tls');
    expect(exp?.experimentId).toBe('7');
  });

  it('refuses both settings at once and a missing bundle, as configuration errors', async () => {
    await expect(tlsDispatcher({ MLFLOW_TRACKING_INSECURE_TLS: '1', MLFLOW_TRACKING_SERVER_CERT_PATH: certPath })).rejects.toThrow(/CONFIG_ERROR/);
    await expect(tlsDispatcher({ MLFLOW_TRACKING_SERVER_CERT_PATH: join(fixtures, 'missing.pem') })).rejects.toThrow(/cannot read/);
    expect(await tlsDispatcher({ MLFLOW_TRACKING_INSECURE_TLS: 'false' })).toBeUndefined();
  });
});
