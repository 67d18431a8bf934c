import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dense from '../../plugins/dense-encoder/index.js';
import type { TaskRow } from '../../src/lib/data/task.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { openEncoderFolder } from '../../src/lib/llmr/encoder-folder.js';
import { loadTaskPools } from '../../src/lib/llmr/pools.js';
import { bm25Pairs, simcsePairs } from '../../src/lib/llmr/unsupervised.js';
import { runPlugin } from '../plugins/ctx.js';
import { TINY_DENSE, TOPIC_META, writeTopicTask } from './dense-fixtures.js';
import { at } from '../util/at.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-unsup-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const row = (id: string, text: string, output: string): TaskRow => ({ id, fields: { text }, output, references: [output] });

async function poolOf(name: string, train: TaskRow[]) {
  const tasks = join(root, name);
  await writeTaskFolder(join(tasks, 'topics'), TOPIC_META, { train, test: [row('t0', 'river', 'stone')] });
  return { tasks, pool: at(await loadTaskPools(tasks, 'test'), 0) };
}

describe('training pairs', () => {
  it('simcse: every pool row\'s query and demonstration, each paired with itself', async () => {
    const { pool } = await poolOf('simcse', [row('a', 'river stone', 'fish'), row('b', 'violin song', 'tune')]);
    const pairs = simcsePairs(pool);
    expect(pairs).toHaveLength(4);
    for (const p of pairs) expect(p.positive).toBe(p.anchor);
    expect(pairs.map((p) => p.anchor)).toEqual([...pool.poolQueries, ...pool.demonstrations]);
  });

  it('bm25-pairs: the query with the BM25 top-1 among the other rows, rows of the same query text excluded', async () => {
    const { pool } = await poolOf('bm25', [
      row('a', 'river stone water', 'fish'),
      row('a2', 'river stone water', 'boat'),   // the same query text as a
      row('b', 'river bank', 'fish'),
      row('c', 'violin song', 'tune'),
    ]);
    const demo = (id: string) => pool.demonstrations[pool.pool.findIndex((r) => r.id === id)];
    const excluding = bm25Pairs(pool, { excludeSameQuery: true });
    expect(excluding.find((p) => p.anchor === pool.poolQueries[0])?.positive).toBe(demo('b'));
    expect(excluding).toHaveLength(4);
    const keeping = bm25Pairs(pool, { excludeSameQuery: false });
    expect(keeping.find((p) => p.anchor === pool.poolQueries[0])?.positive).toBe(demo('a2'));
  });
});

describe('dense-encoder candidates', () => {
  it('drop rows of the same query text unless excludeSameQuery is off', async () => {
    const topics = await writeTopicTask(join(root, 'dup-data'));
    const pool = (await loadTaskPools(topics.tasksDir, 'test'))[0]!.pool;
    const dupOf0: TaskRow = { ...pool[0]!, id: 'topics-dup', output: `${pool[0]!.output} again`, references: [`${pool[0]!.output} again`] };
    const tasks = join(root, 'dup-tasks');
    await writeTaskFolder(join(tasks, 'topics'), TOPIC_META, { train: [...pool, dupOf0], test: [] });
    const first = async (name: string, excludeSameQuery: boolean) => {
      const r = await runPlugin(dense, join(root, name), { ...TINY_DENSE, steps: 0, excludeSameQuery }, { tasks, tokenizer: topics.tokenizerDir });
      const lines = readFileSync(join(r.outDir, 'candidates', 'topics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; candidates: { id: string }[] });
      return lines.find((l) => l.id === pool[0]!.id)!.candidates.map((c) => c.id);
    };
    expect(await first('dup-excluded', true)).not.toContain('topics-dup');
    expect(await first('dup-kept', false)).toContain('topics-dup'); // nearly its own demonstration: among the top 8
  });
});

describe('encoder folders', () => {
  it('open a retriever\'s model folder by its retriever.json', async () => {
    const topics = await writeTopicTask(join(root, 'folder-data'));
    const r = await runPlugin(dense, join(root, 'folder'), { ...TINY_DENSE, steps: 0 }, { tasks: topics.tasksDir, tokenizer: topics.tokenizerDir });
    const dir = join(root, 'as-retriever');
    mkdirSync(dir, { recursive: true });
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json']) writeFileSync(join(dir, name), readFileSync(join(r.outDir, 'model', name)));
    writeFileSync(join(dir, 'retriever.json'), JSON.stringify({ pooling: 'mean', normalize: true, temperature: 0.01, maxLength: 16 }));
    const { encoder } = await openEncoderFolder(dir, { maxLength: 99, prefix: 'query: ' });
    expect(encoder.info.maxLength).toBe(16);
    expect(encoder.info.prefix).toBe('query: '); // retriever.json says nothing of a prefix
    encoder.dispose();
  });
});
