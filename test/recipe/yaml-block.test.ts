// The block-YAML reader (src/recipe/yaml-block.ts) gives exactly what the yaml library gives, values and
// every source-map entry in the same order, or gives nothing and leaves the text to the library.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseYaml, parseYamlWithLibrary } from '../../src/recipe/load.js';
import { lineLocator, readBlockYaml } from '../../src/recipe/yaml-block.js';
import { yamlLib } from '../../src/util/yaml-lib.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function fast(text: string) {
  return readBlockYaml(text, lineLocator(text, '/r.yaml'), []);
}

/** The reader accepts the text and agrees with the library on values and on every entry of the source map, in order. */
function expectSameAsLibrary(text: string): void {
  const mine = fast(text);
  expect(mine, 'the reader should accept this text').toBeDefined();
  const theirs = parseYamlWithLibrary(text, '/r.yaml');
  expect(mine!.value).toStrictEqual(theirs.value);
  expect([...mine!.sources.under([])]).toStrictEqual([...theirs.sources.under([])]);
}

/** A recipe of the benchmark's shape: a long one-line flow list and block stages. */
function benchShaped(width: number): string {
  const items = Array.from({ length: width }, (_, i) => i).join(', ');
  return `name: bench\nvars:\n  items: [${items}]\nstages:\n  gen:\n    plugin: ./plugins/gen\n    foreach: \${vars.items}\n`
    + '    params:\n      i: ${item}\n  inc:\n    plugin: ./plugins/inc\n    foreach: ${vars.items}\n    inputs:\n'
    + '      in: ${stages.gen[${item}].outputs.out}\n  sum:\n    plugin: ./plugins/sum\n    inputs:\n      in: ${stages.inc.outputs.out}\n';
}

