// Line-by-line reading of JSON Lines files with 1-based line numbers in every error.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataError } from './errors.js';

export interface JsonLine {
  value: unknown;
  line: number;
}

/**
 * Yields each non-blank line parsed as JSON. Stops after `maxRows` values when given,
 * without reading the rest of the file.
 */
export async function* readJsonLines(file: string, maxRows = Infinity): AsyncGenerator<JsonLine> {
  if (maxRows <= 0) return;
  const stream = createReadStream(file, { encoding: 'utf8' });
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
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(file, 0, 'file not found');
    throw e;
  } finally {
    lines.close();
    stream.destroy();
  }
}
