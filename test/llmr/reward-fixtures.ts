// Inputs for the reward-model tests and benchmark: a few generated classification tasks, a
// WordPiece tokenizer trained on them, and a synthetic scores folder in which the positive is
// recognisable. Each query gets 4 "good" rows (score 0 − small noise) and 16 others (score −5 −
// small noise), so the top 3 are good and the bottom 16 are not. Good means:
//   'fixed-label'  the row has the task's first label, whatever the query (a property of the
//                  candidate alone: some demonstrations help every query);
//   'same-label'   the row has the query's own label (what the LM's label penalty rewards; the
//                  model must compare A with B).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listTaskFolders, loadTaskFolder } from '../../src/lib/data/task-folder.js';
import { demonstrationTexts } from '../../src/lib/ml/lm/train-texts.js';
import { trainWordPiece } from '../../src/lib/nn/tokenizer/core.js';
import { Rng } from '../../src/lib/nn/train/rng.js';
import { materializeTasks } from '../../src/lib/tasks/materialize.js';

export const SYNTHETIC_TASKS = ['gen_reviews', 'gen_tweets'];

export interface RewardFixture {
  tasks: string;
  tokenizer: string;
  scores: string;
  /** BM25-like candidates: the same lists in a seeded random order (an uninformed ranker). */
  candidates: string;
}

export async function buildRewardFixture(root: string, opts: { trainSize: number; vocabSize?: number; seed?: number; tasks?: string[]; signal?: 'fixed-label' | 'same-label' }): Promise<RewardFixture> {
  const seed = opts.seed ?? 5;
  const tasks = join(root, 'tasks');
  await materializeTasks(tasks, { source: { kind: 'builtin', trainSize: opts.trainSize, testSize: 4 }, seed, tasks: opts.tasks ?? SYNTHETIC_TASKS });
  const tokenizer = join(root, 'tokenizer');
  await mkdir(tokenizer, { recursive: true });
  const { texts } = await demonstrationTexts(tasks);
  await trainWordPiece(texts, { vocabSize: opts.vocabSize ?? 400 }).save(join(tokenizer, 'tokenizer.json'));

  const scores = join(root, 'scores');
  const candidates = join(root, 'candidates');
  await mkdir(scores, { recursive: true });
  await mkdir(candidates, { recursive: true });
  const rng = new Rng(seed);
  for (const dir of await listTaskFolders(tasks)) {
    const { meta, splits } = await loadTaskFolder(dir);
    const train = splits.train!;
    const scoreLines: string[] = [];
    const candLines: string[] = [];
    for (const row of train) {
      const wanted = (opts.signal ?? 'fixed-label') === 'same-label' ? row.output : meta.labels[0] ?? row.output;
      const same = train.filter((r) => r.id !== row.id && r.output === wanted);
      const other = train.filter((r) => r.output !== wanted);
      const shuffled = <T>(items: T[]): T[] => {
        const copy = items.slice();
        rng.shuffle(copy);
        return copy;
      };
      const pick = (rows: typeof train, n: number) => shuffled(rows).slice(0, n);
      const chosen = [
        ...pick(same, 4).map((r) => ({ id: r.id, score: -rng.next() * 0.1 })),
        ...pick(other, 16).map((r) => ({ id: r.id, score: -5 - rng.next() * 0.1 })),
      ];
      const sorted = chosen.slice().sort((a, b) => b.score - a.score);
      scoreLines.push(JSON.stringify({ id: row.id, split: 'train', candidates: sorted }));
      candLines.push(JSON.stringify({ id: row.id, split: 'train', candidates: shuffled(chosen).map((c, i) => ({ id: c.id, score: 20 - i })) }));
    }
    await writeFile(join(scores, `${meta.name}.jsonl`), scoreLines.join('\n') + '\n');
    await writeFile(join(candidates, `${meta.name}.jsonl`), candLines.join('\n') + '\n');
  }
  await writeFile(join(scores, 'index.json'), JSON.stringify({ scorer: 'synthetic' }) + '\n');
  return { tasks, tokenizer, scores, candidates };
}

/** Sizes small enough for a test file: a one-layer encoder, short pairs. */
export const TINY_PARAMS = {
  hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64, maxLength: 48,
  batchSize: 4, steps: 60, warmupSteps: 5, lr: 2e-3, scoreBatchSize: 128, heldOutFraction: 0.2,
};
