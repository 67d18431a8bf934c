import { mkdtemp, readFile, rm, writeFile, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/lib/data/errors.js';
import type { TaskMeta, TaskRow } from '../../src/lib/data/task.js';
import { listTaskFolders, loadTaskFolder, writeTaskFolder } from '../../src/lib/data/task-folder.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-taskfolder-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const clsMeta: TaskMeta = {
  name: 'toy', category: 'nli', type: 'classification', metric: 'accuracy',
  fields: ['premise', 'hypothesis'], labels: ['yes', 'no'], splits: {},
};
const genMeta: TaskMeta = {
  name: 'gen', category: 'summarize', type: 'generation', metric: 'rouge_l',
  fields: ['text'], labels: [], splits: {},
};

function clsRow(i: number, output = 'yes'): TaskRow {
  return { id: `toy-${i}`, fields: { premise: `p ${i}`, hypothesis: `h ${i}` }, options: ['yes', 'no'], output };
}

async function folderWith(name: string, meta: TaskMeta, splitLines: Record<string, string[]>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const splits: Record<string, number> = {};
  for (const [s, lines] of Object.entries(splitLines)) {
    splits[s] = lines.length;
    await writeFile(join(dir, `${s}.jsonl`), lines.map((l) => l + '\n').join(''));
  }
  await writeFile(join(dir, 'task.json'), JSON.stringify({ ...meta, splits }));
  return dir;
}

