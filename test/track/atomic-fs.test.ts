import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendLines, writeFileAtomic } from '../../src/track/atomic-fs.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'retort-atomic-'));
  dirs.push(d);
  return d;
}

describe('atomic file helpers', () => {
  it('write whole files through a temp file that never stays behind, many at once', async () => {
    const root = await tempDir();
    const run = join(root, 'run');
    await Promise.all(Array.from({ length: 200 }, (_, i) => writeFileAtomic(join(run, 'tags', `t${i}`), `v${i}`, run)));
    expect((await readdir(join(run, 'tags'))).length).toBe(200);
    expect(await readFile(join(run, 'tags', 't7'), 'utf8')).toBe('v7');
    expect((await readdir(run)).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('make a folder again when it was removed after an earlier write', async () => {
    const root = await tempDir();
    const run = join(root, 'run');
    await writeFileAtomic(join(run, 'tags', 'a'), '1', run);
    await appendLines(join(run, 'metrics', 'm'), '1 0.5 0\n');
    await rm(run, { recursive: true });
    await writeFileAtomic(join(run, 'tags', 'b'), '2', run);
    await appendLines(join(run, 'metrics', 'm'), '2 0.6 1\n');
    expect(await readFile(join(run, 'tags', 'b'), 'utf8')).toBe('2');
    expect(await readFile(join(run, 'metrics', 'm'), 'utf8')).toBe('2 0.6 1\n');
  });
});
