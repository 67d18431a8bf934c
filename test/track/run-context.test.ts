import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitCommit, osUser } from '../../src/track/run-context.js';

const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);
let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'retort-git-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function repo(dir: string, head: string): Promise<string> {
  const git = join(dir, '.git');
  await mkdir(join(git, 'refs', 'heads'), { recursive: true });
  await writeFile(join(git, 'HEAD'), head);
  return git;
}

describe('gitCommit', () => {
  it('follows HEAD to a loose ref, from a sub-directory', async () => {
    const git = await repo(tmp, 'ref: refs/heads/main\n');
    await writeFile(join(git, 'refs', 'heads', 'main'), SHA + '\n');
    await mkdir(join(tmp, 'src', 'deep'), { recursive: true });
    expect(await gitCommit(join(tmp, 'src', 'deep'))).toBe(SHA);
  });

  it('reads packed-refs, a detached HEAD, and a worktree .git file', async () => {
    const git = await repo(tmp, 'ref: refs/heads/dev\n');
    await writeFile(join(git, 'packed-refs'), `# pack-refs with: peeled\n${SHA2} refs/heads/dev\n`);
    expect(await gitCommit(tmp)).toBe(SHA2);
    await writeFile(join(git, 'HEAD'), SHA + '\n');
    expect(await gitCommit(tmp)).toBe(SHA);

    const wtGit = join(git, 'worktrees', 'wt');
    await mkdir(wtGit, { recursive: true });
    await writeFile(join(wtGit, 'HEAD'), 'ref: refs/heads/dev\n');
    await writeFile(join(wtGit, 'commondir'), '../..\n');
    const wt = join(tmp, 'wt');
    await mkdir(wt);
    await writeFile(join(wt, '.git'), `gitdir: ${wtGit}\n`);
    expect(await gitCommit(wt)).toBe(SHA2);
  });

  it('gives undefined without a commit or outside a checkout', async () => {
    await repo(tmp, 'ref: refs/heads/main\n');
    expect(await gitCommit(tmp)).toBeUndefined();
    expect(await gitCommit('/')).toBeUndefined();
  });

  it('names the OS user, never the tracking username', () => {
    expect(osUser({ MLFLOW_TRACKING_USERNAME: 'tracking-user-x' })).not.toBe('tracking-user-x');
  });
});
