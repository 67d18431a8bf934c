// Line-by-line reading of JSON Lines files (optionally gzip-compressed, by a .gz suffix) with
// 1-based line numbers in every error.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError } from './errors.js';

export interface JsonLine {
  value: unknown;
  line: number;
}

function openText(file: string): Readable {
  const raw = createReadStream(file);
  if (!file.endsWith('.gz')) return raw.setEncoding('utf8');
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip).setEncoding('utf8');
}

/**
 * Yields each non-blank line parsed as JSON. Stops after `maxRows` values when given,
 * without reading the rest of the file.
 */
export async function* readJsonLines(file: string, maxRows = Infinity): AsyncGenerator<JsonLine> {
  if (maxRows <= 0) return;
  const stream = openText(file);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let count = 0;
  try {
    for await (let text of lines) {
      line++;
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new DataError(file, line, `invalid JSON: ${(e as Error).message}`);
      }
      yield { value, line };
      if (++count >= maxRows) return;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, 0, 'file not found');
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new DataError(file, 0, `not valid gzip data: ${(e as Error).message}`);
    throw e;
  } finally {
    lines.close();
    stream.destroy();
  }
}
