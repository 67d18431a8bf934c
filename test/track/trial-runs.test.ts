// A sweep's trial runs end as their nodes did: FAILED when one of its nodes failed, KILLED when
// the run was interrupted before the trial's nodes ended, FINISHED otherwise; a node shared by
// very many trials names them in a tag that stays under MLflow's limit.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMlflowContractServer, type MlflowContractServer } from '../contract/mlflow-contract-server.js';
import { createTracker } from '../../src/track/index.js';
import { trialList } from '../../src/track/sweep-runs.js';
import { FAST_RETRY, collectWarnings, nodeInfo, runInfo, serverCachedList } from './helpers.js';
import { nodeId } from '../../src/util/ids.js';
import { at } from '../util/at.js';

let server: MlflowContractServer;
let runsDir: string;
beforeAll(async () => { server = await startMlflowContractServer(); });
afterAll(async () => { await server.stop(); });
beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'retort-trials-'));
  return () => rm(runsDir, { recursive: true, force: true });
});

const trial = (id: string, nodes: string[]) => ({ id, assignments: { 'vars.seed': Number(id.slice(5)) }, vars: { seed: Number(id.slice(5)) }, tags: {}, nodes: nodes.map(nodeId) });
const sweep = { id: 'sw1', trials: [trial('seed=1', ['data', 'train[seed=1]']), trial('seed=2', ['data', 'train[seed=2]']), trial('seed=3', ['data', 'train[seed=3]'])] };

describe('trial runs', () => {
  it('end failed, killed or finished as their nodes did', async () => {
    const { warn, messages } = collectWarnings();
    const t = createTracker({ enabled: true, uri: server.url, experiment: 'x' }, { runsDir, env: {}, warn, retry: FAST_RETRY, flushIntervalMs: 0 });
    await t.runStarted(runInfo({ sweep }, { experiment: 'trial-ends' }));
    await t.nodeCached(nodeInfo('data'), undefined, [{ name: 'rows', value: 7, step: 0, timestamp: 1 }]);
    for (const [id, status] of [['train[seed=1]', 'ok'], ['train[seed=2]', 'failed']] as const) {
      await t.nodeStarted(nodeInfo(id));
      await t.nodeFinished(nodeInfo(id), { status, metrics: [{ name: 'loss', value: 0.5, step: 3, timestamp: 2 }], startedAt: 1, endedAt: 2 });
    }
    // seed=3's node started, then the run was interrupted.
    await t.nodeStarted(nodeInfo('train[seed=3]'));
    await t.runFinished({ status: 'cancelled', hits: 1, ran: 1, failed: 1, endedAt: 3 });
    await t.close();
    expect(messages).toEqual([]);
    const runs = server.runsOf('trial-ends');
    const status = (name: string) => runs.find((r) => r.runName === name)?.status;
    expect([status('seed=1'), status('seed=2'), status('seed=3')]).toEqual(['FINISHED', 'FAILED', 'KILLED']);
    const first = runs.find((r) => r.runName === 'seed=1')!;
    expect(first.metrics.map((m) => [m.key, m.value]).sort()).toEqual([['data/rows', 7], ['train.seed_1/loss', 0.5]]);
    expect(first.tags.get('retort.cached')).toBe('1');
    expect(serverCachedList(server, first)).toEqual(new Map([['data', ['key-data', '']]]));
  });

  it('closed without an end (the process going down), keep the end their nodes gave them', async () => {
    const { warn } = collectWarnings();
    const t = createTracker({ enabled: true, uri: server.url, experiment: 'x' }, { runsDir, env: {}, warn, retry: FAST_RETRY, flushIntervalMs: 0 });
    await t.runStarted(runInfo({ sweep: { id: 'sw3', trials: [trial('seed=1', ['data']), trial('seed=2', ['data', 'train[seed=2]'])] } }, { experiment: 'trial-close' }));
    await t.nodeCached(nodeInfo('data'), undefined, []);
    await t.close();
    const status = (name: string) => server.runsOf('trial-close').find((r) => r.runName === name)?.status;
    expect([status('seed=1'), status('seed=2')]).toEqual(['FINISHED', 'KILLED']);
  });

  it('finish with the run when every node of theirs was heard', async () => {
    const { warn } = collectWarnings();
    const t = createTracker({ enabled: true, uri: server.url, experiment: 'x' }, { runsDir, env: {}, warn, retry: FAST_RETRY, flushIntervalMs: 0 });
    await t.runStarted(runInfo({ sweep: { id: 'sw2', trials: [trial('seed=1', ['data'])] } }, { experiment: 'trial-finish' }));
    await t.nodeCached(nodeInfo('data'), undefined, []);
    await t.runFinished({ status: 'ok', hits: 1, ran: 0, failed: 0, endedAt: 5000 });
    await t.close();
    const run = at(server.runsOf('trial-finish').filter((r) => r.runName === 'seed=1'), 0);
    expect(run.status).toBe('FINISHED');
    expect(run.endTime).toBe(5000);
    expect(Object.fromEntries(run.tags)).toMatchObject({ 'retort.status': 'ok', 'retort.hits': '1', 'retort.ran': '0' });
  });
});

describe('the trials of a shared node as a tag', () => {
  it('lists them all when they fit, else the first ones and how many more', () => {
    expect(trialList(['a=1', 'a=2'])).toBe('a=1; a=2');
    const many = Array.from({ length: 2000 }, (_, i) => `alpha=${i},seed=${i % 3}`);
    const text = trialList(many);
    expect(text.length).toBeLessThan(5000);
    expect(text).toMatch(/^alpha=0,seed=0; alpha=1,seed=1; .*; … \(\d+ more\)$/);
  });
});
