// The Slurm cluster the tests run against: scripts/slurm-local.sh's (or any cluster SLURM_CONF names).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maySkip } from '../shared-data.js';
import { SlurmClient } from '../../src/exec/slurm/client.js';

const LOCAL_CONF = '/tmp/retort-slurm/slurm.conf';
export const SLURM_CONF = process.env.SLURM_CONF ?? (existsSync(LOCAL_CONF) ? LOCAL_CONF : undefined);
export const slurmEnv: NodeJS.ProcessEnv = { ...process.env, ...(SLURM_CONF ? { SLURM_CONF } : {}) };

export const HOW_TO_START = 'Slurm is not reachable; start the local cluster with `scripts/slurm-local.sh install && scripts/slurm-local.sh up` (as root), or set SLURM_CONF';

function reachable(): boolean {
  const ping = spawnSync('scontrol', ['ping'], { env: slurmEnv, encoding: 'utf8', timeout: 20_000 });
  return ping.status === 0 && /is UP/.test(ping.stdout);
}

export const SLURM_UP = reachable();
/** Outside CI these tests skip (saying why) when Slurm is not up; under CI=true they run and fail. */
export const SKIP_WITHOUT_SLURM = maySkip(!SLURM_UP);
if (SKIP_WITHOUT_SLURM) console.warn(`skipping Slurm tests: ${HOW_TO_START}`);

export const client = () => new SlurmClient({ env: slurmEnv });

/** A folder for job scripts' files; jobs here run on this machine, so any local folder is shared. */
export function jobDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `retort-slurm-${prefix}-`));
}
