// Loading TaskRows from JSONL / JSON / CSV / TSV / Parquet files through a RowMapping.
// Formats are chosen by extension (a .gz suffix is unwrapped for text formats) or explicitly.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parseDelimitedObjects, type DelimitedOptions } from './csv.js';
import { DataError } from './errors.js';
import { readJsonLines } from './jsonl.js';
import { mapRecord, type RowMapping } from './mapping.js';
import { readParquetRecords } from './parquet.js';
import type { TaskMeta, TaskRow } from './task.js';

export type SourceFormat = 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet';

export const SOURCE_EXTENSIONS: Record<string, SourceFormat> = {
  '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'json', '.csv': 'csv', '.tsv': 'tsv', '.parquet': 'parquet',
};

/** The format a file name implies, or undefined. */
export function formatOf(file: string): SourceFormat | undefined {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : SOURCE_EXTENSIONS[name.slice(dot)];
}

export interface SourceRecord {
  record: unknown;
  /** 1-based line (text formats) or row number (JSON arrays, Parquet). */
  line: number;
}

export interface ReadRecordsOptions extends DelimitedOptions {
  format?: SourceFormat;
  maxRows?: number;
}

async function readText(file: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(file, 0, 'file not found');
    throw e;
  }
  if (file.endsWith('.gz')) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataError(file, 0, `not valid gzip data: ${(e as Error).message}`);
    }
  }
  return buf.toString('utf8');
}

/** Raw records of a file, with their locations. */
export async function* readRecords(file: string, opts: ReadRecordsOptions = {}): AsyncGenerator<SourceRecord> {
  const format = opts.format ?? formatOf(file);
  const max = opts.maxRows ?? Infinity;
  if (!format) throw new DataError(file, 0, `unknown file format (expected one of ${Object.keys(SOURCE_EXTENSIONS).join(', ')}, optionally .gz)`);
  if (format === 'jsonl') {
    for await (const { value, line } of readJsonLines(file, max)) yield { record: value, line };
    return;
  }
  if (format === 'parquet') {
    yield* readParquetRecords(file, max);
    return;
  }
  const text = await readText(file);
  if (format === 'json') {
    // A JSON array of records; a file of JSON lines with a .json name is read as lines.
    if (!text.trimStart().startsWith('[')) {
      for await (const { value, line } of readJsonLines(file, max)) yield { record: value, line };
      return;
    }
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (e) {
      throw new DataError(file, 0, `invalid JSON: ${(e as Error).message}`);
    }
    const list = arr as unknown[];
    for (let i = 0; i < Math.min(list.length, max); i++) yield { record: list[i], line: i + 1 };
    return;
  }
  const delimiter = opts.delimiter ?? (format === 'tsv' ? '\t' : ',');
  const records = parseDelimitedObjects(text, file, { delimiter, quoting: opts.quoting });
  for (const record of records.slice(0, max)) yield record;
}

export interface LoadRowsOptions extends ReadRecordsOptions {
  /** Split the rows belong to (decides whether generation rows need references). Default "train". */
  split?: string;
  /** Default id prefix (`<prefix>-<n>`); default `<task>-<split>`. */
  idPrefix?: string;
}

/** Reads a file and maps every record to a validated TaskRow of `meta`. */
export async function loadRows(file: string, mapping: RowMapping, meta: TaskMeta, opts: LoadRowsOptions = {}): Promise<TaskRow[]> {
  const split = opts.split ?? 'train';
  const idPrefix = opts.idPrefix ?? `${meta.name}-${split}`;
  const rows: TaskRow[] = [];
  const ids = new Map<string, number>();
  for await (const { record, line } of readRecords(file, opts)) {
    const row = mapRecord(record, mapping, meta, { file, line, split, index: rows.length, idPrefix });
    const first = ids.get(row.id);
    if (first !== undefined) throw new DataError(file, line, `duplicate id "${row.id}" (first at ${first})`);
    ids.set(row.id, line);
    rows.push(row);
  }
  return rows;
}
