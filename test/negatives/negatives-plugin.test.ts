import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import negatives from '../../plugins/negatives/index.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { runPlugin } from '../plugins/ctx.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'negatives-plugin-'));

/** Task folders: `rc` (20 rows, 4 per passage p0..p4) and `cls` (20 rows, labels alternate). */
async function tasks(): Promise<string> {
  const root = tmp();
  const n = 20;
  await writeTaskFolder(join(root, 'rc'), { name: 'rc', category: 'reading_comprehension', type: 'generation', metric: 'exact_match', fields: ['context', 'question'], labels: [], splits: { train: n } }, {
    train: Array.from({ length: n }, (_, i) => ({ id: `rc-train-${i}`, fields: { context: `passage ${i % 5}`, question: `q${i}` }, output: 'x' })),
  });
  await writeTaskFolder(join(root, 'cls'), { name: 'cls', category: 'sentiment', type: 'classification', metric: 'accuracy', fields: ['sentence'], labels: ['neg', 'pos'], splits: { train: n } }, {
    train: Array.from({ length: n }, (_, i) => ({ id: `cls-train-${i}`, fields: { sentence: `s${i}` }, options: ['neg', 'pos'], output: i % 2 ? 'pos' : 'neg' })),
  });
  return root;
}

/** Scores: each train query ranks every other row of its task, score −rank/10. */
function scores(only?: string[]): string {
  const dir = tmp();
  for (const task of only ?? ['rc', 'cls']) {
    const lines = Array.from({ length: 20 }, (_, q) => {
      const others = Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== q);
      return JSON.stringify({ id: `${task}-train-${q}`, split: 'train', candidates: others.map((i, r) => ({ id: `${task}-train-${i}`, score: -r / 10 })) });
    });
    writeFileSync(join(dir, `${task}.jsonl`), lines.join('\n') + '\n');
  }
  return dir;
}

const readGroups = (dir: string, task: string) => readFileSync(join(dir, 'groups', `${task}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('negatives plugin', () => {
  it('mines window negatives per query, logs statistics as metrics and writes the histogram', async () => {
    const r = await runPlugin(negatives, tmp(), { strategy: 'window', count: 4, window: { start: 5, end: 12, topUp: 'none' } }, { scores: scores(), tasks: await tasks() });
    const rc = readGroups(r.outDir, 'rc');
    expect(rc).toHaveLength(20);
    for (const g of rc) {
      expect(g.positives).toHaveLength(3);
      expect(g.negatives).toHaveLength(4);
      for (const n of g.negatives) expect(n.rank >= 5 && n.rank < 12).toBe(true);
    }
    // cls: same-label candidates are false negatives, never chosen.
    for (const g of readGroups(r.outDir, 'cls')) {
      const own = Number(g.id.split('-')[2]) % 2;
      for (const n of g.negatives) expect(Number(n.id.split('-')[2]) % 2).not.toBe(own);
    }
    expect(r.metrics['negatives/queries']).toBe(40);
    expect(r.metrics['negatives/suspected_false_negative_share']).toBe(0);
    expect(r.metrics['negatives/filtered_false_negatives']).toBeGreaterThan(0);
    const h = JSON.parse(readFileSync(join(r.outDir, 'stats', 'histogram.json'), 'utf8'));
    expect(h.counts.reduce((s: number, c: number) => s + c, 0)).toBe(r.metrics['negatives/negatives']);
    expect(readFileSync(join(r.outDir, 'stats', 'histogram.tsv'), 'utf8').split('\n')[0]).toBe('low\thigh\tcount');
    // The same seed gives the same groups; another seed does not.
    const again = await runPlugin(negatives, tmp(), { strategy: 'window', count: 4, window: { start: 5, end: 12, topUp: 'none' } }, { scores: scores(), tasks: await tasks() });
    expect(readGroups(again.outDir, 'rc')).toEqual(rc);
    const other = await runPlugin(negatives, tmp(), { strategy: 'window', count: 4, seed: 2, window: { start: 5, end: 12, topUp: 'none' } }, { scores: scores(), tasks: await tasks() });
    expect(readGroups(other.outDir, 'rc')).not.toEqual(rc);
  });

  it('mines same-document negatives from the rows sharing the positive\'s passage', async () => {
    const r = await runPlugin(negatives, tmp(), { strategy: 'same-document', count: 3, tasks: ['rc'] }, { scores: scores(['rc']), tasks: await tasks() });
    for (const g of readGroups(r.outDir, 'rc')) {
      const passage = Number(g.positives[0].id.split('-')[2]) % 5;
      for (const n of g.negatives) expect(Number(n.id.split('-')[2]) % 5).toBe(passage);
    }
  });

  it('writes soft-label weights and SimANS groups', async () => {
    const soft = await runPlugin(negatives, tmp(), { strategy: 'soft-label', count: 3, tasks: ['rc'] }, { scores: scores(['rc']) });
    for (const g of readGroups(soft.outDir, 'rc')) {
      expect(g.weights).toHaveLength(4);
      expect(g.weights.reduce((s: number, w: number) => s + w, 0)).toBeCloseTo(1, 5);
    }
    const simans = await runPlugin(negatives, tmp(), { strategy: 'simans', count: 3, simans: { a: 1e6, b: -0.5 }, tasks: ['rc'] }, { scores: scores(['rc']) });
    // s₊ is the best score (rank 0, score 0); with a huge a the first draw sits at Δ = −0.5 (rank 5).
    for (const g of readGroups(simans.outDir, 'rc')) expect(g.negatives[0].rank).toBe(5);
  });

  it('fails with clear messages: a window beyond the depth, unscored candidates, same-document without passages', async () => {
    await expect(runPlugin(negatives, tmp(), { strategy: 'window', window: { start: 10, end: 210, topUp: 'random' } }, { scores: scores() })).rejects.toThrow(/window 10–210 reaches beyond the candidate depth: the input ranks at most 19/);
    const unscored = tmp();
    mkdirSync(unscored, { recursive: true });
    writeFileSync(join(unscored, 'rc.jsonl'), JSON.stringify({ id: 'rc-train-0', split: 'train', candidates: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })) }) + '\n');
    await expect(runPlugin(negatives, tmp(), { strategy: 'simans' }, { scores: unscored })).rejects.toThrow(/rc\.jsonl:1: strategy simans needs scored candidates/);
    await expect(runPlugin(negatives, tmp(), { strategy: 'same-document', tasks: ['cls'] }, { scores: scores(['cls']), tasks: await tasks() })).rejects.toThrow(/same-document negatives: task cls has no shared passage/);
    writeFileSync(join(unscored, 'rc.jsonl'), '{"id": "rc-train-0", "candidates": [{"id": "a", "score": "high"}]}\n');
    await expect(runPlugin(negatives, tmp(), { strategy: 'random' }, { scores: unscored })).rejects.toThrow(/rc\.jsonl:1: candidate 0 \(a\) has score "high"/);
  });
});
