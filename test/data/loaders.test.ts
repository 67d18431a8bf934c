import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDelimited, parseDelimitedObjects } from '../../src/lib/data/csv.js';
import { formatOf, loadRows } from '../../src/lib/data/loaders.js';
import { getPath } from '../../src/lib/data/mapping.js';
import type { TaskMeta } from '../../src/lib/data/task.js';
import { caught } from './caught.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'retort-loaders-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sentiment: TaskMeta = {
  name: 'sst', category: 'sentiment', type: 'classification', metric: 'accuracy', fields: ['sentence'], labels: ['negative', 'positive'], splits: {},
};
const squad: TaskMeta = {
  name: 'sq', category: 'reading_comprehension', type: 'generation', metric: 'exact_match', fields: ['context', 'question'], labels: [], splits: {},
};
const piqa: TaskMeta = {
  name: 'pq', category: 'commonsense', type: 'multiple_choice', metric: 'accuracy', fields: ['goal'], labels: [], splits: {},
};

describe('RFC 4180 parser', () => {
  it('handles quotes, doubled quotes, delimiters and newlines inside fields, CRLF and a BOM', () => {
    const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"multi\nline",\r\n\r\n3,,"last"';
    expect(parseDelimited(text, 'f.csv')).toEqual([
      { values: ['a', 'b', 'c'], line: 1 },
      { values: ['1', 'x, y', 'say "hi"'], line: 2 },
      { values: ['2', 'multi\nline', ''], line: 3 },
      { values: ['3', '', 'last'], line: 6 },
    ]);
  });
  it('reports malformed quoting and ragged rows with the line', () => {
    expect(() => parseDelimited('a,b\n1,"open\n2,3\n', 'f.csv')).toThrow('f.csv:2: unterminated quoted field');
    expect(() => parseDelimited('a,b\n1,"x"y\n', 'f.csv')).toThrow(/f\.csv:2: unexpected "y" after a closing quote/);
    expect(() => parseDelimited('a,b\n1,x"y\n', 'f.csv')).toThrow(/f\.csv:2: unexpected quote inside an unquoted field/);
    expect(() => parseDelimitedObjects('a,b\n1,2\n"multi\nline",2,3\n', 'f.csv')).toThrow('f.csv:3: expected 2 columns (as in the header), found 3');
    expect(() => parseDelimitedObjects('a,a\n1,2\n', 'f.csv')).toThrow(/duplicate column name "a"/);
  });
  it('TSV with quoting off keeps raw quotes', () => {
    expect(parseDelimited('t\tl\nhe said "no\t0\n', 'f.tsv', { delimiter: '\t', quoting: false })[1]!.values).toEqual(['he said "no', '0']);
  });
});

