// Where the real task folders are: beside the checkout (as in CI), else the development machine's copy.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const besideCheckout = join(repo, '..', 'shared', 'data', 'tasks');

export const SHARED_TASKS = [besideCheckout, '/work/shared/data/tasks'].find((c) => existsSync(c)) ?? besideCheckout;

/**
 * Whether a test that needs something this machine lacks may skip: only outside CI. In CI
 * (`CI=true`) it runs and fails, so a missing install step or data folder never passes unnoticed.
 */
export function maySkip(missing: boolean): boolean {
  return missing && process.env.CI !== 'true';
}

/** Tests on the real task folders skip only outside CI when the folders are missing. */
export const SKIP_WITHOUT_SHARED = maySkip(!existsSync(SHARED_TASKS));
