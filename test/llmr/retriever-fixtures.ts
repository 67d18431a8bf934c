// A synthetic retrieval task for the retriever tests. The teacher prefers "recognisable"
// candidates — pool rows whose text holds the marker word `gold` — whatever the query says, so
// an untrained encoder's cosine order agrees with it only by chance, and a trained one learns to.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskMeta, TaskRow } from '../../src/lib/data/task.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { Rng } from '../../src/lib/nn/train/rng.js';
import { trainWordPiece } from '../../src/lib/nn/tokenizer/core.js';

const NOUNS = ['river', 'stone', 'cloud', 'forest', 'candle', 'window', 'garden', 'mirror', 'bridge', 'ladder', 'violin', 'harbor'];
const VERBS = ['sings', 'waits', 'turns', 'falls', 'grows', 'shines', 'rests', 'moves'];
export const MARKER = 'gold';

export const SYNTH_META: TaskMeta = {
  name: 'synth', category: 'summarize', type: 'generation', metric: 'rouge_l', fields: ['text'], labels: [], splits: {},
};

export interface SynthTask {
  tasksDir: string;
  scoresDir: string;
  tokenizerDir: string;
  pool: TaskRow[];
  /** Pool ids the teacher prefers. */
  marked: Set<string>;
}

function sentence(rng: Rng, words: number): string {
  return Array.from({ length: words }, (_, i) => (i % 2 === 0 ? NOUNS[rng.int(NOUNS.length)] : VERBS[rng.int(VERBS.length)])).join(' ');
}

/**
 * Writes tasks/synth (train `poolSize` rows, a fifth of them marked, and `testSize` test rows),
 * scores/synth.jsonl (each train query scored on `scored` random other rows: 1 for a marked
 * candidate, 0 otherwise, minus a tiny rank-breaking term), and tokenizer/tokenizer.json.
 */
export async function writeSynthTask(root: string, opts: { poolSize?: number; testSize?: number; scored?: number; seed?: number } = {}): Promise<SynthTask> {
  const { poolSize = 60, testSize = 10, scored = 20, seed = 7 } = opts;
  const rng = new Rng(seed);
  const pool: TaskRow[] = [];
  const marked = new Set<string>();
  for (let i = 0; i < poolSize; i++) {
    const isMarked = i % 5 === 0;
    const text = sentence(rng, 6);
    const output = isMarked ? `${MARKER} ${sentence(rng, 2)}` : sentence(rng, 3);
    const id = `synth-train-${i}`;
    if (isMarked) marked.add(id);
    pool.push({ id, fields: { text }, output });
  }
  const test: TaskRow[] = Array.from({ length: testSize }, (_, i) => {
    const output = sentence(rng, 3);
    return { id: `synth-test-${i}`, fields: { text: sentence(rng, 6) }, output, references: [output] };
  });
  const tasksDir = join(root, 'tasks');
  await writeTaskFolder(join(tasksDir, 'synth'), SYNTH_META, { train: pool, test });

  const scoresDir = join(root, 'scores');
  mkdirSync(scoresDir, { recursive: true });
  const lines = pool.map((row, qi) => {
    const others = pool.filter((_, j) => j !== qi);
    rng.shuffle(others);
    const candidates = others.slice(0, scored)
      .map((c, r) => ({ id: c.id, score: (marked.has(c.id) ? 1 : 0) - r * 1e-3 }))
      .sort((a, b) => b.score - a.score);
    return JSON.stringify({ id: row.id, split: 'train', candidates });
  });
  writeFileSync(join(scoresDir, 'synth.jsonl'), lines.join('\n') + '\n');
  writeFileSync(join(scoresDir, 'index.json'), JSON.stringify({ scorer: 'synthetic marker teacher' }) + '\n');

  const tokenizerDir = join(root, 'tokenizer');
  mkdirSync(tokenizerDir, { recursive: true });
  const texts = [...pool, ...test].map((r) => `${r.fields.text}\n${r.output}`);
  await trainWordPiece(texts, { vocabSize: 120, minFrequency: 1 }).save(join(tokenizerDir, 'tokenizer.json'));
  return { tasksDir, scoresDir, tokenizerDir, pool, marked };
}

/** Params of a retriever small enough for a test to train in seconds. */
export const TINY = {
  hiddenSize: 32, layers: 1, heads: 2, intermediateSize: 64, maxLength: 32,
  batchSize: 8, steps: 60, lr: 2e-3, warmupSteps: 5, topK: 10, encodeBatchSize: 32, logEvery: 5, checkpointEvery: 1000,
};
