// A run's first value of a tag or param goes straight into its file (no temp file and rename: a
// no-op run of many cached nodes writes one tag each); a tag written again is replaced atomically.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/track/file-store-journal.js';
import { FileStoreBackend } from '../../src/track/file-store.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'retort-fresh-')); dirs.push(d); return d; };

describe('fresh files of the local store', () => {
  it('a fresh write needs no temp folder; an ordinary one does', () => {
    const dir = tempDir();
    const blocked = join(dir, 'not-a-folder');
    writeFileSync(blocked, '');
    applyOps([{ op: 'write', path: join(dir, 'tags', 'a'), content: 'x', tempDir: join(blocked, 'tmp'), fresh: true }]);
    expect(readFileSync(join(dir, 'tags', 'a'), 'utf8')).toBe('x');
    expect(() => applyOps([{ op: 'write', path: join(dir, 'tags', 'b'), content: 'y', tempDir: join(blocked, 'tmp') }])).toThrow();
  });

  it('a tag set again is replaced by a new file, never rewritten in place', async () => {
    const root = tempDir();
    const store = new FileStoreBackend(root);
    const run = await store.createRun({ experimentName: 'e', runName: 'r', startTime: 1, tags: [{ key: 'retort.shared/n', value: 'first' }], clientRunId: 'c' });
    const file = join(root, run.experimentId ?? '', run.runId ?? '', 'tags', 'retort.shared', 'n');
    const before = statSync(file).ino;
    await store.logBatch(run, { tags: [{ key: 'retort.shared/n', value: 'second' }] });
    expect(readFileSync(file, 'utf8')).toBe('second');
    expect(statSync(file).ino).not.toBe(before);
    await store.close();
  });
});
