import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReservedFileStore } from '../../src/track/space-reserve.js';
import { createBackend, createTracker, trackingUriFor } from '../../src/track/index.js';
import { NoopObserver } from '../../src/track/noop-observer.js';
import { RestBackend } from '../../src/track/rest-backend.js';
import { collectWarnings, nodeInfo, runInfo } from './helpers.js';

let runsDir: string;
beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'retort-ct-'));
});
afterEach(async () => {
  await rm(runsDir, { recursive: true, force: true });
});

describe('createTracker', () => {
  it('does nothing when tracking is disabled', async () => {
    const t = createTracker({ enabled: false, experiment: 'e' }, { runsDir, env: {}, warn: () => {} });
    expect(t).toBeInstanceOf(NoopObserver);
    await t.runStarted(runInfo());
    expect(await t.nodeStarted(nodeInfo('a'))).toBeUndefined();
    expect(await readdir(runsDir)).toEqual([]);
  });

  it('prefers the recipe URI over MLFLOW_TRACKING_URI and picks the backend by scheme', async () => {
    expect(trackingUriFor({ enabled: true, experiment: 'e', uri: 'http://a' }, { MLFLOW_TRACKING_URI: 'http://b' })).toBe('http://a');
    expect(trackingUriFor({ enabled: true, experiment: 'e', uri: '' }, { MLFLOW_TRACKING_URI: 'http://b' })).toBe('http://b');
    const opts = { runsDir, env: {}, warn: () => {} };
    expect(await createBackend({ enabled: true, experiment: 'e', uri: 'https://mlflow.example' }, opts)).toBeInstanceOf(RestBackend);
    const local = await createBackend({ enabled: true, experiment: 'e' }, opts);
    expect(local).toBeInstanceOf(ReservedFileStore);
    expect((local as ReservedFileStore).root).toBe(join(runsDir, 'mlruns'));
    const file = await createBackend({ enabled: true, experiment: 'e', uri: `file://${runsDir}/elsewhere` }, opts);
    expect((file as ReservedFileStore).root).toBe(join(runsDir, 'elsewhere'));
    for (const b of [local, file]) await b.close();
  });

  it('falls back to the local store with a warning for unsupported URIs', async () => {
    const { warn, messages } = collectWarnings();
    const backend = await createBackend({ enabled: true, experiment: 'e', uri: 'sqlite:///mlflow.db' }, { runsDir, env: {}, warn });
    expect(backend).toBeInstanceOf(ReservedFileStore);
    expect(messages[0]).toMatch(/not supported/);
    await backend.close();
  });

  it('turns tracking off with one warning when the TLS configuration is invalid', async () => {
    const { warn, messages } = collectWarnings();
    const env = { MLFLOW_TRACKING_INSECURE_TLS: 'true', MLFLOW_TRACKING_SERVER_CERT_PATH: '/x.pem' };
    const t = createTracker({ enabled: true, experiment: 'e', uri: 'https://127.0.0.1:9' }, { runsDir, env, warn });
    await t.runStarted(runInfo());
    expect(await t.nodeStarted(nodeInfo('a'))).toBeUndefined();
    await t.close();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/tracking is off/);
  });
});
