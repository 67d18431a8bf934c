// Measurement: BM25 on the passage corpora LLaRA is run on, the reference row of its tables.
// The generated corpus (defaults, and without paraphrases as the lexical ceiling), and the real
// SQuAD-derived corpus read at bench time from /work/shared/data/tasks (not copied): cut into
// sentence chunks, as LLaRA reads it, and kept as whole paragraphs, the peer that shows what
// chunking costs BM25. Prints nDCG@10, MRR@10 and Recall@100 per set, build times and ratios.
//
//   npx vite-node bench/passage-corpus.ts [--tasks DIR] [--chunk 2] [--seed 1]

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadTaskFolder } from '../src/lib/data/task-folder.js';
import type { BeirDataset } from '../src/lib/retrieval/beir.js';
import { bm25Scores } from '../src/lib/retrieval/passages/bm25-baseline.js';
import { describeSet } from '../src/lib/retrieval/passages/corpus.js';
import { passageCorpusFromTasks } from '../src/lib/retrieval/passages/from-tasks.js';
import { generatePassageCorpus } from '../src/lib/retrieval/passages/generated.js';
import type { Measure } from '../src/lib/retrieval/metrics.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const tasksDir = arg('tasks', '/work/shared/data/tasks');
const chunk = Number(arg('chunk', '2'));
const seed = Number(arg('seed', '1'));
const MEASURES: Measure[] = [{ measure: 'ndcg', k: 10 }, { measure: 'mrr', k: 10 }, { measure: 'recall', k: 100 }];

interface Row { name: string; split: string; passages: number; buildMs: number; scores: Record<string, number> }
const rows: Row[] = [];

/** A row's score for one of MEASURES, by its name ('ndcg@10'). */
function score(r: Row, measure: string): number {
  const s = r.scores[measure];
  if (s === undefined) throw new Error(`${r.name} (${r.split}): no ${measure} score`);
  return s;
}

function measure(name: string, build: () => BeirDataset, splits: string[]): void {
  const t0 = performance.now();
  const set = build();
  const buildMs = performance.now() - t0;
  const scores = bm25Scores(set, MEASURES);
  for (const split of splits) {
    const got = scores[split];
    if (got === undefined) throw new Error(`${name}: no qrels for split ${split}`);
    rows.push({ name, split, passages: describeSet(set).passages, buildMs, scores: got });
  }
}

measure('generated (defaults)', () => generatePassageCorpus({ seed }).inDomain, ['test']);
measure('generated zero-shot', () => generatePassageCorpus({ seed }).zeroShot!, ['test']);
measure('generated, no paraphrases', () => generatePassageCorpus({ seed, paraphraseRate: 0 }).inDomain, ['test']);
const squad = await loadTaskFolder(join(tasksDir, 'squad_v1'));
measure(`SQuAD, ${chunk}-sentence passages`, () => passageCorpusFromTasks({ inDomain: [squad], zeroShot: [] }, { chunkSentences: chunk, seed }).inDomain, ['test']);
measure('SQuAD, whole paragraphs', () => passageCorpusFromTasks({ inDomain: [squad], zeroShot: [] }, { chunkSentences: 0, seed }).inDomain, ['test']);

console.log('| set | split | passages | build | nDCG@10 | MRR@10 | Recall@100 |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.split} | ${r.passages} | ${r.buildMs.toFixed(0)} ms | ${score(r, 'ndcg@10').toFixed(3)} | ${score(r, 'mrr@10').toFixed(3)} | ${score(r, 'recall@100').toFixed(3)} |`);
}
const ndcg = (name: string) => score(rows.find((r) => r.name === name)!, 'ndcg@10');
console.log(`nDCG@10 ratios: generated / SQuAD chunks ${(ndcg('generated (defaults)') / ndcg(`SQuAD, ${chunk}-sentence passages`)).toFixed(2)}, `
  + `SQuAD chunks / whole paragraphs ${(ndcg(`SQuAD, ${chunk}-sentence passages`) / ndcg('SQuAD, whole paragraphs')).toFixed(2)}, `
  + `generated / no paraphrases ${(ndcg('generated (defaults)') / ndcg('generated, no paraphrases')).toFixed(2)}`);
