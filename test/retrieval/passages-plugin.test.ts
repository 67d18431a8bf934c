import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import passageCorpus from '../../plugins/passage-corpus/index.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { readBeirFolder, writeBeirFolder } from '../../src/lib/retrieval/beir.js';
import { runPlugin } from '../plugins/ctx.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'passage-corpus-'));
const SMALL = { documents: 30, passagesPerDocument: 3, trainQueries: 40, testQueries: 20, zeroShotDocuments: 10, zeroShotQueries: 15 };

/** Every file under `dir` (relative path → bytes). */
function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name).slice(dir.length + 1)] = readFileSync(join(entry.parentPath, entry.name));
  }
  return out;
}

async function tinyTasks(): Promise<string> {
  const root = tmp();
  const meta = { category: 'reading_comprehension' as const, type: 'generation' as const, metric: 'exact_match' as const, fields: ['context', 'question'], labels: [], splits: { train: 1, test: 1 } };
  const rows = (name: string, context: string, q: [string, string][]) => ({
    train: [{ id: `${name}-train-0`, fields: { context, question: q[0]![0] }, output: q[0]![1] }],
    test: [{ id: `${name}-test-0`, fields: { context, question: q[1]![0] }, output: q[1]![1], references: [q[1]![1]] }],
  });
  await writeTaskFolder(join(root, 'squad_v1'), { name: 'squad_v1', ...meta }, rows('squad_v1', 'Ada built a mill. It ground wheat. Ben rebuilt it. He sold it later.', [['Who built the mill?', 'Ada'], ['Who rebuilt it?', 'Ben']]));
  await writeTaskFolder(join(root, 'news'), { name: 'news', ...meta }, rows('news', 'Rain fell in May. Rivers rose. Towns flooded in June. Crews came.', [['When did rain fall?', 'May'], ['When did towns flood?', 'June']]));
  return root;
}

describe('passage-corpus plugin', () => {
  it('writes the generated corpus, its zero-shot set and corpus-info.json, byte-identical for the same params', async () => {
    const a = await runPlugin(passageCorpus, tmp(), SMALL, {});
    const b = await runPlugin(passageCorpus, tmp(), SMALL, {});
    const fa = files(join(a.outDir, 'corpus'));
    expect(Object.keys(fa).sort()).toEqual(['corpus-info.json', 'corpus.jsonl', 'qrels/test.tsv', 'qrels/train.tsv', 'queries.jsonl', 'zero-shot/corpus.jsonl', 'zero-shot/qrels/test.tsv', 'zero-shot/queries.jsonl']);
    expect(files(join(b.outDir, 'corpus'))).toEqual(fa);
    const info = JSON.parse(fa['corpus-info.json']!.toString());
    expect(info).toMatchObject({ source: 'generated', inDomain: { passages: 90, documents: 30, nextLinks: 60, hasNextPassages: true, queries: { train: 40, test: 20 } }, zeroShot: { dir: 'zero-shot', passages: 30, queries: { test: 15 } } });
    const set = await readBeirFolder(join(a.outDir, 'corpus'));
    expect(set.corpus.get('gd0-p0')).toMatchObject({ doc: 'gd0', next: 'gd0-p1' });
    expect(a.metrics['in_domain/has_next_passages']).toBe(1);
    expect(a.metrics['bm25/in_domain/test/ndcg_at_10']).toBeGreaterThan(0.3);
    expect(a.metrics['bm25/zero_shot/test/ndcg_at_10']).toBeGreaterThan(0.3);
  });

  it('builds from task folders: in-domain and zero-shot tasks, chunked and linked', async () => {
    const r = await runPlugin(passageCorpus, tmp(), { source: 'tasks', tasks: ['squad_v1'], zeroShotTasks: ['news'], baseline: 'none' }, { tasks: await tinyTasks() });
    const set = await readBeirFolder(join(r.outDir, 'corpus'));
    expect([...set.corpus.values()].map((p) => [p.id, p.next])).toEqual([['squad_v1-d0-p0', 'squad_v1-d0-p1'], ['squad_v1-d0-p1', undefined]]);
    expect(set.qrels.get('test')!.get('squad_v1-test-0')).toEqual(new Map([['squad_v1-d0-p1', 1]]));
    const zeroShot = await readBeirFolder(join(r.outDir, 'corpus', 'zero-shot'));
    expect([...zeroShot.qrels.keys()]).toEqual(['test']);
    expect(zeroShot.qrels.get('test')!.get('news-test-0')).toEqual(new Map([['news-d0-p1', 1]]));
  });

  it('names an unknown task with the closest one', async () => {
    await expect(runPlugin(passageCorpus, tmp(), { source: 'tasks', tasks: ['squad_v2'], zeroShotTasks: [] }, { tasks: await tinyTasks() }))
      .rejects.toThrow(/unknown task 'squad_v2': not a task folder in .*; did you mean 'squad_v1'\? \(tasks there: news, squad_v1\)/);
    await expect(runPlugin(passageCorpus, tmp(), { source: 'tasks', tasks: ['squad_v1'], zeroShotTasks: ['squad_v1'] }, { tasks: await tinyTasks() }))
      .rejects.toThrow(/squad_v1 cannot be both an in-domain task and a zero-shot task/);
  });

  it('passes on a user\'s BEIR folder, counting blank passages and saying when there are no next links', async () => {
    const dir = tmp();
    await writeBeirFolder(dir, {
      corpus: new Map([['a', { id: 'a', title: '', text: 'cats purr' }], ['b', { id: 'b', title: '', text: '  ' }], ['c', { id: 'c', title: '', text: 'dogs bark' }]]),
      queries: new Map([['q', { id: 'q', text: 'do cats purr' }]]),
      qrels: new Map([['test', new Map([['q', new Map([['a', 1]])]])]]),
    });
    const r = await runPlugin(passageCorpus, tmp(), { source: 'beir-folder' }, { beir: dir });
    const info = JSON.parse(readFileSync(join(r.outDir, 'corpus', 'corpus-info.json'), 'utf8'));
    expect(info.inDomain).toMatchObject({ passages: 2, nextLinks: 0, hasNextPassages: false, counts: { skippedEmptyPassages: 1 } });
    expect(info.zeroShot).toBeUndefined();
    expect(r.metrics['in_domain/skipped_empty_passages']).toBe(1);
    expect(r.logs).toContain('warn: in_domain: 1 passages were empty after cleaning and are skipped');
    expect(r.logs.some((l) => /warn: in_domain: no passage has a next passage, so a next-passage objective \(LLaRA's EBAR\) has nothing to learn from; corpus-info\.json says hasNextPassages: false/.test(l))).toBe(true);
    expect(r.metrics['bm25/in_domain/test/ndcg_at_10']).toBe(1);
  });

  it('says which inputs each source reads', async () => {
    await expect(runPlugin(passageCorpus, tmp(), { source: 'tasks' }, {})).rejects.toThrow(/source: tasks needs the `tasks` input/);
    await expect(runPlugin(passageCorpus, tmp(), { source: 'beir-folder' }, {})).rejects.toThrow(/source: beir-folder needs the `beir` input/);
    await expect(runPlugin(passageCorpus, tmp(), {}, { tasks: tmp() })).rejects.toThrow(/the `tasks` input is not read with source: generated \(it is with source: tasks\)/);
    await expect(runPlugin(passageCorpus, tmp(), { ...SMALL, trainQueries: 100 }, {})).rejects.toThrow(/100 train and 20 test queries need as many passages/);
  });
});
