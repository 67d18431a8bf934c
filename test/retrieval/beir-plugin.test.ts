import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import beir from '../../plugins/beir/index.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { readBeirFolder, writeBeirFolder } from '../../src/lib/retrieval/beir.js';
import { runPlugin } from '../plugins/ctx.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'beir-plugin-'));

async function tinyTasks(): Promise<string> {
  const root = tmp();
  const rows = (split: string, items: [string, string][]) => items.map(([context, question], i) => ({ id: `rc-${split}-${i}`, fields: { context, question }, output: 'x', ...(split === 'test' ? { references: ['x'] } : {}) }));
  await writeTaskFolder(join(root, 'rc'), { name: 'rc', category: 'reading_comprehension', type: 'generation', metric: 'exact_match', fields: ['context', 'question'], labels: [], splits: { train: 2, test: 2 } }, {
    train: rows('train', [['the cat sat on the mat', 'where did the cat sit'], ['dogs bark at night', 'when do dogs bark']]),
    test: rows('test', [['the cat sat on the mat', 'what sat on the mat'], ['rain falls in spring', 'when does rain fall']]),
  });
  return root;
}

describe('beir plugin', () => {
  it('builds a set from task folders, writes it in the BEIR layout and scores a BM25 baseline', async () => {
    const r = await runPlugin(beir, tmp(), { tasks: ['rc'], measures: ['mrr@10', 'recall@1'] }, { tasks: await tinyTasks() });
    const set = await readBeirFolder(join(r.outDir, 'datasets', 'rc'));
    expect(set.corpus.size).toBe(3);
    expect([...set.qrels.keys()]).toEqual(['test', 'train']);
    // Every question shares words with its own passage only, so BM25 finds each at rank 1.
    expect(r.metrics['bm25/rc/test/mrr_at_10']).toBe(1);
    expect(r.metrics['bm25/rc/train/recall_at_1']).toBe(1);
    const index = JSON.parse(readFileSync(join(r.outDir, 'datasets', 'index.json'), 'utf8'));
    expect(index.sets[0]).toMatchObject({ name: 'rc', documents: 3, queries: 4, judgments: { train: 2, test: 2 } });
  });

  it('checks and passes on a user\'s BEIR folder', async () => {
    const dir = join(tmp(), 'mine');
    await writeBeirFolder(dir, {
      corpus: new Map([['a', { id: 'a', title: 'Cats', text: 'cats purr' }], ['b', { id: 'b', title: '', text: 'dogs bark' }]]),
      queries: new Map([['q', { id: 'q', text: 'do cats purr' }]]),
      qrels: new Map([['test', new Map([['q', new Map([['a', 1]])]])]]),
    });
    const r = await runPlugin(beir, tmp(), { measures: ['ndcg@10'] }, { beir: dir });
    expect(r.metrics['bm25/mine/test/ndcg_at_10']).toBe(1);
    expect((await readBeirFolder(join(r.outDir, 'datasets', 'mine'))).corpus.get('a')!.title).toBe('Cats');
  });

  it('fails with a located message on bad qrels, and names missing inputs and tasks', async () => {
    const dir = join(tmp(), 'bad');
    await writeBeirFolder(dir, { corpus: new Map([['a', { id: 'a', title: '', text: 'x' }]]), queries: new Map([['q', { id: 'q', text: 'x' }]]), qrels: new Map([['test', new Map([['q', new Map([['a', 1]])]])]]) });
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(dir, 'qrels', 'test.tsv'), 'q\tzz\t1\n');
    await expect(runPlugin(beir, tmp(), {}, { beir: dir })).rejects.toThrow(/test\.tsv:3: document "zz" is not in corpus\.jsonl/);
    await expect(runPlugin(beir, tmp(), {}, {})).rejects.toThrow(/needs a `beir` input .* or a `tasks` input/);
    await expect(runPlugin(beir, tmp(), { tasks: ['squad'] }, { tasks: await tinyTasks() })).rejects.toThrow(/task squad is not in .* \(has rc\)/);
  });

  it.skipIf(SKIP_WITHOUT_SHARED)('converts the real SQuAD and BoolQ folders', async () => {
    const r = await runPlugin(beir, tmp(), { tasks: ['squad_v1', 'boolq'], splits: ['test'], maxQueries: 100, measures: ['ndcg@10'] }, { tasks: SHARED_TASKS });
    for (const name of ['squad_v1', 'boolq']) {
      expect(r.metrics[`beir/${name}/queries`]).toBe(100);
      // BM25 finds a question's own passage far above chance among thousands of passages.
      expect(r.metrics[`bm25/${name}/test/ndcg_at_10`]).toBeGreaterThan(0.3);
    }
  });
});
