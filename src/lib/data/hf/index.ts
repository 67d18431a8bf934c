// Rows from Hugging Face dataset repositories (hf://datasets/<owner>/<name>@<rev>/<path>).

import { DataError } from '../errors.js';
import type { LoadRowsOptions } from '../loaders.js';
import { readRecords } from '../loaders.js';
import { mapRecord, type RowMapping } from '../mapping.js';
import type { TaskMeta, TaskRow } from '../task.js';
import { fetchHfDataset, type HfOptions } from './dataset.js';

export { fetchHfDataset, type HfOptions, type HfFetchResult } from './dataset.js';
export { hubCacheDir } from '../../hub/cache.js';
export { parseHfUrl, formatHfUrl, type HfDatasetRef } from './url.js';

/** Downloads (or reads from the cache) the selected files and maps their records to rows of `meta`. */
export async function loadHfRows(
  url: string, mapping: RowMapping, meta: TaskMeta, opts: HfOptions & Omit<LoadRowsOptions, 'format'> = {},
): Promise<TaskRow[]> {
  const { files } = await fetchHfDataset(url, opts);
  const split = opts.split ?? 'train';
  const idPrefix = opts.idPrefix ?? `${meta.name}-${split}`;
  const max = opts.maxRows ?? Infinity;
  const rows: TaskRow[] = [];
  const ids = new Map<string, string>();
  for (const f of files) {
    for await (const { record, line } of readRecords(f.localPath, { delimiter: opts.delimiter, quoting: opts.quoting, maxRows: max - rows.length })) {
      const row = mapRecord(record, mapping, meta, { file: f.localPath, line, split, index: rows.length, idPrefix });
      const first = ids.get(row.id);
      if (first !== undefined) throw new DataError(f.localPath, line, `duplicate id "${row.id}" (first at ${first})`);
      ids.set(row.id, `${f.path}:${line}`);
      rows.push(row);
    }
    if (rows.length >= max) break;
  }
  return rows;
}
