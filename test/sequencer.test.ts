import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './e2e/harness.js';
import { SLOW_FILES, slowestFirst } from './sequencer.js';

describe('the test files\' start order', () => {
  it('puts the listed files first, slowest first, and keeps the order of the others', () => {
    const files = ['a', 'slow', 'b', 'slower', 'c'];
    expect(slowestFirst(files, (f) => f, { slow: 10, slower: 60 })).toEqual(['slower', 'slow', 'a', 'b', 'c']);
  });

  it('lists only test files that exist', () => {
    for (const path of Object.keys(SLOW_FILES)) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });
});
