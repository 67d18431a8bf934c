import { afterEach, expect, it } from 'vitest';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { thisMachine } from '../../src/store/fsutil.js';
import { clearRunning, deleteRunRecord, listRunRecords, markRunning, readRunRecord, reapKilledRuns, writeRunRecord, type RunningMarker, type RunRecord } from '../../src/store/runs.js';
import { keyOf, removeDir, tempDir } from './helpers.js';
import { nodeId } from '../../src/util/ids.js';

const bases: string[] = [];
afterEach(async () => {
  for (const b of bases.splice(0)) await removeDir(b);
});

function record(runId: string, startedAt: number, over: Partial<RunRecord> = {}): RunRecord {
  return {
    runId, recipe: 'recipes/x.yaml', recipeName: 'x', argv: ['run', 'recipes/x.yaml'], startedAt, status: 'ok',
    nodes: [{ id: nodeId('train'), stage: 'train', key: keyOf(runId), outcome: 'ran', durationMs: 12 }],
    ...over,
  };
}

it('writes, reads, lists newest first and deletes run records', async () => {
  const runsDir = await tempDir();
  bases.push(runsDir);
  expect(await listRunRecords(runsDir)).toEqual([]);
  await writeRunRecord(runsDir, record('r1', 100));
  await writeRunRecord(runsDir, record('r3', 300, { status: 'running' }));
  await writeRunRecord(runsDir, record('r2', 200));
  // Updating a record replaces it whole.
  await writeRunRecord(runsDir, record('r3', 300, { status: 'failed', endedAt: 400 }));
  expect((await listRunRecords(runsDir)).map((r) => r.runId)).toEqual(['r3', 'r2', 'r1']);
  expect(await readRunRecord(runsDir, 'r3')).toEqual(record('r3', 300, { status: 'failed', endedAt: 400 }));
  expect(await readRunRecord(runsDir, 'missing')).toBeUndefined();
  // No temp files are left behind by atomic writes.
  expect((await readdir(join(runsDir, 'records'))).sort()).toEqual(['r1.json', 'r2.json', 'r3.json']);
  await deleteRunRecord(runsDir, 'r2');
  expect((await listRunRecords(runsDir)).map((r) => r.runId)).toEqual(['r3', 'r1']);
});

it('skips unreadable records and rejects unsafe run ids', async () => {
  const runsDir = await tempDir();
  bases.push(runsDir);
  await writeRunRecord(runsDir, record('ok', 1));
  await writeFile(join(runsDir, 'records', 'broken.json'), '{"runId": ');
  expect((await listRunRecords(runsDir)).map((r) => r.runId)).toEqual(['ok']);
  expect(await readRunRecord(runsDir, 'broken')).toBeUndefined();
  await expect(writeRunRecord(runsDir, record('../escape', 1))).rejects.toThrow(/invalid run id/);
});

it('running markers: a run whose process is gone (dead pid, or a new boot) is reaped as killed; others are left', async () => {
  const runsDir = await tempDir();
  bases.push(runsDir);
  const { spawnSync } = await import('node:child_process');
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!; // exited already
  const me = thisMachine();
  const marker = (runId: string, over: Partial<RunningMarker>) =>
    writeFile(join(runsDir, 'records', `.running-${runId}.json`), JSON.stringify({ runId, pid: process.pid, host: me.host, bootId: me.bootId, ...over }));
  for (const id of ['dead', 'reboot', 'alive', 'remote']) await writeRunRecord(runsDir, record(id, 100, { status: 'running' }));
  await markRunning(runsDir, 'alive', { trackingUri: 'file:///tmp/mlruns' });
  await marker('dead', { pid: deadPid, trackingUri: 'file:///tmp/mlruns' });
  await marker('reboot', { bootId: 'another-boot' });
  await marker('remote', { host: 'elsewhere', pid: deadPid });

  const reaped = await reapKilledRuns(runsDir);
  expect(reaped.map((m) => m.runId).sort()).toEqual(['dead', 'reboot']);
  expect(reaped.find((m) => m.runId === 'dead')).toMatchObject({ pid: deadPid, trackingUri: 'file:///tmp/mlruns' });
  expect((await readRunRecord(runsDir, 'dead'))?.status).toBe('killed');
  expect((await readRunRecord(runsDir, 'dead'))?.endedAt).toBeGreaterThan(0);
  expect((await readRunRecord(runsDir, 'alive'))?.status).toBe('running');
  expect((await readRunRecord(runsDir, 'remote'))?.status).toBe('running');
  // Markers are not records, and reaped ones are gone.
  expect((await listRunRecords(runsDir)).map((r) => r.runId).sort()).toEqual(['alive', 'dead', 'reboot', 'remote']);
  expect((await readdir(join(runsDir, 'records'))).filter((f) => f.startsWith('.running-')).sort()).toEqual(['.running-alive.json', '.running-remote.json']);
  await clearRunning(runsDir, 'alive');
  expect(await reapKilledRuns(runsDir)).toEqual([]);
});
