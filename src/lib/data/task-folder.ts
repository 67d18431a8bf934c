// Reading and writing task folders: <task>/task.json plus <split>.jsonl (see src/lib/data/task.ts).

import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataError } from './errors.js';
import { readJsonLines } from './jsonl.js';
import type { TaskMeta, TaskRow } from './task.js';
import { SPLIT_NAME, validateMeta, validateRow } from './validate.js';

export { DataError } from './errors.js';

export interface LoadTaskFolderOptions {
  /** Splits to read (default: every split listed in task.json). */
  splits?: string[];
  /** Read at most this many rows of a split (the first ones, in file order). */
  maxRows?: Record<string, number>;
}

export interface LoadedTask {
  meta: TaskMeta;
  splits: Record<string, TaskRow[]>;
}

export const META_FILE = 'task.json';

export function splitFile(dir: string, split: string): string {
  return join(dir, `${split}.jsonl`);
}

/** Reads and validates task.json of a task folder. */
export async function readTaskMeta(dir: string): Promise<TaskMeta> {
  const file = join(dir, META_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(file, 0, 'file not found (not a task folder?)');
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    const { line, column } = at ? lineAndColumn(text, Number(at[1])) : { line: text.trim() === '' ? 1 : lineAndColumn(text, text.length).line, column: 0 };
    throw new DataError(file, line, `invalid JSON${column > 0 ? ` (column ${column})` : ''}: ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
  try {
    return validateMeta(raw, file);
  } catch (e) {
    if (!(e instanceof DataError) || e.line > 0) throw e;
    // Point at the key the message names, when the file has it.
    const key = /"([\w-]+)(?:\.([\w.-]+))?"/.exec(e.detail);
    const name = key?.[2] ?? key?.[1];
    const line = name !== undefined ? lineOfKey(text, name) : 0;
    throw line > 0 ? new DataError(file, line, e.detail) : e;
  }
}

/** 1-based line and column of a UTF-16 offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The line where `"key":` first appears, or 0. */
function lineOfKey(text: string, key: string): number {
  const at = text.search(new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`));
  return at < 0 ? 0 : lineAndColumn(text, at).line;
}

/** Reads and validates one split file. */
export async function readSplit(dir: string, meta: TaskMeta, split: string, maxRows = Infinity): Promise<TaskRow[]> {
  const file = splitFile(dir, split);
  const rows: TaskRow[] = [];
  const seen = new Map<string, number>();
  for await (const { value, line } of readJsonLines(file, maxRows)) {
    const row = validateRow(value, meta, { file, line, split });
    const first = seen.get(row.id);
    if (first !== undefined) throw new DataError(file, line, `duplicate id "${row.id}" (first on line ${first})`);
    seen.set(row.id, line);
    rows.push(row);
  }
  return rows;
}

/** Loads a task folder, validating task.json and every row read. */
export async function loadTaskFolder(dir: string, opts: LoadTaskFolderOptions = {}): Promise<LoadedTask> {
  const meta = await readTaskMeta(dir);
  const metaFile = join(dir, META_FILE);
  const wanted = opts.splits ?? Object.keys(meta.splits);
  const splits: Record<string, TaskRow[]> = {};
  for (const split of wanted) {
    if (!(split in meta.splits)) {
      throw new DataError(metaFile, 0, `split "${split}" is not listed in "splits" (has ${Object.keys(meta.splits).join(', ') || 'none'})`);
    }
    const cap = opts.maxRows?.[split] ?? Infinity;
    const rows = await readSplit(dir, meta, split, cap);
    // The declared count is only checkable when the whole file was read.
    if (rows.length < cap && rows.length !== meta.splits[split]) {
      throw new DataError(metaFile, 0, `"splits.${split}" says ${meta.splits[split]} rows but ${split}.jsonl has ${rows.length}`);
    }
    splits[split] = rows;
  }
  return { meta, splits };
}

