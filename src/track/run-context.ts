// Facts about where a run was started, for MLflow's system tags: the git commit of the checkout
// containing cwd (read from .git directly: no git binary needed) and the OS user.

import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** HEAD commit of the git checkout containing `cwd`, or undefined (no checkout, no commit yet). */
export async function gitCommit(cwd: string): Promise<string | undefined> {
  const gitDir = await findGitDir(resolve(cwd));
  if (!gitDir) return undefined;
  const commonDir = await readText(join(gitDir, 'commondir'))
    .then((c) => (c ? resolve(gitDir, c.trim()) : gitDir));
  const head = (await readText(join(gitDir, 'HEAD')))?.trim();
  if (!head) return undefined;
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  for (const dir of [gitDir, commonDir]) {
    const loose = (await readText(join(dir, ref)))?.trim();
    if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return loose;
  }
  const packed = await readText(join(commonDir, 'packed-refs'));
  for (const line of packed?.split('\n') ?? []) {
    const [sha, name] = line.trim().split(/\s+/);
    if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
  }
  return undefined;
}

/** The `.git` directory for `dir` or an ancestor (a `.git` file points to a worktree's git dir). */
async function findGitDir(dir: string): Promise<string | undefined> {
  for (let current = dir; ; current = dirname(current)) {
    const dotGit = join(current, '.git');
    const info = await stat(dotGit).catch(() => undefined);
    if (info?.isDirectory()) return dotGit;
    if (info?.isFile()) {
      const target = /^gitdir:\s*(.+)$/m.exec((await readText(dotGit)) ?? '')?.[1]?.trim();
      if (target) return isAbsolute(target) ? target : resolve(current, target);
    }
    if (dirname(current) === current) return undefined;
  }
}

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

/**
 * The `mlflow.user` tag. Python uses MLFLOW_TRACKING_USERNAME first; Retort uses the OS user so that no
 * part of a credential ever lands in a tag.
 */
export function osUser(env: NodeJS.ProcessEnv): string {
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry (some containers).
  }
  return env.USER || env.LOGNAME || env.USERNAME || 'unknown';
}
