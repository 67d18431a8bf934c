// How diagnostics print (location, key path, source line and caret, hints, chains) and how suggestions are chosen.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, formatLocation, narrowLocation, sourceLine } from '../../src/recipe/diagnostic.js';
import { closest, didYouMean, editDistance } from '../../src/util/suggest.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'retort-diagnostic-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('formatDiagnostic', () => {
  it('prints file:line:col, the key path, the line with a caret, raw/resolved, hint, notes, related places and the chain', () => {
    const file = join(dir, 'r.yaml');
    writeFileSync(file, 'stages:\n  a:\n    params:\n      n: ${vars.x}\n');
    const text = formatDiagnostic({
      message: "unknown variable 'vars.x'",
      location: { file, line: 4, col: 10, length: 9 },
      keyPath: 'stages.a.params.n',
      raw: '${vars.x}',
      resolved: '${vars.x}',
      hint: "did you mean 'vars.y'?",
      notes: ['a note'],
      related: [{ message: 'used by', location: { file, line: 2, col: 3 } }],
      includedFrom: [{ file: join(dir, 'main.yaml'), line: 3, col: 5 }, { file: join(dir, 'top.yaml'), line: 1, col: 10, via: 'extends' }],
    }, dir);
    expect(text).toBe([
      "r.yaml:4:10: error: unknown variable 'vars.x'",
      '  at key: stages.a.params.n',
      '  4 |       n: ${vars.x}',
      '    |          ^^^^^^^^^',
      '  raw:      ${vars.x}',
      '  resolved: ${vars.x}',
      "  did you mean 'vars.y'?",
      '  note: a note',
      '  used by: r.yaml:2:3',
      '  included from main.yaml:3:5',
      '  extended by top.yaml:1:10',
    ].join('\n'));
  });

  it('shows the override itself for command-line errors', () => {
    expect(formatDiagnostic({ message: 'bad', location: { file: '<command line>', line: 1, col: 8, length: 3, text: '-S a.b=xyz' } })).toBe([
      '<command line>:1:8: error: bad',
      '  1 | -S a.b=xyz',
      '    |        ^^^',
    ].join('\n'));
  });

  it('names files relative to the working directory, and absolutely when they are outside it', () => {
    expect(formatLocation({ file: join(dir, 'sub', 'x.yaml'), line: 2, col: 3 }, dir)).toBe('sub/x.yaml:2:3');
    expect(formatLocation({ file: '/elsewhere/x.yaml', line: 2, col: 3 }, dir)).toBe('/elsewhere/x.yaml:2:3');
  });

  it('reads the source line again after the file changed', () => {
    const file = join(dir, 'changing.yaml');
    writeFileSync(file, 'first\n');
    expect(sourceLine({ file, line: 1, col: 1 })).toBe('first');
    writeFileSync(file, 'second version\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(sourceLine({ file, line: 1, col: 1 })).toBe('second version');
  });
});

describe('narrowLocation', () => {
  it('moves the caret to a part of a plain or quoted scalar when the line shows it verbatim', () => {
    const file = join(dir, 'n.yaml');
    writeFileSync(file, 'a: echo ${x} y\nb: "echo ${x} y"\nc: >\n  echo ${x}\n');
    const span = { start: 5, length: 4 };
    expect(narrowLocation({ file, line: 1, col: 4, length: 11 }, 'echo ${x} y', span)).toEqual({ file, line: 1, col: 9, length: 4 });
    expect(narrowLocation({ file, line: 2, col: 4, length: 13 }, 'echo ${x} y', span)).toEqual({ file, line: 2, col: 10, length: 4 });
    // A block scalar does not start where its text does: keep the whole value.
    expect(narrowLocation({ file, line: 3, col: 4, length: 2 }, 'echo ${x}\n', span)).toEqual({ file, line: 3, col: 4, length: 2 });
  });
});

describe('suggestions', () => {
  it('count an adjacent swap as one edit', () => {
    expect(editDistance('unifrom', 'uniform')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggest close names only, never a total replacement', () => {
    expect(didYouMean('numbrs', ['numbers', 'stats', 'shell'])).toBe("did you mean 'numbers'?");
    expect(didYouMean('PARAMS', ['params'])).toBe("did you mean 'params'?");
    expect(closest('4', ['1', '2', '3'])).toBeUndefined();
    expect(closest('xyzzy', ['numbers', 'stats'])).toBeUndefined();
    expect(closest('nn', ['n', 'name'])).toBe('n');
  });
});
