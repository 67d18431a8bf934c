// The local store's space reserve: writes that fail for lack of space are kept, in order, and done
// when the backend closes (after the reserve is released); leftover reserves of dead processes go.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileStoreBackend } from '../../src/track/file-store.js';
import { RESERVE_BYTES, ReservedFileStore } from '../../src/track/space-reserve.js';

const dirs: string[] = [];
afterEach(() => { vi.restoreAllMocks(); for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('space reserve of the local store', () => {
  it('keeps writes that met a full disk and the ones after them, and does them in order at close', async () => {
    const root = mkdtempSync(join(tmpdir(), 'retort-reserve-'));
    dirs.push(root);
    const warnings: string[] = [];
    const store = await new ReservedFileStore(root, (m) => warnings.push(m)).open();
    const reserve = join(root, `.retort-space-reserve-${hostname()}-${process.pid}`);
    expect(readFileSync(reserve).length).toBe(RESERVE_BYTES);
    const run = await store.createRun({ experimentName: 'e', runName: 'n', startTime: 1, tags: [], clientRunId: 'c' });
    const real = FileStoreBackend.prototype.logBatch;
    const spy = vi.spyOn(FileStoreBackend.prototype, 'logBatch').mockImplementationOnce(async () => { throw diskFull(); });
    await store.logBatch(run, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] });
    spy.mockImplementation(real);
    await store.logBatch(run, { metrics: [{ key: 'm', value: 2, timestamp: 2, step: 1 }] });
    await store.updateRun(run, 'FINISHED', 3);
    const metricFile = join(root, run.experimentId!, run.runId!, 'metrics', 'm');
    expect(existsSync(metricFile)).toBe(false); // both kept: the second waits behind the first
    expect(warnings).toHaveLength(1);
    await store.close();
    expect(readFileSync(metricFile, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(1).join(' '))).toEqual(['1.0 0', '2.0 1']);
    expect(readFileSync(join(root, run.experimentId!, run.runId!, 'meta.yaml'), 'utf8')).toMatch(/status: 3/);
    expect(existsSync(reserve)).toBe(false);
  });

  it('removes the reserves of dead processes when it opens', async () => {
    const root = mkdtempSync(join(tmpdir(), 'retort-reserve-'));
    dirs.push(root);
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    writeFileSync(join(root, `.retort-space-reserve-${hostname()}-${dead}`), 'x');
    writeFileSync(join(root, `.retort-space-reserve-other-host-${dead}`), 'x'); // not ours to judge
    const store = await new ReservedFileStore(root).open();
    expect(readdirSync(root).filter((n) => n.startsWith('.retort-space-reserve-')).sort()).toEqual([`.retort-space-reserve-${hostname()}-${process.pid}`, `.retort-space-reserve-other-host-${dead}`].sort());
    await store.close();
  });
});
