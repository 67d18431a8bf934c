import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBeirFolder, writeBeirFolder, type BeirDataset } from '../../src/lib/retrieval/beir.js';
import { loadTaskFolder, type LoadedTask } from '../../src/lib/data/task-folder.js';
import { retrievalSetFromTask } from '../../src/lib/retrieval/from-tasks.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'beir-'));

function sample(): BeirDataset {
  return {
    corpus: new Map([
      ['d1', { id: 'd1', title: 'First', text: 'tabs\tand\nnewlines, "quotes", ünïcödé' }],
      ['d2', { id: 'd2', title: '', text: 'second', metadata: { url: 'x' } }],
    ]),
    queries: new Map([['q1', { id: 'q1', text: 'what?' }], ['q2', { id: 'q2', text: 'who?', metadata: { split: 'dev' } }]]),
    qrels: new Map([
      ['test', new Map([['q1', new Map([['d1', 2], ['d2', 0]])]])],
      ['dev', new Map([['q2', new Map([['d2', 1]])]])],
    ]),
  };
}

/** A folder with the given files (relative path → content). */
function folder(files: Record<string, string>): string {
  const dir = tmp();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const goodCorpus = '{"_id": "d1", "title": "t", "text": "one"}\n{"_id": "d2", "text": "two"}\n';
const goodQueries = '{"_id": "q1", "text": "first"}\n';

describe('BEIR layout', () => {
  it('round-trips corpus, queries (with metadata) and every qrels split', async () => {
    const dir = tmp();
    await writeBeirFolder(dir, sample());
    expect(readFileSync(join(dir, 'qrels', 'test.tsv'), 'utf8')).toBe('query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\n');
    const back = await readBeirFolder(dir);
    expect(back).toEqual({ ...sample(), qrels: new Map([...sample().qrels].sort(([a], [b]) => a.localeCompare(b))) });
    // Writing what was read gives the same bytes.
    const again = tmp();
    await writeBeirFolder(again, back);
    for (const f of ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv', 'qrels/dev.tsv']) {
      expect(readFileSync(join(again, f), 'utf8')).toBe(readFileSync(join(dir, f), 'utf8'));
    }
  });

  it('reads a missing title as empty, integer ids as text and only the splits asked for', async () => {
    const dir = folder({ 'corpus.jsonl': '{"_id": 7, "text": "seven"}\n', 'queries.jsonl': goodQueries, 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\t7\t1\n', 'qrels/train.tsv': 'h\th\th\n' });
    const data = await readBeirFolder(dir, { splits: ['test'] });
    expect(data.corpus.get('7')).toEqual({ id: '7', title: '', text: 'seven' });
    expect([...data.qrels.keys()]).toEqual(['test']);
    await expect(readBeirFolder(dir, { splits: ['dev'] })).rejects.toThrow(/no qrels for split 'dev' \(present: test, train\)/);
  });

  const cases: [string, Record<string, string>, RegExp][] = [
    ['malformed JSON', { 'corpus.jsonl': goodCorpus + '{"_id": "d3", \n' }, /corpus\.jsonl:3: invalid JSON/],
    ['a document without text', { 'corpus.jsonl': '{"_id": "d1"}\n' }, /corpus\.jsonl:1: "text" must be a string, got nothing/],
    ['a duplicate id', { 'corpus.jsonl': goodCorpus + '{"_id": "d1", "text": "again"}\n' }, /corpus\.jsonl:3: document id "d1" repeats the one on line 1/],
    ['a query without an id', { 'queries.jsonl': '{"text": "x"}\n' }, /queries\.jsonl:1: "_id" must be a non-empty string/],
    ['a qrels line with two columns', { 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\n' }, /test\.tsv:2: expected 3 tab-separated columns/],
    ['a non-integer score', { 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t0.5\n' }, /test\.tsv:2: score must be an integer, got "0\.5"/],
    ['an unknown document', { 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td9\t1\n' }, /test\.tsv:2: document "d9" is not in corpus\.jsonl/],
    ['an unknown query', { 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq7\td1\t1\n' }, /test\.tsv:3: query "q7" is not in queries\.jsonl/],
    ['a judgment twice', { 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t0\n' }, /test\.tsv:3: query "q1" judges document "d1" twice/],
    ['a missing header', { 'qrels/test.tsv': 'q1\td1\t1\n' }, /test\.tsv:1: the first line must be the header/],
  ];
  for (const [what, files, message] of cases) {
    it(`locates ${what}`, async () => {
      const dir = folder({ 'corpus.jsonl': goodCorpus, 'queries.jsonl': goodQueries, 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t1\n', ...files });
      await expect(readBeirFolder(dir)).rejects.toThrow(message);
    });
  }

  it('names missing files', async () => {
    await expect(readBeirFolder(folder({ 'queries.jsonl': goodQueries }))).rejects.toThrow(/corpus\.jsonl: file not found/);
    await expect(readBeirFolder(folder({ 'corpus.jsonl': goodCorpus, 'queries.jsonl': goodQueries }))).rejects.toThrow(/no qrels folder/);
  });

  it('refuses to write qrels naming unknown documents or ids that break the TSV', async () => {
    const bad = sample();
    bad.qrels.get('test')!.get('q1')!.set('d9', 1);
    await expect(writeBeirFolder(tmp(), bad)).rejects.toThrow(/document "d9" is not in the corpus/);
    const tabbed = sample();
    tabbed.corpus.set('a\tb', { id: 'a\tb', title: '', text: 'x' });
    tabbed.qrels.get('test')!.get('q1')!.set('a\tb', 1);
    await expect(writeBeirFolder(tmp(), tabbed)).rejects.toThrow(/holds a tab or line break/);
  });
});

function task(name: string, fields: string[], rows: Record<string, string>[][]): LoadedTask {
  const splits = ['train', 'test'];
  return {
    meta: { name, category: 'reading_comprehension', type: 'generation', metric: 'exact_match', fields, labels: [], splits: { train: rows[0]!.length, test: rows[1]!.length } },
    splits: Object.fromEntries(splits.map((s, si) => [s, rows[si]!.map((f, i) => ({ id: `${name}-${s}-${i}`, fields: f, output: 'x' }))])),
  };
}

describe('retrieval sets from task folders', () => {
  it('makes each question a query judged against its passage; repeated (question, passage) rows merge', () => {
    const t = task('mrc', ['paragraph', 'question', 'answer'], [
      [{ paragraph: 'P1', question: 'a?', answer: '1' }, { paragraph: 'P1', question: 'a?', answer: '2' }, { paragraph: 'P2', question: 'a?', answer: '3' }],
      [{ paragraph: 'P2', question: 'b?', answer: '4' }, { paragraph: 'P3', question: 'c?', answer: '5' }],
    ]);
    const set = retrievalSetFromTask(t);
    expect([...set.corpus.values()].map((d) => [d.id, d.text])).toEqual([['mrc-doc-0', 'P1'], ['mrc-doc-1', 'P2'], ['mrc-doc-2', 'P3']]);
    expect(set.qrels.get('train')).toEqual(new Map([['mrc-train-0', new Map([['mrc-doc-0', 1]])], ['mrc-train-2', new Map([['mrc-doc-1', 1]])]]));
    expect(set.qrels.get('test')).toEqual(new Map([['mrc-test-0', new Map([['mrc-doc-1', 1]])], ['mrc-test-1', new Map([['mrc-doc-2', 1]])]]));
    expect(set.queries.get('mrc-train-0')!.metadata).toEqual({ task: 'mrc', split: 'train', rows: ['mrc-train-0', 'mrc-train-1'] });
  });

  it('caps queries per split with a seed, and names the fields when none is a passage', () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({ context: `P${i % 4}`, question: `q${i}` }));
    const t = task('sq', ['context', 'question'], [rows, rows.slice(0, 2)]);
    const a = retrievalSetFromTask(t, { maxQueries: 5, seed: 3 });
    expect(a.qrels.get('train')!.size).toBe(5);
    expect(a.queries.size).toBe(7);
    expect([...retrievalSetFromTask(t, { maxQueries: 5, seed: 3 }).qrels.get('train')!.keys()]).toEqual([...a.qrels.get('train')!.keys()]);
    const none = task('nli', ['premise', 'hypothesis'], [[{ premise: 'a', hypothesis: 'b' }], []]);
    expect(() => retrievalSetFromTask(none)).toThrow(/task nli has no shared passage and question fields \(fields: premise, hypothesis\)/);
  });

  it.skipIf(SKIP_WITHOUT_SHARED)('builds SQuAD, BoolQ and MultiRC sets that round-trip through the BEIR layout', async () => {
    for (const name of ['squad_v1', 'boolq', 'multirc']) {
      const loaded = await loadTaskFolder(join(SHARED_TASKS, name), { splits: ['test'], maxRows: { test: 300 } });
      const set = retrievalSetFromTask(loaded);
      expect(set.corpus.size).toBeGreaterThan(1);
      expect(set.corpus.size).toBeLessThan(set.qrels.get('test')!.size + 1);
      const dir = tmp();
      await writeBeirFolder(dir, set);
      expect(await readBeirFolder(dir)).toEqual(set);
    }
  });
});
