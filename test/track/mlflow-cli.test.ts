// `retort mlflow sync|status` on a spool left by a run whose server was down.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer } from '../contract/mlflow-contract-server.js';
import { command } from '../../src/cli/commands/mlflow.js';
import { createTracker } from '../../src/track/index.js';
import { FAST_RETRY, nodeInfo, runInfo } from './helpers.js';

let server: MlflowContractServer;
let cwd: string;

beforeEach(async () => {
  server = await startMlflowContractServer();
  cwd = await mkdtemp(join(tmpdir(), 'retort-cli-'));
});
afterEach(async () => {
  await server.stop();
  await rm(cwd, { recursive: true, force: true });
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await command.run(args, { stdout, stderr, cwd, env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.001', ...env } });
  return { code, out, err };
}

async function spooledRun(): Promise<void> {
  await server.stop();
  const t = createTracker({ enabled: true, uri: server.url, experiment: 'cli' }, { runsDir: join(cwd, 'runs'), env: {}, warn: () => {}, retry: FAST_RETRY, flushIntervalMs: 0 });
  await t.runStarted(runInfo({}, { experiment: 'cli' }));
  const n = nodeInfo('n');
  await t.nodeStarted(n);
  t.nodeMetric(n, { name: 'm', value: 1, step: 0, timestamp: 1 });
  await t.nodeFinished(n, { status: 'ok', metrics: [], startedAt: 0, endedAt: 1 });
  await t.runFinished({ status: 'ok', hits: 0, ran: 1, failed: 0, endedAt: 2 });
  await t.close();
}

describe('retort mlflow', () => {
  it('shows pending records, fails to sync while the server is down, then syncs', async () => {
    await spooledRun();
    const status = await cli(['status'], { MLFLOW_TRACKING_PASSWORD: 'hidden-pw', MLFLOW_TRACKING_URI: `http://u:hidden-pw@127.0.0.1:1` });
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/\d+ operation\(s\) pending in 1 journal/);
    expect(status.out).toContain('MLFLOW_TRACKING_PASSWORD=***');
    expect(status.out).not.toContain('hidden-pw');

    const down = await cli(['sync']);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/NETWORK_ERROR/);

    await server.start();
    const ok = await cli(['sync', '--runs-dir', 'runs']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/delivered, 0 rejected, 0 pending/);
    expect(server.runsOf('cli')).toHaveLength(2);
    expect((await cli(['status'])).out).toMatch(/0 operation\(s\) pending in 0 journal/);
    expect((await cli(['sync'])).out).toMatch(/nothing to sync/);
  });

  it('sends to another server with --uri', async () => {
    await spooledRun();
    const other = await startMlflowContractServer();
    try {
      const res = await cli(['sync', `--uri=${other.url}`]);
      expect(res.code).toBe(0);
      expect(other.runsOf('cli')).toHaveLength(2);
    } finally {
      await other.stop();
    }
  });

  it('rejects usage errors with exit code 2', async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(['push'])).code).toBe(2);
    expect((await cli(['sync', '--runs-dir'])).code).toBe(2);
    expect((await cli(['sync', '--bogus'])).code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('retort mlflow sync');
  });
});