describe('loaders with a field mapping', () => {
  it('CSV: label names for raw label values, default ids and labels as options', async () => {
    const file = join(dir, 'sst.csv');
    await writeFile(file, 'text,label\n"a fine, funny film",1\nawful,0\n');
    const rows = await loadRows(file, { fields: { sentence: 'text' }, output: 'label', labelNames: ['negative', 'positive'] }, sentiment, { split: 'test' });
    expect(rows).toEqual([
      { id: 'sst-test-0', fields: { sentence: 'a fine, funny film' }, options: ['negative', 'positive'], output: 'positive' },
      { id: 'sst-test-1', fields: { sentence: 'awful' }, options: ['negative', 'positive'], output: 'negative' },
    ]);
  });

  it('TSV and a bad label reported with the line', async () => {
    const file = join(dir, 'sst.tsv');
    await writeFile(file, 'text\tlabel\ngood\tpositive\nmeh\tneutral\n');
    const err = await caught(loadRows(file, { fields: { sentence: 'text' }, output: 'label' }, sentiment));
    expect(err.message).toBe(`${file}:3: "output" "neutral" is not one of "options"`);
  });

  it('JSONL with dotted paths, references and ids (gzip too)', async () => {
    const recs = [
      { id: 'q1', data: { ctx: 'Paris is in France.', q: 'Where is Paris?' }, answers: { text: ['France', 'in France'] } },
      { id: 'q2', data: { ctx: 'Ice is cold.', q: 'What is cold?' }, answers: { text: ['Ice'] } },
    ];
    const text = recs.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const mapping = { id: 'id', fields: { context: 'data.ctx', question: 'data.q' }, output: 'answers.text.0', references: 'answers.text' };
    const plainFile = join(dir, 'squad.jsonl');
    const gzFile = join(dir, 'squad.jsonl.gz');
    await writeFile(plainFile, text);
    await writeFile(gzFile, gzipSync(text));
    const rows = await loadRows(plainFile, mapping, squad, { split: 'test' });
    expect(rows[0]).toEqual({ id: 'q1', fields: { context: 'Paris is in France.', question: 'Where is Paris?' }, output: 'France', references: ['France', 'in France'] });
    expect(await loadRows(gzFile, mapping, squad, { split: 'test' })).toEqual(rows);
    expect(await loadRows(plainFile, mapping, squad, { split: 'test', maxRows: 1 })).toHaveLength(1);
    const missing = await caught(loadRows(plainFile, { ...mapping, fields: { context: 'data.context', question: 'data.q' } }, squad));
    expect(missing.message).toBe(`${plainFile}:1: source key "data.context" is missing`);
  });

  it('JSON arrays and options given as one path per choice with an index output', async () => {
    const file = join(dir, 'piqa.json');
    await writeFile(file, JSON.stringify([{ goal: 'open a jar', sol1: 'twist the lid', sol2: 'freeze it', label: 0 }, { goal: 'dry shoes', sol1: 'oven', sol2: 'paper', label: 5 }]));
    const err = await caught(loadRows(file, { fields: { goal: 'goal' }, options: ['sol1', 'sol2'], output: 'label', outputIsIndex: true }, piqa));
    expect(err.line).toBe(2);
    expect(err.detail).toMatch(/"label" = "5" is not an index into 2 options/);
  });

  it('Parquet (written with hyparquet-writer) with list columns and INT64 labels', async () => {
    const file = join(dir, 'piqa.parquet');
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'goal', data: ['open a jar', 'dry shoes', 'cool tea'], type: 'STRING' },
        { name: 'choices', data: ['["twist the lid","freeze it"]', '["oven","newspaper"]', '["stir it","boil it"]'], type: 'STRING' },
        { name: 'label', data: [0n, 1n, 0n], type: 'INT64' },
      ],
    });
    await writeFile(file, Buffer.from(buf));
    const rows = await loadRows(file, { fields: { goal: 'goal' }, options: 'choices', output: 'label', outputIsIndex: true }, piqa, { split: 'test' });
    expect(rows.map((r) => r.output)).toEqual(['twist the lid', 'newspaper', 'stir it']);
    expect(rows[1]!.options).toEqual(['oven', 'newspaper']);
    expect(await loadRows(file, { fields: { goal: 'goal' }, options: 'choices', output: 'label', outputIsIndex: true }, piqa, { maxRows: 2 })).toHaveLength(2);
    await writeFile(join(dir, 'bad.parquet'), 'not parquet at all');
    expect((await caught(loadRows(join(dir, 'bad.parquet'), { fields: { goal: 'goal' }, output: 'label' }, piqa))).detail).toMatch(/not a readable Parquet file/);
  });

  it('formats by extension; unknown formats are reported', async () => {
    expect(formatOf('a/b/train.jsonl.gz')).toBe('jsonl');
    expect(formatOf('x.PARQUET')).toBe('parquet');
    expect(formatOf('x.txt')).toBeUndefined();
    const err = await caught(loadRows(join(dir, 'x.txt'), { fields: {}, output: 'a' }, piqa));
    expect(err.detail).toMatch(/unknown file format/);
  });

  it('getPath reads dotted keys, array indices and literal dotted keys', () => {
    const r = { 'a.b': 1, a: { b: 2, c: [{ d: 3 }] } };
    expect(getPath(r, 'a.b')).toBe(1);
    expect(getPath(r, 'a.c.0.d')).toBe(3);
    expect(getPath(r, 'a.x.y')).toBeUndefined();
  });
});
