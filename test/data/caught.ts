// Awaits a promise that must reject with a DataError, and returns the error for closer checks.
import { expect } from 'vitest';
import { DataError } from '../../src/lib/data/errors.js';

export async function caught(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}
