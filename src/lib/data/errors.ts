// Errors a user can cause with bad data: always located, printed as `file:line: message`.

import { NodeFailure } from '../../plugin/api.js';

export class DataError extends NodeFailure {
  readonly file: string;
  /** 1-based line number; 0 when the problem concerns the whole file. */
  readonly line: number;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(file: string, line: number, detail: string) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

export function isDataError(e: unknown): e is DataError {
  return e instanceof DataError;
}
