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
}

export function indexEntry(meta: TaskMeta, path = meta.name): TaskIndexEntry {
  return { name: meta.name, path, category: meta.category, type: meta.type, metric: meta.metric, splits: { ...meta.splits } };
}

/** Writes index.json (entries sorted by name, deterministic bytes). */
export async function writeTaskIndex(dir: string, entries: TaskIndexEntry[]): Promise<void> {
  const tasks = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await writeFile(join(dir, INDEX_FILE), JSON.stringify({ tasks }, null, 2) + '\n');
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
  return { tasks };
}
