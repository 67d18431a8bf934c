// Parquet records through hyparquet (pure JS). Snappy is built in; gzip and brotli pages are
// inflated with node:zlib.

import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { DataError } from './errors.js';

const compressors = {
  GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input: Uint8Array) => new Uint8Array(brotliDecompressSync(input)),
};

/** BigInt cells (INT64 columns) become numbers when exact, strings otherwise. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

const BATCH = 4096;

/** Yields rows as plain objects; `line` is the 1-based row number. */
export async function* readParquetRecords(file: string, maxRows = Infinity): AsyncGenerator<{ record: unknown; line: number }> {
  let buffer;
  let total: number;
  try {
    buffer = await asyncBufferFromFile(file);
    total = Number((await parquetMetadataAsync(buffer)).num_rows);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(file, 0, 'file not found');
    throw new DataError(file, 0, `not a readable Parquet file: ${(e as Error).message}`);
  }
  const end = Math.min(total, maxRows);
  for (let start = 0; start < end; start += BATCH) {
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: buffer, rowStart: start, rowEnd: Math.min(start + BATCH, end), compressors });
    } catch (e) {
      throw new DataError(file, start + 1, `cannot decode Parquet rows from here: ${(e as Error).message}`);
    }
    for (let i = 0; i < rows.length; i++) yield { record: plain(rows[i]), line: start + i + 1 };
  }
}
