// The train pools of a tasks directory as retrieval sees them: per task its rows, the query text x
// of every row and the demonstration text x ‖ "\n" ‖ y of every train row, rendered by the task
// registry as the bm25 and retriever stages render them.

import { DataError } from '../data/errors.js';
import type { TaskRow } from '../data/task.js';
import { listTaskFolders, loadTaskFolder, splitFile, type LoadedTask } from '../data/task-folder.js';
import { renderDemonstration, renderQuery, taskSpecFor } from '../tasks/registry.js';

export interface TaskPool {
  name: string;
  /** The task folder. */
  dir: string;
  task: LoadedTask;
  /** The train rows: the pool. */
  pool: TaskRow[];
  /** Query text x of each pool row, in pool order. */
  poolQueries: string[];
  /** Demonstration text x ‖ "\n" ‖ y of each pool row, in pool order. */
  demonstrations: string[];
  /** Query text → the pool rows that have it (for excluding duplicates of a query). */
  rowsByQuery: Map<string, number[]>;
}

/** The query texts of a split's rows (empty when the task has no such split). */
export function splitQueries(p: TaskPool, split: string): { rows: TaskRow[]; texts: string[] } {
  const rows = p.task.splits[split] ?? [];
  const spec = taskSpecFor(p.task.meta);
  return { rows, texts: rows.map((r) => renderQuery(spec, r)) };
}

/**
 * Loads every task folder under `root`. A task whose train pool is empty is an error naming its
 * train.jsonl (`stage` says who needs the pool), as is a directory without task folders.
 */
export async function loadTaskPools(root: string, stage: string): Promise<TaskPool[]> {
  const out: TaskPool[] = [];
  for (const dir of await listTaskFolders(root)) {
    const task = await loadTaskFolder(dir);
    const pool = task.splits.train ?? [];
    if (pool.length === 0) throw new DataError(splitFile(dir, 'train'), 0, `task ${task.meta.name} has an empty train pool: the ${stage} stage has nothing to draw demonstrations from`);
    const spec = taskSpecFor(task.meta);
    const poolQueries = pool.map((r) => renderQuery(spec, r));
    const rowsByQuery = new Map<string, number[]>();
    poolQueries.forEach((q, i) => {
      const list = rowsByQuery.get(q);
      if (list) list.push(i);
      else rowsByQuery.set(q, [i]);
    });
    out.push({ name: task.meta.name, dir, task, pool, poolQueries, demonstrations: pool.map((r) => renderDemonstration(spec, r)), rowsByQuery });
  }
  if (out.length === 0) throw new DataError(root, 0, 'no task folders');
  return out;
}
