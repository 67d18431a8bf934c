import { afterEach, expect, it } from 'vitest';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deleteRunRecord, listRunRecords, readRunRecord, writeRunRecord, type RunRecord } from '../../src/store/runs.js';
import { keyOf, removeDir, tempDir } from './helpers.js';

const bases: string[] = [];
afterEach(async () => {
  for (const b of bases.splice(0)) await removeDir(b);
});

function record(runId: string, startedAt: number, over: Partial<RunRecord> = {}): RunRecord {
  return {
    runId, recipe: 'recipes/x.yaml', recipeName: 'x', argv: ['run', 'recipes/x.yaml'], startedAt, status: 'ok',
    nodes: [{ id: 'train', stage: 'train', key: keyOf(runId), outcome: 'ran', durationMs: 12 }],
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
