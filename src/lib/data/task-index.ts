// index.json: the list of task folders in a directory, with what a report or evaluator needs
// to group them without opening each task.json.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from './errors.js';
import type { TaskCategory, TaskMeta, TaskMetric, TaskType } from './task.js';

export const INDEX_FILE = 'index.json';

export interface TaskIndexEntry {
  name: string;
  /** Folder name relative to the index's directory. */
  path: string;
  category: TaskCategory;
  type: TaskType;
  metric: TaskMetric;
  splits: Record<string, number>;
}

export interface TaskIndex {
  tasks: TaskIndexEntry[];
  /** LLM-R tasks the source folders did not have. */
  missing?: string[];
  /** Tasks of the source folders left out (not LLM-R tasks, not named). */
  skipped?: string[];
}

export function indexEntry(meta: TaskMeta, path = meta.name): TaskIndexEntry {
  return { name: meta.name, path, category: meta.category, type: meta.type, metric: meta.metric, splits: { ...meta.splits } };
}

/** Writes index.json (entries sorted by name, deterministic bytes). */
export async function writeTaskIndex(dir: string, entries: TaskIndexEntry[], extra: Omit<TaskIndex, 'tasks'> = {}): Promise<void> {
  const tasks = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await writeFile(join(dir, INDEX_FILE), JSON.stringify({ tasks, ...extra }, null, 2) + '\n');
}

export async function readTaskIndex(dir: string): Promise<TaskIndex> {
  const file = join(dir, INDEX_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, 0, code === 'ENOENT' ? 'file not found' : `invalid JSON: ${(e as Error).message}`);
  }
  const tasks = (raw as TaskIndex | null)?.tasks;
  if (!Array.isArray(tasks)) throw new DataError(file, 0, '"tasks" must be an array');
  const missing = (raw as TaskIndex).missing;
  const skipped = (raw as TaskIndex).skipped;
  return { tasks, ...(Array.isArray(missing) ? { missing } : {}), ...(Array.isArray(skipped) ? { skipped } : {}) };
}
