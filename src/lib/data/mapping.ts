// Mapping records of foreign datasets (JSON objects, CSV rows, Parquet rows) onto TaskRows.
// Source keys are dotted paths ("answers.text.0"); a key containing a literal dot can be
// written as it is when the record has it at top level.

import { DataError } from './errors.js';
import type { TaskMeta, TaskRow } from './task.js';
import { validateRow } from './validate.js';

export interface RowMapping {
  /** Task field name → source path. */
  fields: Record<string, string>;
  /** Source path of the gold answer. */
  output: string;
  /**
   * Where the choices come from: a path to an array, or a list of paths, one per choice.
   * Classification rows without it get the task's labels.
   */
  options?: string | string[];
  /** The output value is a 0-based index into the options (e.g. a `label` column). */
  outputIsIndex?: boolean;
  /** Names for raw output values (ClassLabel-style: index or value → label word). */
  labelNames?: string[] | Record<string, string>;
  /** Path to the references (an array, or a string for a single one). Default: [output] on generation rows. */
  references?: string;
  /** Path to an id; default `<idPrefix>-<n>`. */
  id?: string;
}

export interface RecordLocation {
  file: string;
  /** 1-based line (JSONL/CSV) or row number (Parquet). */
  line: number;
}

/** Reads a dotted path; a top-level key that itself contains dots wins over splitting. */
export function getPath(record: unknown, path: string): unknown {
  if (record !== null && typeof record === 'object' && Object.prototype.hasOwnProperty.call(record, path)) {
    return (record as Record<string, unknown>)[path];
  }
  let cur: unknown = record;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, part)) cur = (cur as Record<string, unknown>)[part];
    else return undefined;
  }
  return cur;
}

/** Scalars become strings; arrays of scalars are joined with ", " (e.g. CommonGen concepts). */
function asText(v: unknown, what: string, fail: (m: string) => never): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean', 'bigint'].includes(typeof x))) return v.map(String).join(', ');
  if (v === undefined || v === null) return fail(`${what} is missing`);
  return fail(`${what} must be text, got ${Array.isArray(v) ? 'an array' : typeof v}`);
}

function asTextList(v: unknown, what: string, fail: (m: string) => never): string[] {
  if (Array.isArray(v)) return v.map((x, i) => asText(x, `${what}[${i}]`, fail));
  if (typeof v === 'string') {
    // CSV cells and some exports store lists as JSON text.
    const t = v.trim();
    if (t.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(t);
        if (Array.isArray(parsed)) return asTextList(parsed, what, fail);
      } catch {
        /* a plain string that starts with "[" */
      }
    }
    return [v];
  }
  return [asText(v, what, fail)];
}

function labelName(raw: string, names: RowMapping['labelNames']): string {
  if (!names) return raw;
  if (Array.isArray(names)) {
    const i = Number(raw);
    return (Number.isInteger(i) ? names[i] : undefined) ?? raw;
  }
  return (Object.prototype.hasOwnProperty.call(names, raw) ? names[raw] : undefined) ?? raw;
}

/**
 * Maps one record to a validated TaskRow. `index` is the 0-based position used for default ids;
 * `split` decides whether references are required (see validateRow).
 */
export function mapRecord(
  record: unknown, mapping: RowMapping, meta: TaskMeta, at: RecordLocation & { split: string; index: number; idPrefix: string },
): TaskRow {
  const fail = (m: string): never => {
    throw new DataError(at.file, at.line, m);
  };
  const path = (p: string) => `source key "${p}"`;
  const fields: Record<string, string> = {};
  for (const [field, src] of Object.entries(mapping.fields)) fields[field] = asText(getPath(record, src), path(src), fail);

  let options: string[] | undefined;
  if (Array.isArray(mapping.options)) options = mapping.options.map((p) => asText(getPath(record, p), path(p), fail));
  else if (mapping.options !== undefined) options = asTextList(getPath(record, mapping.options), path(mapping.options), fail);
  if (options && mapping.labelNames) options = options.map((o) => labelName(o, mapping.labelNames));
  if (!options && meta.type === 'classification') options = [...meta.labels];

  const rawOut = asText(getPath(record, mapping.output), path(mapping.output), fail);
  let output: string;
  if (mapping.outputIsIndex) {
    const i = Number(rawOut);
    const choices = options ?? [];
    const choice = Number.isInteger(i) ? choices[i] : undefined;
    output = choice ?? fail(`${path(mapping.output)} = ${JSON.stringify(rawOut)} is not an index into ${choices.length} options`);
  } else output = labelName(rawOut, mapping.labelNames);

  let references: string[] | undefined;
  if (mapping.references !== undefined) {
    const v = getPath(record, mapping.references);
    if (v !== undefined && v !== null) references = asTextList(v, path(mapping.references), fail);
    if (references && !references.includes(output)) references = [output, ...references];
  } else if (meta.type === 'generation') references = [output];
  if (references && at.split === 'train' && meta.type === 'generation' && mapping.references === undefined) references = undefined;

  const id = mapping.id !== undefined ? asText(getPath(record, mapping.id), path(mapping.id), fail) : `${at.idPrefix}-${at.index}`;
  const row: Record<string, unknown> = { id, fields, output };
  if (options) row.options = options;
  if (references) row.references = references;
  return validateRow(row, meta, { file: at.file, line: at.line, split: at.split });
}
