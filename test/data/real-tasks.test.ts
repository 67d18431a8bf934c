import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listTaskFolders, loadTaskFolder } from '../../src/lib/data/task-folder.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';

const ROOT = SHARED_TASKS;

// Validates every row of every split of the shared real datasets (read in place, never copied).
describe.skipIf(SKIP_WITHOUT_SHARED)('shared real task folders', () => {
  it('every task folder loads and validates', async () => {
    const dirs = await listTaskFolders(ROOT);
    expect(dirs.length).toBeGreaterThanOrEqual(25);
    for (const dir of dirs) {
      const { meta, splits } = await loadTaskFolder(dir);
      expect(meta.name).toBe(basename(dir));
      for (const [split, rows] of Object.entries(splits)) expect(rows.length, `${meta.name}/${split}`).toBe(meta.splits[split]);
    }
  });
});