const META_ORDER: (keyof TaskMeta)[] = ['name', 'category', 'type', 'metric', 'fields', 'labels', 'splits', 'source', 'license', 'notes'];

/** task.json bytes: fixed key order, two-space indent, trailing newline. */
export function serializeMeta(meta: TaskMeta): string {
  const out: Record<string, unknown> = {};
  for (const k of META_ORDER) if (meta[k] !== undefined) out[k] = meta[k];
  return JSON.stringify(out, null, 2) + '\n';
}

/** One JSONL line: fixed key order, fields in task.json order. */
export function serializeRow(row: TaskRow, meta: TaskMeta): string {
  const fields: Record<string, string> = {};
  for (const f of meta.fields) {
    const value = row.fields[f];
    // A missing field is left out, as JSON.stringify would leave out undefined.
    if (value !== undefined) fields[f] = value;
  }
  const out: Record<string, unknown> = { id: row.id, fields };
  if (row.options !== undefined) out.options = row.options;
  out.output = row.output;
  if (row.references !== undefined) out.references = row.references;
  return JSON.stringify(out);
}

/**
 * Writes a task folder with deterministic bytes. `meta.splits` is replaced by the actual row
 * counts of `splits`; rows are validated first so a written folder always loads back.
 */
export async function writeTaskFolder(dir: string, meta: TaskMeta, splits: Record<string, TaskRow[]>): Promise<void> {
  const counts: Record<string, number> = {};
  for (const [split, rows] of Object.entries(splits)) counts[split] = rows.length;
  const full = validateMeta({ ...meta, splits: counts }, join(dir, META_FILE));
  const texts: [string, string][] = [];
  for (const [split, rows] of Object.entries(splits)) {
    if (!SPLIT_NAME.test(split)) throw new DataError(join(dir, META_FILE), 0, `split name "${split}" is not a safe file name`);
    const file = splitFile(dir, split);
    const seen = new Set<string>();
    const lines = rows.map((row, i) => {
      const checked = validateRow(row, full, { file, line: i + 1, split });
      if (seen.has(checked.id)) throw new DataError(file, i + 1, `duplicate id "${checked.id}"`);
      seen.add(checked.id);
      return serializeRow(checked, full) + '\n';
    });
    texts.push([file, lines.join('')]);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, META_FILE), serializeMeta(full));
  for (const [file, text] of texts) await writeFile(file, text);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function holdsSplitFiles(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).some((n) => n.endsWith('.jsonl'));
  } catch {
    return false; // not a directory
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export interface ListTaskFoldersOptions {
  /**
   * A folder holding split files (*.jsonl) but no task.json, at the root or one level down, is
   * an error instead of being passed over (what a user pointing at task folders wants to hear).
   */
  strict?: boolean;
}

/**
 * Task folders under `root`, as absolute paths sorted by name: `root` itself when it holds a
 * task.json, else its immediate sub-directories that do.
 */
export async function listTaskFolders(root: string, opts: ListTaskFoldersOptions = {}): Promise<string[]> {
  const abs = resolve(root);
  if (await isFile(join(abs, META_FILE))) return [abs];
  let entries;
  try {
    entries = await readdir(abs, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(abs, 0, 'directory not found');
    throw e;
  }
  const out: string[] = [];
  // stat() follows symlinks, so linked task folders count too.
  const names = entries.map((d) => d.name).filter((n) => !n.startsWith('.')).sort(compareCodeUnits);
  for (const name of names) {
    if (await isFile(join(abs, name, META_FILE))) out.push(join(abs, name));
    else if (opts.strict && (await holdsSplitFiles(join(abs, name)))) {
      throw new DataError(join(abs, name, META_FILE), 0, 'file not found: this task folder has split files but no task.json');
    }
  }
  if (opts.strict && names.some((n) => n.endsWith('.jsonl'))) {
    throw new DataError(join(abs, META_FILE), 0, 'file not found: this folder holds split files but no task.json');
  }
  return out;
}
