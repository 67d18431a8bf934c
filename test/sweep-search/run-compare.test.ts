// The pieces behind `retort diff` and `retort runs`: node-by-node comparison and run lookup.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { changed, diffRuns, finalValues, type NodeSide } from '../../src/cli/run-diff.js';
import { findRun } from '../../src/cli/run-lookup.js';
import { formatDuration } from '../../src/cli/text-table.js';
import type { KeyStructure } from '../../src/graph/key.js';
import { writeRunRecord, type RunRecord } from '../../src/store/runs.js';
import type { Key } from '../../src/util/ids.js';

const structure = (params: Record<string, unknown>, inputs: KeyStructure['inputs'] = {}): KeyStructure => ({
  keyVersion: 1, plugin: { id: 'p', version: '1', codeDigest: 'd' }, params, inputs, env: {}, runtime: {},
});
const side = (id: string, key: string, s?: KeyStructure, metrics?: Record<string, number>): NodeSide => ({ id, stage: id, key: key as Key, outcome: 'ran', structure: s, metrics });

describe('run comparison', () => {
  it('takes each metric at its last step', () => {
    expect(finalValues([
      { name: 'loss', value: 3, step: 2 },
      { name: 'loss', value: 5, step: 1 },
      { name: 'acc', value: 0.5, step: 0 },
      { name: 'acc', value: 0.6, step: 0 },
    ])).toEqual({ loss: 3, acc: 0.6 });
  });

  it('compares nested params leaf by leaf, names other key changes, and nodes only one run has', () => {
    const a = [
      side('train', 'k1', structure({ opt: { lr: 0.1, wd: 0 }, steps: 10 }), { loss: 1 }),
      side('eval', 'k2', structure({}, { model: { node: 'k1' as Key, port: 'model' } }), { acc: 0.5 }),
      side('old', 'k3', structure({})),
    ];
    const b = [
      side('train', 'k4', structure({ opt: { lr: 0.2, wd: 0 }, steps: 10, warmup: 5 }), { loss: 0.8 }),
      side('eval', 'k5', structure({}, { model: { node: 'k4' as Key, port: 'model' } }), { acc: 0.5, f1: 0.4 }),
      side('new', 'k6', structure({})),
    ];
    const d = diffRuns(a, b);
    expect(d.params).toEqual([
      { node: 'train', param: 'opt.lr', a: 0.1, b: 0.2 },
      { node: 'train', param: 'warmup', a: undefined, b: 5 },
    ]);
    expect(d.other).toEqual([{ node: 'eval', paths: ['inputs.model'], upstream: ['train'] }]);
    expect(d.onlyA).toEqual(['old']);
    expect(d.onlyB).toEqual(['new']);
    expect(d.metrics.filter(changed)).toEqual([
      { node: 'train', metric: 'loss', a: 1, b: 0.8, delta: 0.8 - 1 },
      { node: 'eval', metric: 'f1', a: undefined, b: 0.4 },
    ]);
    expect(d.metrics.filter((m) => !changed(m))).toEqual([{ node: 'eval', metric: 'acc', a: 0.5, b: 0.5, delta: 0 }]);
  });

  it('a node whose entry is not stored is reported, not guessed', () => {
    const d = diffRuns([side('x', 'k1', structure({ v: 1 }))], [side('x', 'k2', undefined)]);
    expect(d.params).toEqual([]);
    expect(d.unknown).toEqual([{ node: 'x', missing: ['b'] }]);
    // Equal keys are equal params, entry or not.
    expect(diffRuns([side('x', 'k1')], [side('x', 'k1')]).unknown).toEqual([]);
  });

  it('formats durations as people read them', () => {
    expect([850, 12_340, 245_000, 7_380_000].map(formatDuration)).toEqual(['850ms', '12.3s', '4m05s', '2h03m']);
  });
});

describe('finding a run', () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'retort-find-run-'));
  const record = (runId: string, startedAt: number): RunRecord => ({ runId, recipe: '/r.yaml', recipeName: 'r', argv: [], startedAt, endedAt: startedAt + 1, status: 'ok', nodes: [] });

  it('takes a full id, a unique prefix, last and last~N', async () => {
    await expect(findRun(runsDir, 'last')).rejects.toThrow(/no runs are recorded/);
    await writeRunRecord(runsDir, record('20261201-100000-aaaaaa', 1));
    await writeRunRecord(runsDir, record('20261201-110000-bbbbbb', 2));
    await writeRunRecord(runsDir, record('20261202-090000-cccccc', 3));
    expect((await findRun(runsDir, '20261201-100000-aaaaaa')).runId).toBe('20261201-100000-aaaaaa');
    expect((await findRun(runsDir, '20261202')).runId).toBe('20261202-090000-cccccc');
    expect((await findRun(runsDir, 'last')).runId).toBe('20261202-090000-cccccc');
    expect((await findRun(runsDir, 'last~2')).runId).toBe('20261201-100000-aaaaaa');
    await expect(findRun(runsDir, 'last~3')).rejects.toThrow("no run 'last~3': only 3 runs are recorded");
    await expect(findRun(runsDir, '20261201')).rejects.toThrow("'20261201' matches 2 runs (20261201-110000-bbbbbb, 20261201-100000-aaaaaa); give more characters");
    await expect(findRun(runsDir, '20261201-110000-bbbbbc')).rejects.toThrow("no run '20261201-110000-bbbbbc'; did you mean '20261201-110000-bbbbbb'?");
    await expect(findRun(runsDir, '../etc')).rejects.toBeInstanceOf(UsageError);
  });
});
