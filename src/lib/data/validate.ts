// Validation of task metadata and rows against the task-folder contract (src/lib/data/task.ts).
// Each check throws a DataError naming the file and line so users can fix their data.

import { DataError } from './errors.js';
import { TASK_CATEGORIES, type TaskMeta, type TaskRow } from './task.js';

const TYPES = ['multiple_choice', 'classification', 'generation'] as const;
const METRICS = ['accuracy', 'exact_match', 'f1', 'rouge_l', 'token_f1', 'bleu'] as const;
const ROW_KEYS = new Set(['id', 'fields', 'options', 'output', 'references']);
const META_KEYS = new Set(['name', 'category', 'type', 'metric', 'fields', 'labels', 'splits', 'source', 'license', 'notes']);

/** Split names become file names, so they are restricted to a safe alphabet. */
export const SPLIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function oneOf(list: readonly string[]): string {
  return list.map((s) => JSON.stringify(s)).join(', ');
}

/** Checks parsed task.json content and returns it typed. */
export function validateMeta(raw: unknown, file: string): TaskMeta {
  const fail = (msg: string): never => {
    throw new DataError(file, 0, msg);
  };
  if (!isPlainObject(raw)) fail('task.json must be a JSON object');
  const m = raw as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!META_KEYS.has(k)) fail(`unknown key "${k}" (expected one of ${oneOf([...META_KEYS])})`);
  if (typeof m.name !== 'string' || m.name === '') fail('"name" must be a non-empty string');
  if (typeof m.category !== 'string' || !(TASK_CATEGORIES as readonly string[]).includes(m.category)) {
    fail(`"category" must be one of ${oneOf(TASK_CATEGORIES)}, got ${JSON.stringify(m.category)}`);
  }
  if (typeof m.type !== 'string' || !(TYPES as readonly string[]).includes(m.type)) {
    fail(`"type" must be one of ${oneOf(TYPES)}, got ${JSON.stringify(m.type)}`);
  }
  if (typeof m.metric !== 'string' || !(METRICS as readonly string[]).includes(m.metric)) {
    fail(`"metric" must be one of ${oneOf(METRICS)}, got ${JSON.stringify(m.metric)}`);
  }
  if (!isStringArray(m.fields) || m.fields.length === 0) fail('"fields" must be a non-empty array of strings');
  const fields = m.fields as string[];
  if (new Set(fields).size !== fields.length) fail('"fields" has duplicate names');
  if (!isStringArray(m.labels)) fail('"labels" must be an array of strings');
  const labels = m.labels as string[];
  if (m.type === 'classification' && labels.length < 2) fail('a classification task needs at least two "labels"');
  if (new Set(labels).size !== labels.length) fail('"labels" has duplicates');
  if (!isPlainObject(m.splits)) fail('"splits" must be an object of split name → row count');
  for (const [s, n] of Object.entries(m.splits as Record<string, unknown>)) {
    if (!SPLIT_NAME.test(s)) fail(`split name "${s}" is not a safe file name`);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) fail(`"splits.${s}" must be a non-negative integer`);
  }
  for (const k of ['source', 'license', 'notes'] as const) {
    if (m[k] !== undefined && typeof m[k] !== 'string') fail(`"${k}" must be a string`);
  }
  return m as unknown as TaskMeta;
}

export interface RowContext {
  file: string;
  line: number;
  split: string;
}

/** Generation rows outside the train pool are evaluated, so they must carry references. */
export function splitNeedsReferences(split: string): boolean {
  return split !== 'train';
}

/** Checks one parsed row against the task's metadata and returns it typed. */
export function validateRow(raw: unknown, meta: TaskMeta, ctx: RowContext): TaskRow {
  const fail = (msg: string): never => {
    throw new DataError(ctx.file, ctx.line, msg);
  };
  if (!isPlainObject(raw)) fail('a row must be a JSON object');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!ROW_KEYS.has(k)) fail(`unknown key "${k}" (expected one of ${oneOf([...ROW_KEYS])})`);
  if (typeof r.id !== 'string' || r.id === '') fail('missing "id" (a non-empty string)');
  if (!isPlainObject(r.fields)) fail(`missing "fields" (an object with ${oneOf(meta.fields)})`);
  const fields = r.fields as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields)) {
    if (!meta.fields.includes(k)) fail(`field "${k}" is not in task.json "fields" (${oneOf(meta.fields)})`);
    if (typeof v !== 'string') fail(`field "${k}" must be a string, got ${typeof v}`);
  }
  for (const k of meta.fields) if (!(k in fields)) fail(`missing field "${k}"`);
  if (typeof r.output !== 'string') fail('missing "output" (a string)');
  const output = r.output as string;

  if (r.options !== undefined && !isStringArray(r.options)) fail('"options" must be an array of strings');
  const options = r.options as string[] | undefined;
  if (meta.type === 'multiple_choice') {
    if (!options || options.length < 2) fail('a multiple_choice row needs "options" with at least two choices');
  }
  if (meta.type === 'classification') {
    if (!options || options.length < 2) fail('a classification row needs "options" (the label words)');
    if (meta.labels.length > 0) {
      for (const o of options!) if (!meta.labels.includes(o)) fail(`option ${JSON.stringify(o)} is not one of the task's labels (${oneOf(meta.labels)})`);
    }
  }
  if (options && (meta.type === 'multiple_choice' || meta.type === 'classification') && !options.includes(output)) {
    fail(`"output" ${JSON.stringify(output)} is not one of "options"`);
  }

  if (r.references !== undefined) {
    if (!isStringArray(r.references) || r.references.length === 0) fail('"references" must be a non-empty array of strings');
    if (!(r.references as string[]).includes(output)) fail('"output" must be one of "references"');
  } else if (meta.type === 'generation' && splitNeedsReferences(ctx.split)) {
    fail(`missing "references" (required on generation rows of split "${ctx.split}")`);
  }

  const row: TaskRow = { id: r.id as string, fields: fields as Record<string, string>, output };
  if (options) row.options = options;
  if (r.references !== undefined) row.references = r.references as string[];
  return row;
}
