import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTaskFolder, type LoadedTask } from '../../src/lib/data/task-folder.js';
import type { TaskMeta, TaskRow } from '../../src/lib/data/task.js';
import { bm25Scores } from '../../src/lib/retrieval/passages/bm25-baseline.js';
import { describeSet } from '../../src/lib/retrieval/passages/corpus.js';
import { emptyCounts, passageCorpusFromTasks, passageSetFromTasks } from '../../src/lib/retrieval/passages/from-tasks.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';

function task(name: string, type: TaskMeta['type'], fields: string[], splits: Record<string, Omit<TaskRow, 'id'>[]>): LoadedTask {
  const rows = Object.fromEntries(Object.entries(splits).map(([split, list]) => [split, list.map((r, i) => ({ id: `${name}-${split}-${i}`, ...r }))]));
  return {
    meta: { name, category: 'reading_comprehension', type, metric: 'accuracy', fields, labels: [], splits: Object.fromEntries(Object.entries(rows).map(([s, r]) => [s, r.length])) },
    splits: rows,
  };
}

const PARAGRAPH = 'Ada built a mill in 1820. The mill ground wheat. Floods hit the valley in 1830. The mill was rebuilt by Ben. Ben sold it in 1850.';

describe('passage corpus from task folders', () => {
  it('cuts passages into sentence chunks linked in order, merges repeated paragraphs and judges the chunk holding the answer', () => {
    const squad = task('rc', 'generation', ['context', 'question'], {
      train: [{ fields: { context: PARAGRAPH, question: 'Who rebuilt the mill?' }, output: 'Ben' }],
      test: [
        { fields: { context: `  ${PARAGRAPH}\n`, question: 'When did floods hit?' }, output: '1830' },
        { fields: { context: PARAGRAPH, question: 'What did the mill grind?' }, output: 'wheat' },
      ],
    });
    const counts = emptyCounts();
    const set = passageSetFromTasks([squad], { chunkSentences: 2 }, counts);
    expect([...set.corpus.values()].map((p) => [p.id, p.text, p.doc, p.next])).toEqual([
      ['rc-d0-p0', 'Ada built a mill in 1820. The mill ground wheat.', 'rc-d0', 'rc-d0-p1'],
      ['rc-d0-p1', 'Floods hit the valley in 1830. The mill was rebuilt by Ben.', 'rc-d0', 'rc-d0-p2'],
      ['rc-d0-p2', 'Ben sold it in 1850.', 'rc-d0', undefined],
    ]);
    // "Ben" is in two chunks: both are judged.
    expect(set.qrels.get('train')!.get('rc-train-0')).toEqual(new Map([['rc-d0-p1', 1], ['rc-d0-p2', 1]]));
    expect(set.qrels.get('test')!.get('rc-test-0')).toEqual(new Map([['rc-d0-p1', 1]]));
    expect(set.qrels.get('test')!.get('rc-test-1')).toEqual(new Map([['rc-d0-p0', 1]]));
    expect(counts).toMatchObject({ repeatedPassageRows: 2, answerInOnePassage: 2, answerInSeveralPassages: 1, judgedWholeDocument: 0 });
  });

  it('judges every chunk of the document when no chunk holds an answer (yes/no answers, true-labelled candidates absent)', () => {
    const boolq = task('boolq', 'classification', ['question', 'passage'], {
      train: [{ fields: { passage: PARAGRAPH, question: 'did ada build a mill' }, output: 'true' }],
      test: [{ fields: { passage: `Mills -- ${PARAGRAPH}`, question: 'was the mill rebuilt' }, output: 'true' }],
    });
    const multirc = task('mr', 'classification', ['paragraph', 'question', 'answer'], {
      test: [
        { fields: { paragraph: PARAGRAPH, question: 'Who owned the mill?', answer: 'Ada' }, output: 'true' },
        { fields: { paragraph: PARAGRAPH, question: 'Who owned the mill?', answer: 'Ben' }, output: 'true' },
        { fields: { paragraph: PARAGRAPH, question: 'Who owned the mill?', answer: 'Cy' }, output: 'false' },
        { fields: { paragraph: PARAGRAPH, question: 'Was it rebuilt?', answer: 'Yes' }, output: 'true' },
      ],
    });
    const counts = emptyCounts();
    const set = passageSetFromTasks([boolq, multirc], { chunkSentences: 2 }, counts);
    // BoolQ's "Title -- " prefix is the passages' title, also for the paragraph seen first without it.
    expect(set.corpus.get('boolq-d0-p0')).toMatchObject({ title: 'Mills', text: 'Ada built a mill in 1820. The mill ground wheat.' });
    // The two tasks hold the same paragraph: a question judging a chunk judges its copy too.
    const everyChunk = ['boolq-d0-p0', 'mr-d0-p0', 'boolq-d0-p1', 'mr-d0-p1', 'boolq-d0-p2', 'mr-d0-p2'];
    expect([...set.qrels.get('test')!.get('boolq-test-0')!.keys()]).toEqual(everyChunk);
    // MultiRC's rows of one question are one query; its true answers (Ada, Ben) sit in every
    // chunk between them, and a "Yes" locates nothing.
    expect([...set.qrels.get('test')!.get('mr-test-0')!.keys()]).toEqual(everyChunk);
    expect([...set.qrels.get('test')!.get('mr-test-3')!.keys()]).toEqual(everyChunk);
    expect(set.queries.has('mr-test-1')).toBe(false);
    expect(counts).toMatchObject({ identicalPassages: 3, answerInSeveralPassages: 1, judgedWholeDocument: 3 });
    // Only BoolQ writes titles that way: another task's "(CNN) -- " dateline stays in the text.
    const news = passageSetFromTasks([task('news', 'generation', ['context', 'question'], { test: [{ fields: { context: '(CNN) -- Rain fell.', question: 'What fell?' }, output: 'Rain' }] })], { chunkSentences: 2 });
    expect(news.corpus.get('news-d0-p0')).toMatchObject({ title: '', text: '(CNN) -- Rain fell.' });
  });

  it('skips and counts passages empty after cleaning, with their questions', () => {
    const rc = task('rc', 'generation', ['context', 'question'], {
      test: [
        { fields: { context: ' \n ', question: 'Anything?' }, output: 'x' },
        { fields: { context: '\t', question: '' }, output: 'x' },
        { fields: { context: PARAGRAPH, question: 'Who built the mill?' }, output: 'Ada' },
      ],
    });
    const counts = emptyCounts();
    const set = passageSetFromTasks([rc], { chunkSentences: 2 }, counts);
    expect(counts).toMatchObject({ skippedEmptyPassages: 2, queriesWithoutPassage: 1 });
    expect([...set.qrels.get('test')!.keys()]).toEqual(['rc-test-2']);
  });

  it('keeps a document whole with chunkSentences 0, so the corpus has no next links', () => {
    const rc = task('rc', 'generation', ['context', 'question'], { test: [{ fields: { context: PARAGRAPH, question: 'Who?' }, output: 'Ada' }] });
    const corpus = passageCorpusFromTasks({ inDomain: [rc], zeroShot: [] }, { chunkSentences: 0 });
    expect(describeSet(corpus.inDomain)).toMatchObject({ passages: 1, nextLinks: 0, hasNextPassages: false });
    expect(corpus.zeroShot).toBeUndefined();
  });

  it.skipIf(SKIP_WITHOUT_SHARED)('builds the real SQuAD and BoolQ folders, with MultiRC as the zero-shot set', async () => {
    const load = (name: string, splits?: string[]) => loadTaskFolder(join(SHARED_TASKS, name), { splits });
    const corpus = passageCorpusFromTasks(
      { inDomain: [await load('squad_v1'), await load('boolq')], zeroShot: [await load('multirc', ['test'])] },
      { chunkSentences: 2, maxQueries: 300, seed: 1 },
    );
    const info = describeSet(corpus.inDomain, corpus.counts);
    // SQuAD repeats a paragraph per question: 2,160 rows, 1,483 distinct paragraphs; BoolQ 2,007.
    expect(info.documents).toBe(1483 + 2007);
    expect(info.hasNextPassages).toBe(true);
    expect(info.nextLinks).toBe(info.passages - info.documents);
    expect(info.queries).toEqual({ train: 160 + 157, test: 600 });
    expect(corpus.counts.repeatedPassageRows).toBeGreaterThan(600);
    // Most SQuAD answers sit in one chunk; BoolQ's yes/no questions judge their whole document.
    expect(corpus.counts.answerInOnePassage).toBeGreaterThan(350);
    expect(corpus.counts.judgedWholeDocument).toBeGreaterThanOrEqual(157 + 300);
    for (const p of corpus.inDomain.corpus.values()) {
      expect(p.text.trim()).not.toBe('');
      if (p.next) expect(corpus.inDomain.corpus.get(p.next)!.doc).toBe(p.doc);
    }
    expect(describeSet(corpus.zeroShot!).queries).toEqual({ test: 300 });
    const bm25 = bm25Scores(corpus.inDomain, [{ measure: 'ndcg', k: 10 }]);
    expect(bm25.test!['ndcg@10']).toBeGreaterThan(0.5);
  });
});
