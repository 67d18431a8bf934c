// The folder Slurm of fake-slurm.mjs as commands on a PATH, for the compiled CLI to find.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPL = join(dirname(fileURLToPath(import.meta.url)), 'fake-slurm.mjs');

/** Writes sbatch, squeue, scancel and scontrol into `<dir>/bin`; the environment that puts them first on the PATH. */
export function writeFakeSlurm(dir: string): Record<string, string> {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const command of ['sbatch', 'squeue', 'scancel', 'scontrol']) {
    const path = join(bin, command);
    writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' '${IMPL}' ${command} "$@"\n`);
    chmodSync(path, 0o755);
  }
  return { PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_SLURM_DIR: dir };
}
