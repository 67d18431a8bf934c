// Facts about where a run was started, for MLflow's system tags: the git commit of the checkout
// containing cwd (read from .git directly: no git binary needed) and the OS user. The few small
// reads are synchronous: awaited, each would cost a thread-pool round trip at every run's start.

import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** HEAD commit of the git checkout containing `cwd`, or undefined (no checkout, no commit yet). */
export async function gitCommit(cwd: string): Promise<string | undefined> {
  const gitDir = findGitDir(resolve(cwd));
  if (!gitDir) return undefined;
  const common = readText(join(gitDir, 'commondir'));
  const commonDir = common ? resolve(gitDir, common.trim()) : gitDir;
  const head = readText(join(gitDir, 'HEAD'))?.trim();
  if (!head) return undefined;
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  for (const dir of [gitDir, commonDir]) {
    const loose = readText(join(dir, ref))?.trim();
    if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return loose;
  }
  const packed = readText(join(commonDir, 'packed-refs'));
  for (const line of packed?.split('\n') ?? []) {
    const [sha, name] = line.trim().split(/\s+/);
    if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
  }
  return undefined;
}

/** The `.git` directory for `dir` or an ancestor (a `.git` file points to a worktree's git dir). */
function findGitDir(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    const dotGit = join(current, '.git');
    const info = statOrNothing(dotGit);
    if (info?.isDirectory()) return dotGit;
    if (info?.isFile()) {
      const target = /^gitdir:\s*(.+)$/m.exec(readText(dotGit) ?? '')?.[1]?.trim();
      if (target) return isAbsolute(target) ? target : resolve(current, target);
    }
    if (dirname(current) === current) return undefined;
  }
}

function statOrNothing(path: string): ReturnType<typeof statSync> {
  try { return statSync(path, { throwIfNoEntry: false }); } catch { return undefined; }
}

function readText(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
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