async function loadError(dir: string): Promise<DataError> {
  try {
    await loadTaskFolder(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('writeTaskFolder / loadTaskFolder', () => {
  it('round-trips rows and writes deterministic bytes', async () => {
    const rows = [clsRow(0), clsRow(1, 'no'), clsRow(2)];
    const a = join(root, 'rt-a');
    const b = join(root, 'rt-b');
    await writeTaskFolder(a, clsMeta, { train: rows, test: rows.slice(0, 1) });
    // Field order in the input must not change the bytes.
    const shuffled = rows.map((r) => ({ output: r.output, options: r.options,
      fields: { hypothesis: r.fields.hypothesis!, premise: r.fields.premise! }, id: r.id }));
    await writeTaskFolder(b, clsMeta, { train: shuffled, test: shuffled.slice(0, 1) });
    for (const f of ['task.json', 'train.jsonl', 'test.jsonl']) {
      expect(await readFile(join(a, f), 'utf8')).toBe(await readFile(join(b, f), 'utf8'));
    }
    const loaded = await loadTaskFolder(a);
    expect(loaded.meta.splits).toEqual({ train: 3, test: 1 });
    expect(loaded.splits.train).toEqual(rows);
    const capped = await loadTaskFolder(a, { splits: ['train'], maxRows: { train: 2 } });
    expect(Object.keys(capped.splits)).toEqual(['train']);
    expect(capped.splits.train!.map((r) => r.id)).toEqual(['toy-0', 'toy-1']);
  });

  it('refuses to write an invalid row, naming the file and line it would have', async () => {
    const dir = join(root, 'bad-write');
    await expect(writeTaskFolder(dir, clsMeta, { train: [clsRow(0), clsRow(1, 'maybe')] })).rejects.toThrow(
      `${join(dir, 'train.jsonl')}:2: "output" "maybe" is not one of "options"`,
    );
  });
});

describe('validation errors name file and line', () => {
  const good = JSON.stringify(clsRow(0));
  const cases: [string, string, RegExp][] = [
    ['bad-json', '{"id": "x", ', /invalid JSON/],
    ['no-id', JSON.stringify({ ...clsRow(1), id: undefined }), /missing "id"/],
    ['no-fields', JSON.stringify({ ...clsRow(1), fields: undefined }), /missing "fields"/],
    ['no-output', JSON.stringify({ ...clsRow(1), output: undefined }), /missing "output"/],
    ['unknown-field', JSON.stringify({ ...clsRow(1), fields: { premise: 'p', hypothesis: 'h', extra: 'x' } }), /field "extra" is not in task.json "fields"/],
    ['missing-field', JSON.stringify({ ...clsRow(1), fields: { premise: 'p' } }), /missing field "hypothesis"/],
    ['non-string-field', JSON.stringify({ ...clsRow(1), fields: { premise: 'p', hypothesis: 3 } }), /field "hypothesis" must be a string/],
    ['output-not-option', JSON.stringify(clsRow(1, 'maybe')), /"output" "maybe" is not one of "options"/],
    ['option-not-label', JSON.stringify({ ...clsRow(1), options: ['yes', 'nope'] }), /option "nope" is not one of the task's labels/],
    ['duplicate-id', good, /duplicate id "toy-0" \(first on line 1\)/],
    ['unknown-key', JSON.stringify({ ...clsRow(1), ouput: 'yes' }), /unknown key "ouput"/],
    ['not-object', '[1, 2]', /must be a JSON object/],
  ];
  for (const [name, badLine, pattern] of cases) {
    it(name, async () => {
      const dir = await folderWith(name, clsMeta, { train: [good, badLine] });
      const err = await loadError(dir);
      expect(err.file).toBe(join(dir, 'train.jsonl'));
      expect(err.line).toBe(2);
      expect(err.detail).toMatch(pattern);
      expect(err.message.startsWith(`${join(dir, 'train.jsonl')}:2: `)).toBe(true);
    });
  }

  it('counts blank lines and CRLF correctly', async () => {
    const dir = join(root, 'crlf');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'task.json'), JSON.stringify({ ...clsMeta, splits: { train: 2 } }));
    await writeFile(join(dir, 'train.jsonl'), `${JSON.stringify(clsRow(0))}\r\n\r\n${JSON.stringify(clsRow(1, 'x'))}\r\n`);
    const err = await loadError(dir);
    expect(err.line).toBe(3);
  });

  it('multiple-choice rows need options', async () => {
    const meta: TaskMeta = { ...clsMeta, type: 'multiple_choice', labels: [] };
    const dir = await folderWith('mc', meta, { test: [JSON.stringify({ id: 'a', fields: { premise: 'p', hypothesis: 'h' }, output: 'x' })] });
    expect((await loadError(dir)).detail).toMatch(/needs "options" with at least two choices/);
  });

  it('generation test rows need references, train rows do not', async () => {
    const row = { id: 'g0', fields: { text: 't' }, output: 'o' };
    const ok = await folderWith('gen-ok', genMeta, { train: [JSON.stringify(row)], test: [JSON.stringify({ ...row, references: ['o', 'p'] })] });
    expect((await loadTaskFolder(ok)).splits.test![0]!.references).toEqual(['o', 'p']);
    const bad = await folderWith('gen-bad', genMeta, { train: [JSON.stringify(row)], test: [JSON.stringify(row)] });
    const err = await loadError(bad);
    expect(err.file).toBe(join(bad, 'test.jsonl'));
    expect(err.detail).toMatch(/missing "references"/);
    const notIn = await folderWith('gen-notin', genMeta, { test: [JSON.stringify({ ...row, references: ['x'] })] });
    expect((await loadError(notIn)).detail).toMatch(/"output" must be one of "references"/);
  });

  it('task.json problems name task.json', async () => {
    const dir = await folderWith('bad-meta', { ...clsMeta, category: 'nlu' as never }, { train: [good] });
    const err = await loadError(dir);
    expect(err.file).toBe(join(dir, 'task.json'));
    expect(err.message).toMatch(/task\.json:1: "category" must be one of/);
  });

  it('a row count different from task.json is reported', async () => {
    const dir = await folderWith('count', clsMeta, { train: [good] });
    await writeFile(join(dir, 'task.json'), JSON.stringify({ ...clsMeta, splits: { train: 5 } }));
    expect((await loadError(dir)).detail).toMatch(/"splits.train" says 5 rows but train.jsonl has 1/);
  });

  it('a missing split file and an unknown split are reported', async () => {
    const dir = await folderWith('missing', clsMeta, { train: [good] });
    await writeFile(join(dir, 'task.json'), JSON.stringify({ ...clsMeta, splits: { train: 1, test: 1 } }));
    const err = await loadError(dir);
    expect(err.file).toBe(join(dir, 'test.jsonl'));
    expect(err.detail).toMatch(/file not found/);
    await expect(loadTaskFolder(dir, { splits: ['dev'] })).rejects.toThrow(/split "dev" is not listed/);
  });
});

describe('listTaskFolders', () => {
  it('lists sub-folders holding task.json, sorted, following symlinks', async () => {
    const base = join(root, 'suite');
    await writeTaskFolder(join(base, 'b_task'), { ...clsMeta, name: 'b_task' }, { train: [clsRow(0)] });
    await writeTaskFolder(join(base, 'a_task'), { ...clsMeta, name: 'a_task' }, { train: [clsRow(0)] });
    await mkdir(join(base, 'not_a_task'), { recursive: true });
    await symlink(join(base, 'a_task'), join(base, 'c_link'));
    expect(await listTaskFolders(base)).toEqual(['a_task', 'b_task', 'c_link'].map((n) => join(base, n)));
    expect(await listTaskFolders(join(base, 'a_task'))).toEqual([join(base, 'a_task')]);
    await expect(listTaskFolders(join(root, 'nope'))).rejects.toThrow(/directory not found/);
  });
});
