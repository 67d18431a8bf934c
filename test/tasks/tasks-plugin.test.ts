import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { type TasksParams } from '../../plugins/tasks/index.js';
import { runPlugin } from '../plugins/ctx.js';
import { listTaskFolders, loadTaskFolder, writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { readTaskIndex } from '../../src/lib/data/task-index.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';

const SHARED = SHARED_TASKS;
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-tasks-plugin-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const DEFAULTS: TasksParams = { suite: 'builtin', seed: 1, trainSize: 200, testSize: 50 };

async function run(name: string, params: Partial<TasksParams>, inputs: Record<string, string | string[]> = {}) {
  const outDir = join(root, name);
  const { metrics } = await runPlugin(plugin, outDir, { ...DEFAULTS, ...params }, inputs);
  return { dir: join(outDir, 'tasks'), metrics };
}

describe('tasks plugin', () => {
  it('declares its id, params and ports', () => {
    expect(plugin.id).toBe('tasks');
    expect(Object.keys(plugin.outputs)).toEqual(['tasks']);
    expect(plugin.inputs?.data?.optional).toBe(true);
    expect((plugin.params.properties as Record<string, { default?: unknown }>).suite!.default).toBe('builtin');
  });

  it('writes the builtin suite (subset, caps) with index.json and metrics, deterministically', async () => {
    const a = await run('builtin-a', { trainSize: 30, testSize: 10, maxTrain: 12, tasks: ['gen_reviews', 'gen_country_facts'] });
    const b = await run('builtin-b', { trainSize: 30, testSize: 10, maxTrain: 12, tasks: ['gen_reviews', 'gen_country_facts'] });
    const index = await readTaskIndex(a.dir);
    expect(index.tasks.map((t) => [t.name, t.category, t.type, t.metric, t.splits])).toEqual([
      ['gen_country_facts', 'close_qa', 'generation', 'exact_match', { train: 12, test: 10 }],
      ['gen_reviews', 'sentiment', 'classification', 'accuracy', { train: 12, test: 10 }],
    ]);
    expect(a.metrics).toEqual({ 'tasks/count': 2, 'tasks/train_rows': 24, 'tasks/test_rows': 20 });
    for (const f of ['index.json', 'gen_reviews/train.jsonl', 'gen_reviews/task.json', 'gen_country_facts/test.jsonl']) {
      expect(await readFile(join(a.dir, f), 'utf8')).toBe(await readFile(join(b.dir, f), 'utf8'));
    }
    const all = await run('builtin-all', { trainSize: 5, testSize: 3 });
    expect((await listTaskFolders(all.dir)).length).toBe(30);
  });

  it('rejects inputs with the builtin suite and unknown task names', async () => {
    await expect(run('bad-1', {}, { data: SHARED })).rejects.toThrow(/only read with suite: folders/);
    await expect(run('bad-2', { tasks: ['gen_nope'] })).rejects.toThrow(/unknown generated task "gen_nope"/);
    await expect(run('bad-3', { suite: 'folders' })).rejects.toThrow(/no task folders given/);
  });

  it.skipIf(SKIP_WITHOUT_SHARED)('reads task folders from the data input, capped by a seeded shuffle in source order', async () => {
    const { dir } = await run('folders', { suite: 'folders', tasks: ['rte', 'copa'], maxTrain: 50, maxTest: 20 }, { data: SHARED });
    const rte = await loadTaskFolder(join(dir, 'rte'));
    expect(rte.meta.splits).toEqual({ train: 50, test: 20 });
    const ids = rte.splits.train!.map((r) => Number(r.id.split('-').at(-1)));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(ids.at(-1)!).toBeGreaterThan(100); // sampled across the pool, not its head
    const again = await run('folders-2', { suite: 'folders', tasks: ['rte', 'copa'], maxTrain: 50, maxTest: 20 }, { data: SHARED });
    expect(await readFile(join(again.dir, 'rte', 'train.jsonl'), 'utf8')).toBe(await readFile(join(dir, 'rte', 'train.jsonl'), 'utf8'));
    const other = await run('folders-3', { suite: 'folders', seed: 2, tasks: ['rte'], maxTrain: 50 }, { data: SHARED });
    expect(await readFile(join(other.dir, 'rte', 'train.jsonl'), 'utf8')).not.toBe(await readFile(join(dir, 'rte', 'train.jsonl'), 'utf8'));
    await expect(run('folders-bad', { suite: 'folders', tasks: ['rte', 'nope'] }, { data: SHARED })).rejects.toThrow(/unknown task "nope"; available: aeslc/);
  });
});

describe('folders suite selection', () => {
  const meta = (name: string) => ({ name, category: 'nli' as const, type: 'classification' as const, metric: 'accuracy' as const, fields: ['premise', 'hypothesis'], labels: ['entailment', 'not_entailment'], splits: {} });
  const row = (task: string) => ({ id: `${task}-0`, fields: { premise: 'p', hypothesis: 'h' }, options: ['entailment', 'not_entailment'], output: 'entailment' });

  it('evaluates the LLM-R tasks by default, others only when named, and lists the missing LLM-R tasks', async () => {
    const data = join(root, 'mixed');
    for (const name of ['rte', 'anli']) await writeTaskFolder(join(data, name), meta(name), { train: [row(name)], test: [row(name)] });
    const byDefault = await run('mixed-default', { suite: 'folders' }, { data });
    const index = await readTaskIndex(byDefault.dir);
    expect(index.tasks.map((t) => t.name)).toEqual(['rte']);
    expect(index.skipped).toEqual(['anli']);
    expect(index.missing).toHaveLength(29);
    expect(index.missing).toContain('gigaword');
    expect(index.missing).not.toContain('rte');
    expect(byDefault.metrics['tasks/missing_llm_r']).toBe(29);
    const named = await readTaskIndex((await run('mixed-named', { suite: 'folders', tasks: ['anli', 'rte'] }, { data })).dir);
    expect(named.tasks.map((t) => t.name)).toEqual(['anli', 'rte']);
    expect(named.skipped).toEqual([]);
  });

  it('takes every task of folders that hold no LLM-R task', async () => {
    const data = join(root, 'own');
    await writeTaskFolder(join(data, 'my_nli'), meta('my_nli'), { train: [row('my_nli')], test: [row('my_nli')] });
    const index = await readTaskIndex((await run('own', { suite: 'folders' }, { data })).dir);
    expect(index.tasks.map((t) => t.name)).toEqual(['my_nli']);
  });
});
