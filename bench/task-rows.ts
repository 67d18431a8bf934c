// A loaded task folder's rows of one split, for the benches that read built-in or materialised tasks.
import type { LoadedTask } from '../src/lib/data/task-folder.js';
import type { TaskRow } from '../src/lib/data/task.js';

/** The rows of `split`; an error naming the task when it has no such split. */
export function splitRows(task: LoadedTask, split: string): TaskRow[] {
  const rows = task.splits[split];
  if (rows === undefined) throw new Error(`task ${task.meta.name} has no ${split} split (has ${Object.keys(task.splits).join(', ') || 'none'})`);
  return rows;
}
