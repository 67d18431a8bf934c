import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentHasher } from '../../src/graph/content-hash.js';
import { canonicalJson } from '../../src/util/canonical.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'retort-content-hash-'));
  dirs.push(d);
  return d;
}
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('content hashes of external inputs', () => {
  it('a folder hashes to its labelled file list: nested paths, links to files followed, links to folders not', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    mkdirSync(join(data, 'b', 'c'), { recursive: true });
    writeFileSync(join(data, 'a.txt'), 'alpha');
    writeFileSync(join(data, 'b', 'c', 'deep.txt'), 'deep');
    const big = Buffer.alloc(3 << 20, 7); // above the small-file size: hashed by streaming
    writeFileSync(join(data, 'b', 'big.bin'), big);
    writeFileSync(join(root, 'outside.txt'), 'linked');
    symlinkSync(join(root, 'outside.txt'), join(data, 'link.txt'));
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere', 'x.txt'), 'x');
    symlinkSync(join(root, 'elsewhere'), join(data, 'dirlink'));

    const got = await new ContentHasher().hashPath(data);
    const expected = { 'a.txt': sha('alpha'), 'b/big.bin': sha(big), 'b/c/deep.txt': sha('deep'), 'link.txt': sha('linked') };
    expect(got).toEqual({ kind: 'folder', sha256: sha(canonicalJson(expected)) });
    expect(await new ContentHasher().hashPath(join(data, 'a.txt'))).toEqual({ kind: 'file', sha256: sha('alpha') });
  });

  it('trusts its stat cache (kept in its file) until size, mtime or inode change', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    mkdirSync(data);
    const mtime = new Date(1_700_000_000_000); // whole seconds: restorable exactly
    for (let i = 0; i < 50; i++) {
      writeFileSync(join(data, `f${i}.txt`), `row ${i}`);
      utimesSync(join(data, `f${i}.txt`), mtime, mtime);
    }
    const cacheFile = join(root, 'cache', 'hashes.json');
    const first = new ContentHasher(cacheFile);
    const before = await first.hashPath(data);
    await first.save();

    // Same size, same mtime, same inode: a new process trusts the cached digest without reading.
    const f3 = join(data, 'f3.txt');
    writeFileSync(f3, 'row X');
    utimesSync(f3, mtime, mtime);
    const warm = new ContentHasher(cacheFile);
    expect(await warm.hashPath(data)).toEqual(before);

    // A new mtime: that file is read again and the digest follows its content.
    utimesSync(f3, new Date(), new Date(mtime.getTime() + 5000));
    const after = await warm.hashPath(data);
    writeFileSync(join(data, 'f3.txt'), 'row X');
    expect(after).toEqual(await new ContentHasher().hashPath(data));
    expect(after.sha256).not.toBe(before.sha256);
  });
});
