import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import importPlugin, { type TaskImportParams } from '../../plugins/task-import/index.js';
import { loadTaskFolder } from '../../src/lib/data/task-folder.js';
import { readTaskIndex } from '../../src/lib/data/task-index.js';
import { renderDemonstration } from '../../src/lib/tasks/registry.js';
import { HubContractServer } from '../data/hub-contract-server.js';
import { runPlugin } from './ctx.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-task-import-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function run(name: string, params: Partial<TaskImportParams>, inputs: Record<string, string> = {}) {
  return runPlugin(importPlugin, join(root, 'out', name), params, inputs);
}

const RTE_MAPPING = { fields: { premise: 'sentence1', hypothesis: 'sentence2' }, output: 'label', labelNames: ['entailment', 'not_entailment'] };

describe('task-import', () => {
  it('builds a registry task from JSONL with a field mapping, rendered with LLM-R\'s template', async () => {
    const src = join(root, 'glue-rte');
    await mkdir(src, { recursive: true });
    const line = (i: number, label: number) => JSON.stringify({ sentence1: `Dana Reeve died ${i}.`, sentence2: 'Reeve had an accident.', label });
    await writeFile(join(src, 'train.jsonl'), [line(0, 1), line(1, 0), line(2, 1)].join('\n') + '\n');
    await writeFile(join(src, 'validation.jsonl'), line(3, 0) + '\n');
    const r = await run('rte', { name: 'rte', splits: { train: 'train.jsonl', test: 'validation.jsonl' }, mapping: RTE_MAPPING }, { source: src });
    const dir = join(r.outDir, 'tasks');
    const index = await readTaskIndex(dir);
    expect(index.tasks).toEqual([{ name: 'rte', path: 'rte', category: 'nli', type: 'classification', metric: 'accuracy', splits: { train: 3, test: 1 } }]);
    const t = await loadTaskFolder(join(dir, 'rte'));
    expect(t.meta.labels).toEqual(['entailment', 'not_entailment']);
    expect(renderDemonstration(t.meta, t.splits.train![0]!)).toBe('Dana Reeve died 0. Based on the paragraph above can we conclude that "Reeve had an accident."? Yes or No?\nNo');
    expect(r.metrics).toEqual({ 'rows/train': 3, 'rows/test': 1 });
  });

  it('reads CSV/TSV and Parquet', async () => {
    const src = join(root, 'files');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'sst.tsv'), 'sentence\tlabel\na fine film\t1\na dull film\t0\n');
    const tsv = await run('sst2', { name: 'sst2', labels: ['negative', 'positive'], splits: { test: 'sst.tsv' }, mapping: { fields: { sentence: 'sentence' }, output: 'label', labelNames: ['negative', 'positive'] } }, { source: src });
    const sst = await loadTaskFolder(join(tsv.outDir, 'tasks', 'sst2'));
    expect(sst.splits.test!.map((row) => row.output)).toEqual(['positive', 'negative']);
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'goal', data: ['open a jar', 'dry shoes'], type: 'STRING' },
        { name: 'sol1', data: ['twist the lid', 'oven'], type: 'STRING' },
        { name: 'sol2', data: ['freeze it', 'newspaper'], type: 'STRING' },
        { name: 'label', data: [0n, 1n], type: 'INT64' },
      ],
    });
    await writeFile(join(src, 'piqa.parquet'), Buffer.from(buf));
    const pq = await run('piqa', { name: 'piqa', splits: { test: join(src, 'piqa.parquet') }, mapping: { fields: { goal: 'goal' }, options: ['sol1', 'sol2'], output: 'label', outputIsIndex: true } });
    const piqa = await loadTaskFolder(join(pq.outDir, 'tasks', 'piqa'));
    expect(piqa.meta.category).toBe('commonsense');
    expect(renderDemonstration(piqa.meta, piqa.splits.test![1]!)).toBe('Here is a goal: "dry shoes" How would you accomplish this goal?\nnewspaper');
  });

  it('reads hf://datasets/… through the Hub loader and its cache', async () => {
    const rows = ['{"text": "great", "label": 1}', '{"text": "awful", "label": 0}'].join('\n') + '\n';
    const server = new HubContractServer('acme/reviews', 'v1', [{ path: 'data/test.jsonl', content: Buffer.from(rows) }]);
    await server.start();
    const saved = { ...process.env };
    process.env.HF_ENDPOINT = server.url;
    process.env.RETORT_HF_CACHE = join(root, 'hf-cache');
    try {
      const r = await run('hf', { name: 'sentiment140', labels: ['negative', 'positive'], splits: { test: 'hf://datasets/acme/reviews@v1/data/test.jsonl' }, mapping: { fields: { text: 'text' }, output: 'label', labelNames: ['negative', 'positive'] } });
      const t = await loadTaskFolder(join(r.outDir, 'tasks', 'sentiment140'));
      expect(renderDemonstration(t.meta, t.splits.test![0]!)).toBe('great What is the sentiment of this tweet?\nPositive');
    } finally {
      process.env = saved;
      await server.stop();
    }
  });

  it('says what is missing: a relative path without a source, metadata of an unknown task, a bad record', async () => {
    await expect(run('no-source', { name: 'rte', splits: { test: 'x.jsonl' }, mapping: RTE_MAPPING })).rejects.toThrow(/relative path, so connect the "source" input/);
    await expect(run('unknown', { name: 'my_task', splits: { test: '/x.jsonl' }, mapping: RTE_MAPPING })).rejects.toThrow(/"type" is needed: "my_task" is not a task the registry knows/);
    const src = join(root, 'bad');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 't.jsonl'), '{"sentence1": "a", "sentence2": "b", "label": 0}\n{"sentence1": "a", "label": 1}\n');
    await expect(run('bad', { name: 'rte', splits: { test: 't.jsonl' }, mapping: RTE_MAPPING }, { source: src })).rejects.toThrow(/t\.jsonl:2: source key "sentence2" is missing/);
  });
});