describe('the block-YAML reader', () => {
  it('reads a large benchmark-shaped recipe as the library does', () => {
    expectSameAsLibrary(benchShaped(5000));
  });

  it('is what parseYaml uses for such a recipe', () => {
    const text = benchShaped(3);
    expect(parseYaml(text, '/r.yaml')).toStrictEqual(fast(text));
  });

  it.each([
    ['nested mappings, comments and blank lines', '# head\na: 1   \nb:\n  c: x y  # why\n\n  d: "q # r"\nz: \'s\'\n'],
    ['lists, a list at its key\'s column, compact mappings in lists', 'a:\n  - x\n  - y   # c\nb:\n- 1\n- 2\nc:\n  - k: v\n    j: w\n  -   m: 1\n'],
    ['flow lists of plain scalars with odd spacing', 'a: [ 1 ,2 ,  x y ]\nb: [ ]\nc: [-1,-x]  # c\n'],
    ['flow lists with spacing, quotes, an empty one, no final newline', 'a: [1, 2 , x]   # hi\nb: []\nc: [ "p q", \'r\' ]\nd: [ -1, 2.5, x y ]'],
    ['typed plain scalars the reader is sure of', 'a: -0\nb: 1.25\nc: null\nd: true\ne: false\nf: ./plugins/x\ng: 1.2.3\nh: http://h/p\ni: ${vars.a}\n'],
    ['comments that belong to no value', 'a:\n  # at the nested column\n  b: 1\n# at column 0\n  c: 2\nd: 3\n# trailing\n'],
    ['text outside ASCII', 'a: é→ x\nb: "日本"\n'],
    ['quotes inside plain scalars', 'a: it\'s fine\nb: say "hi" now\nc: [a"b, c\'d]\nd: x# y\n'],
  ])('agrees with the library on %s', (_name, text) => {
    expectSameAsLibrary(text);
  });

  it.each([
    ['an anchor and alias', 'a: &x 1\nb: *x\n'],
    ['a merge key', 'a: { x: 1 }\nb:\n  <<: *a\n'],
    ['a flow mapping', 'a: { x: 1 }\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a tag', 'a: !!str 1\n'],
    ['an empty value', 'a:\nb: 1\n'],
    ['an empty list item', 'a:\n  -\n  - 1\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a multi-line flow list', 'a: [1,\n  2]\n'],
    ['a trailing comma', 'a: [1, 2,]\n'],
    ['an empty flow-list item', 'a: [1,,2]\n'],
    ['a flow-list item that is a dash and a space', 'a: [1, - 2]\n'],
    ['an escaped quote', 'a: "x\\"y"\nb: \'it\'\'s\'\n'],
    ['a repeated key', 'a: 1\na: 2\n'],
    ['a key the schema types', 'true: 1\n'],
    ['a quoted key', '"a": 1\n'],
    ['spellings whose type the reader leaves to the library', 'a: 0x1F\n'],
    ['exponent floats', 'a: 1e3\n'],
    ['leading zeros', 'a: 007\n'],
    ['a tilde null', 'a: ~\n'],
    ['capitalised booleans', 'a: True\n'],
    ['a comment indented under a value (the library widens the value\'s range over it)', 'a: 1\n  # c\nb: 2\n'],
    ['a tab', 'a:\t1\n'],
    ['CR line ends', 'a: 1\r\nb: 2\r\n'],
    ['a document marker', '---\na: 1\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['a root list', '- 1\n- 2\n'],
    ['a root scalar', 'just text\n'],
    ['an empty text', ''],
    ['a bad indent', 'a:\n    b: 1\n  c: 2\n'],
    ['a plain scalar with ": "', 'a: b: c\n'],
    ['a ${…} inside a flow list', 'a: [${x}]\n'],
    ['a key over 1000 characters (the library refuses one over 1024)', `k${'x'.repeat(1100)}: 1\n`],
  ])('leaves %s to the library', (_name, text) => {
    expect(fast(text)).toBeUndefined();
  });

  it('locates every offset as the library\'s line counter does, in any order', () => {
    const { LineCounter, Parser } = yamlLib();
    const text = 'a: 1\n\n  b: [1, 2]\n# c\nd: x\n\n';
    const counter = new LineCounter();
    for (const _ of new Parser(counter.addNewLine).parse(text)) { /* tokens are not needed, only the line starts */ }
    const locate = lineLocator(text, '/r.yaml');
    const offsets = [...Array(text.length + 1).keys()];
    for (const offset of [...offsets, ...offsets.reverse(), 7, 7, 3, 12, 0]) {
      const { line, col } = counter.linePos(offset);
      expect(locate(offset, 2)).toStrictEqual({ file: '/r.yaml', line, col, length: 2 });
    }
  });

  it('agrees with the library on every YAML file of the repository it accepts, and accepts the example recipe', () => {
    const files = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
    const accepted = files.filter((f) => fast(readFileSync(REPO + f, 'utf8')) !== undefined);
    expect(accepted).toContain('recipes/example.yaml');
    for (const f of accepted) expectSameAsLibrary(readFileSync(REPO + f, 'utf8'));
  });

  it('agrees with the library on generated block documents (seeded)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const scalars = ['1', '-1', '0', '1.5', 'abc', 'a b', 'a#b', 'x:y', '${vars.a}', '"q s"', "'s q'", '"a # b"', '[1, 2]', '[ a , "b" ]', '[]',
      '[x]  # c', 'v   # comment', '2 ', 'null', 'true', '-x', '[ -1, 2.5, x y ]', '.5'];
    const keys = ['a', 'b', 'c_d', 'e-f', 'g.h', 'in'];
    const block = (depth: number, indent: number, lines: string[]) => {
      const pad = ' '.repeat(indent);
      const asList = depth > 0 && random() < 0.3;
      const used = new Set<string>();
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
        if (random() < 0.15) lines.push(pick(['', '   ', `${pad}# c`, '# top', `${pad}  # deeper`]));
        if (asList) {
          if (depth < 4 && random() < 0.3) lines.push(`${pad}- ${pick(keys)}: ${pick(scalars)}`, `${pad}  z: ${pick(scalars)}`);
          else lines.push(`${pad}${pick(['- ', '-  '])}${pick(scalars)}`);
          continue;
        }
        const key = pick(keys);
        if (used.has(key)) continue;
        used.add(key);
        if (depth < 4 && random() < 0.4) {
          lines.push(`${pad}${key}:${pick(['', '  ', ' # c'])}`);
          if (random() < 0.2) lines.push(`${pad}- ${pick(scalars)}`, `${pad}- ${pick(scalars)}`);
          else block(depth + 1, indent + pick([2, 2, 4, 1]), lines);
        } else lines.push(`${pad}${key}: ${pick(scalars)}${pick(['', ' ', '  # t'])}`);
      }
    };
    let accepted = 0;
    for (let t = 0; t < 1500; t++) {
      const lines: string[] = [];
      block(0, 0, lines);
      const text = lines.join('\n') + pick(['\n', '', '\n\n', '\n# end\n']);
      if (!fast(text)) continue;
      accepted++;
      expectSameAsLibrary(text);
    }
    // Most generated documents are in the subset (the rest have a comment the library may attach to a value).
    expect(accepted).toBeGreaterThan(500);
  });
});
