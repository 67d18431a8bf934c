// A delimited-text parser (RFC 4180): quoted fields may hold delimiters, newlines and doubled
// quotes; records end at CRLF, LF or CR. Each record carries the 1-based line it starts on.

import { DataError } from './errors.js';

export interface DelimitedOptions {
  /** Field separator: "," for CSV, "\t" for TSV. */
  delimiter?: string;
  /** Honour double quotes (default true). Off for TSV files that contain raw quote characters. */
  quoting?: boolean;
}

export interface DelimitedRecord {
  values: string[];
  line: number;
}

/** Splits text into records. `file` only labels errors. */
export function parseDelimited(text: string, file: string, opts: DelimitedOptions = {}): DelimitedRecord[] {
  const delim = opts.delimiter ?? ',';
  const quoting = opts.quoting ?? true;
  if (delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') throw new RangeError(`bad delimiter ${JSON.stringify(delim)}`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: DelimitedRecord[] = [];
  let values: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let atFieldStart = true; // a quote only opens a quoted field here
  let recordStarted = false; // distinguishes a blank line from a record with one empty field
  const endField = () => {
    values.push(field);
    field = '';
    atFieldStart = true;
  };
  const endRecord = () => {
    endField();
    records.push({ values, line: recordLine });
    values = [];
    recordStarted = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (quoting && c === '"' && atFieldStart) {
      // Quoted field: read to the closing quote.
      const quoteLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new DataError(file, quoteLine, 'unterminated quoted field');
        const d = text[i];
        if (d === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (d === '\n' || (d === '\r' && text[i + 1] !== '\n')) line++;
        field += d;
        i++;
      }
      atFieldStart = false;
      recordStarted = true;
      const next = text[i];
      if (i < text.length && next !== delim && next !== '\n' && next !== '\r') {
        throw new DataError(file, line, `unexpected ${JSON.stringify(next)} after a closing quote (a quote inside a field must be doubled)`);
      }
      continue;
    }
    if (c === delim) {
      endField();
      recordStarted = true;
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      if (recordStarted) endRecord();
      else atFieldStart = true;
      line++;
      recordLine = line;
      continue;
    }
    if (quoting && c === '"') throw new DataError(file, line, 'unexpected quote inside an unquoted field (quote the whole field and double the quote)');
    field += c;
    atFieldStart = false;
    recordStarted = true;
    i++;
  }
  if (recordStarted) endRecord();
  return records;
}

/** Records as objects keyed by the header row; every record must have the header's width. */
export function parseDelimitedObjects(text: string, file: string, opts: DelimitedOptions = {}): { record: Record<string, string>; line: number }[] {
  const [header, ...rows] = parseDelimited(text, file, opts);
  if (!header) return [];
  const names = header.values.map((h) => h.trim());
  const seen = new Set<string>();
  for (const n of names) {
    if (n === '') throw new DataError(file, header.line, 'empty column name in the header row');
    if (seen.has(n)) throw new DataError(file, header.line, `duplicate column name "${n}" in the header row`);
    seen.add(n);
  }
  return rows.map((r) => {
    if (r.values.length !== names.length) {
      throw new DataError(file, r.line, `expected ${names.length} columns (as in the header), found ${r.values.length}`);
    }
    const record: Record<string, string> = {};
    // Same length as the header, checked above.
    names.forEach((n, j) => (record[n] = r.values[j]!));
    return { record, line: r.line };
  });
}
