import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import retriever from '../../plugins/beir-retriever/index.js';
import negatives from '../../plugins/negatives/index.js';
import { writeBeirFolder, type BeirDataset } from '../../src/lib/retrieval/beir.js';
import { groupAt } from '../../src/lib/retrieval/dense.js';
import { runPlugin } from '../plugins/ctx.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'beir-retriever-'));
const words = ['river', 'mountain', 'violin', 'engine', 'garden', 'planet', 'market', 'winter', 'castle', 'ocean'];

/** Ten documents on distinct topics; train and test queries ask about each. */
function toySet(): BeirDataset {
  const corpus = new Map(words.map((w, i) => [`d${i}`, { id: `d${i}`, title: '', text: `a long text about the ${w} and more ${w} facts` }]));
  const queries = new Map<string, { id: string; text: string }>();
  const train = new Map<string, Map<string, number>>();
  const test = new Map<string, Map<string, number>>();
  words.forEach((w, i) => {
    for (const [split, qrels, text] of [['tr', train, `tell me of the ${w}`], ['te', test, `what about the ${w}`]] as const) {
      queries.set(`${split}${i}`, { id: `${split}${i}`, text });
      qrels.set(`${split}${i}`, new Map([[`d${i}`, 1]]));
    }
  });
  return { corpus, queries, qrels: new Map([['train', train], ['test', test]]) };
}

describe('groupAt', () => {
  it('cycles the negatives per epoch and repeats a short list', () => {
    const g = { queryId: 'q', positives: ['p'], negatives: ['a', 'b', 'c', 'd', 'e'] };
    expect(groupAt(g, 0, 3).ids).toEqual(['p', 'a', 'b']);
    expect(groupAt(g, 1, 3).ids).toEqual(['p', 'c', 'd']);
    expect(groupAt(g, 2, 3).ids).toEqual(['p', 'e', 'a']);
    expect(groupAt({ ...g, negatives: ['a'] }, 0, 4).ids).toEqual(['p', 'a', 'a', 'a']);
  });

  it('re-sorts soft-label members by weight and renormalises the weights', () => {
    const g = { queryId: 'q', positives: ['p'], negatives: ['a', 'b', 'c'], weights: [0.4, 0.3, 0.2, 0.1] };
    const at = groupAt(g, 1, 3); // picks c, a
    expect(at.ids).toEqual(['p', 'a', 'c']);
    at.weights!.forEach((w, i) => expect(w).toBeCloseTo([0.4, 0.3, 0.1][i]! / 0.8, 12));
  });
});

describe('negatives on a BEIR set, then the dense retriever', () => {
  it('mines BM25 candidates against the qrels, trains and reports retrieval metrics', async () => {
    const beir = join(tmp(), 'toy');
    await writeBeirFolder(beir, toySet());
    const mined = await runPlugin(negatives, tmp(), { strategy: 'window', count: 3, beirDepth: 10, window: { start: 1, topUp: 'none' } }, { beir });
    const lines = readFileSync(join(mined.outDir, 'groups', 'toy.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(10);
    for (const l of lines) {
      expect(l.positives[0].id).toBe(`d${l.id.slice(2)}`);
      expect(l.negatives.map((n: { id: string }) => n.id)).not.toContain(l.positives[0].id);
    }
    const r = await runPlugin(retriever, tmp(), { steps: 6, batchSize: 4, groupSize: 3, vocabSize: 200, measures: ['ndcg@10', 'mrr@10'] }, { beir, groups: join(mined.outDir, 'groups') });
    const v = r.metrics['retrieval/ndcg_at_10'];
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThanOrEqual(1);
    const evaluation = JSON.parse(readFileSync(join(r.outDir, 'metrics', 'evaluation.json'), 'utf8'));
    expect(evaluation.queries).toBe(10);
    expect(r.metrics['train/loss']).toBeGreaterThan(0);
  });

  it('scores every positive with BM25, also one outside the candidates, so soft labels always have s₊', async () => {
    const beir = join(tmp(), 'toy');
    const set = toySet();
    // tr0 asks about the river but is judged against the violin document, which BM25 ranks low.
    set.qrels.get('train')!.set('tr0', new Map([['d2', 1]]));
    await writeBeirFolder(beir, set);
    const mined = await runPlugin(negatives, tmp(), { strategy: 'soft-label', count: 1, beirDepth: 1 }, { beir });
    const first = JSON.parse(readFileSync(join(mined.outDir, 'groups', 'toy.jsonl'), 'utf8').split('\n')[0]!);
    expect(first.positives).toEqual([{ id: 'd2', score: expect.any(Number) }]);
    expect(first.negatives.map((n: { id: string }) => n.id)).toEqual(['d0']);
    expect(first.weights).toHaveLength(2);
  });

  it('refuses groups of another set and a missing split', async () => {
    const beir = join(tmp(), 'toy');
    await writeBeirFolder(beir, toySet());
    await expect(runPlugin(retriever, tmp(), { evalSplit: 'dev' }, { beir, groups: tmp() })).rejects.toThrow(/no qrels for split dev \(has test, train\)/);
    await expect(runPlugin(retriever, tmp(), {}, { beir, groups: tmp() })).rejects.toThrow(/toy\.jsonl: no groups for this set/);
  });
});
