// Where the real task folders are: beside the checkout (as in CI), else the development machine's copy.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const candidates = [join(repo, '..', 'shared', 'data', 'tasks'), '/work/shared/data/tasks'];

export const SHARED_TASKS = candidates.find((c) => existsSync(c)) ?? candidates[0];
