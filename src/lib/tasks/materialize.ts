// Building a directory of task folders (plus index.json) from the generated suite or from
// existing task folders, with optional subsetting and caps. The `tasks` plugin is a thin
// wrapper around this.

import { join } from 'node:path';
import { DataError } from '../data/errors.js';
import type { TaskMeta, TaskRow } from '../data/task.js';
import { listTaskFolders, loadTaskFolder, readTaskMeta, writeTaskFolder } from '../data/task-folder.js';
import { indexEntry, writeTaskIndex, type TaskIndexEntry } from '../data/task-index.js';
import { generateSuite } from './generated/suite.js';
import { LLM_R_TASK_NAMES } from './registry.js';
import { capRows } from './sample.js';

export interface MaterializeOptions {
  source: { kind: 'builtin'; trainSize?: number; testSize?: number } | { kind: 'folders'; roots: string[] };
  seed: number;
  /**
   * Task names to keep. Unknown names are an error. Default: the generated suite entire; from
   * folders, the LLM-R tasks among them (or every task when none is an LLM-R task).
   */
  tasks?: string[];
  /** Cap of the train split. */
  maxTrain?: number;
  /** Cap of every other split (test, dev). */
  maxTest?: number;
  onTask?: (name: string, done: number, total: number) => void;
}

export interface MaterializeResult {
  entries: TaskIndexEntry[];
  /** LLM-R tasks the folders do not have (folders only). */
  missing: string[];
  /** Tasks found in the folders but left out because they are not LLM-R tasks and were not named. */
  skipped: string[];
}

interface Task {
  meta: TaskMeta;
  splits: Record<string, TaskRow[]>;
}

/** Task folders under the roots, by task name (metadata only; rows are loaded when selected). */
async function folderIndex(roots: string[]): Promise<Map<string, string>> {
  const byName = new Map<string, string>();
  for (const root of roots) {
    const dirs = await listTaskFolders(root, { strict: true });
    if (dirs.length === 0) throw new DataError(root, 0, 'no task folders here (a task folder holds task.json and <split>.jsonl files)');
    for (const dir of dirs) {
      const meta = await readTaskMeta(dir);
      const other = byName.get(meta.name);
      if (other) throw new DataError(join(dir, 'task.json'), 0, `task "${meta.name}" also comes from ${other}`);
      byName.set(meta.name, dir);
    }
  }
  return byName;
}

async function* loadSelected(dirs: string[]): AsyncGenerator<Task> {
  for (const dir of dirs) yield await loadTaskFolder(dir);
}

function checkNames(wanted: string[] | undefined, available: string[], where: string): void {
  const missing = (wanted ?? []).filter((n) => !available.includes(n));
  if (missing.length > 0) {
    throw new DataError(where, 0, `unknown task${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')}; available: ${available.join(', ')}`);
  }
}

/** Writes `<outDir>/<task>/` for each selected task and `<outDir>/index.json`. */
export async function materializeTasks(outDir: string, opts: MaterializeOptions): Promise<MaterializeResult> {
  let names: string[];
  let wanted = opts.tasks;
  let missing: string[] = [];
  let skipped: string[] = [];
  let tasks: AsyncIterable<Task> | Iterable<Task>;
  if (opts.source.kind === 'builtin') {
    const suite = generateSuite({ seed: opts.seed, trainSize: opts.source.trainSize, testSize: opts.source.testSize, tasks: opts.tasks });
    names = suite.map((t) => t.meta.name);
    tasks = suite.map((t) => ({ meta: t.meta, splits: { train: t.train, test: t.test } }));
  } else {
    if (opts.source.roots.length === 0) throw new Error('no task folders given (connect the "data" input or set "folders")');
    const byName = await folderIndex(opts.source.roots);
    names = [...byName.keys()];
    checkNames(opts.tasks, names, opts.source.roots.join(', '));
    missing = LLM_R_TASK_NAMES.filter((n) => !byName.has(n));
    if (wanted === undefined && names.some((n) => LLM_R_TASK_NAMES.includes(n))) {
      wanted = names.filter((n) => LLM_R_TASK_NAMES.includes(n));
      skipped = names.filter((n) => !LLM_R_TASK_NAMES.includes(n));
    }
    const keep = wanted;
    tasks = loadSelected(names.filter((n) => !keep || keep.includes(n)).map((n) => byName.get(n)!));
  }
  const selected = wanted ? names.filter((n) => wanted!.includes(n)) : names;
  const entries: TaskIndexEntry[] = [];
  let done = 0;
  for await (const t of tasks) {
    const splits: Record<string, TaskRow[]> = {};
    for (const [split, rows] of Object.entries(t.splits)) {
      splits[split] = capRows(rows, split === 'train' ? opts.maxTrain : opts.maxTest, opts.seed, `${t.meta.name}/${split}`);
    }
    await writeTaskFolder(join(outDir, t.meta.name), t.meta, splits);
    const written = { ...t.meta, splits: Object.fromEntries(Object.entries(splits).map(([s, r]) => [s, r.length])) };
    entries.push(indexEntry(written));
    opts.onTask?.(t.meta.name, ++done, selected.length);
  }
  if (entries.length === 0) throw new DataError(opts.source.kind === 'folders' ? opts.source.roots.join(', ') : 'builtin suite', 0, 'no tasks selected: nothing to write');
  await writeTaskIndex(outDir, entries, opts.source.kind === 'folders' ? { missing, skipped } : {});
  return { entries, missing, skipped };
}
