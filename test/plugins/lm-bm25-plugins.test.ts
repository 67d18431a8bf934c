import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bm25Plugin, { type CandidateLine } from '../../plugins/bm25/index.js';
import ngramPlugin from '../../plugins/ngram-lm/index.js';
import { loadTaskFolder } from '../../src/lib/data/task-folder.js';
import { Bm25Index } from '../../src/lib/ml/bm25.js';
import { openLanguageModel } from '../../src/lib/ml/lm/load.js';
import { NgramLM } from '../../src/lib/ml/lm/ngram.js';
import { OpenAICompletionsLM } from '../../src/lib/ml/lm/openai.js';
import { materializeTasks } from '../../src/lib/tasks/materialize.js';
import { renderDemonstration, renderQuery, taskSpecFor } from '../../src/lib/tasks/registry.js';
import { runPlugin } from './ctx.js';

let root: string;
let tasks: string;
const NAMES = ['gen_reviews', 'gen_country_facts', 'gen_cause_effect'];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-lm-plugins-'));
  tasks = join(root, 'tasks');
  await materializeTasks(tasks, { source: { kind: 'builtin', trainSize: 60, testSize: 10 }, seed: 3, tasks: NAMES });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function readLines(file: string): CandidateLine[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CandidateLine);
}

describe('ngram-lm plugin', () => {
  it('trains on the train pools and writes a model icl-eval can open, deterministically', async () => {
    const a = await runPlugin(ngramPlugin, join(root, 'lm-a'), { order: 3 }, { tasks });
    const b = await runPlugin(ngramPlugin, join(root, 'lm-b'), { order: 3 }, { tasks });
    const dir = join(a.outDir, 'model');
    expect(JSON.parse(readFileSync(join(dir, 'lm.json'), 'utf8'))).toEqual({ backend: 'ngram', file: 'model.ngram' });
    expect(readFileSync(join(dir, 'model.ngram')).equals(readFileSync(join(b.outDir, 'model', 'model.ngram')))).toBe(true);
    expect(a.metrics['lm/train_texts']).toBe(180);
    expect(a.metrics['lm/ngrams_3']).toBeGreaterThan(0);
    const info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8')) as { perTask: Record<string, number> };
    expect(Object.keys(info.perTask).sort()).toEqual([...NAMES].sort());
    // The model is the one trained in process on the rendered demonstrations.
    const lm = await openLanguageModel(dir);
    const { meta, splits } = await loadTaskFolder(join(tasks, 'gen_reviews'));
    const spec = taskSpecFor(meta);
    const texts: string[] = [];
    for (const n of [...NAMES].sort()) {
      const t = await loadTaskFolder(join(tasks, n), { splits: ['train'] });
      for (const r of t.splits.train!) texts.push(renderDemonstration(taskSpecFor(t.meta), r) + '\n');
    }
    const local = NgramLM.train(texts, { order: 3 });
    const req = [{ context: renderQuery(spec, splits.test![0]!) + '\n', continuation: spec.labels[0]! }];
    expect((await lm.scoreContinuations(req))[0]!.sumLogProb).toBe((await local.scoreContinuations(req))[0]!.sumLogProb);
  });

  it('keeps the demonstration prior settings with the model, τ chosen by leave-one-out included', async () => {
    const r = await runPlugin(ngramPlugin, join(root, 'lm-loo'), { order: 3, kappa: 0.5, tau: 'loo' }, { tasks });
    const lm = (await openLanguageModel(join(r.outDir, 'model'))) as NgramLM;
    expect(lm.mix).toMatchObject({ kappa: 0.5, tau: 'loo' });
  });

  it('fails clearly when no task has a train split', async () => {
    const empty = join(root, 'no-train');
    await mkdir(empty, { recursive: true });
    await expect(runPlugin(ngramPlugin, join(root, 'lm-x'), {}, { tasks: empty })).rejects.toThrow(/no train rows/);
  });
});

describe('openLanguageModel', () => {
  it('opens model files, ngram and openai descriptors, and explains bad ones', async () => {
    const dir = join(root, 'descs');
    await mkdir(dir, { recursive: true });
    const lm = NgramLM.train(['a b c\n', 'a b d\n']);
    await lm.save(join(dir, 'x.ngram'));
    expect((await openLanguageModel(join(dir, 'x.ngram'))).id).toMatch(/^ngram/);
    await writeFile(join(dir, 'ngram.json'), JSON.stringify({ backend: 'ngram', file: 'x.ngram', lambda: 0 }));
    expect(((await openLanguageModel(join(dir, 'ngram.json'))) as NgramLM).mix.lambda).toBe(0);
    await writeFile(join(dir, 'remote.json'), JSON.stringify({ backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }));
    const remote = await openLanguageModel(join(dir, 'remote.json'), { env: { OPENAI_API_KEY: 'k' } });
    expect(remote).toBeInstanceOf(OpenAICompletionsLM);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ backend: 'gpt5' }));
    await expect(openLanguageModel(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: "backend" must be "ngram" or "openai"/);
    await expect(openLanguageModel(join(root, 'nothing-here'))).rejects.toThrow(/language model not found/);
    await expect(openLanguageModel(dir)).rejects.toThrow(/lm\.json: file not found/);
  });
});

describe('bm25 plugin', () => {
  it('writes the top-k train candidates of every train and test query, own row excluded', async () => {
    const r = await runPlugin(bm25Plugin, join(root, 'bm25'), { topK: 5 }, { tasks });
    const dir = join(r.outDir, 'candidates');
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { k1: number; b: number; topK: number; tasks: { task: string }[] };
    expect(index).toMatchObject({ k1: 1.2, b: 0.75, topK: 5 });
    expect(index.tasks.map((t) => t.task).sort()).toEqual([...NAMES].sort());
    expect(r.metrics['bm25/queries']).toBe(3 * 70);
    for (const name of NAMES) {
      const { meta, splits } = await loadTaskFolder(join(tasks, name));
      const spec = taskSpecFor(meta);
      const lines = readLines(join(dir, `${name}.jsonl`));
      expect(lines.map((l) => l.id)).toEqual([...splits.train!, ...splits.test!].map((row) => row.id));
      const trainIds = new Set(splits.train!.map((t) => t.id));
      const index25 = Bm25Index.build(splits.train!.map((row) => renderDemonstration(spec, row)));
      for (const [i, line] of lines.entries()) {
        expect(line.candidates.length).toBeLessThanOrEqual(5);
        expect(line.candidates.every((c) => trainIds.has(c.id))).toBe(true);
        expect(line.candidates.some((c) => c.id === line.id)).toBe(false);
        const scores = line.candidates.map((c) => c.score);
        expect([...scores].sort((x, y) => y - x)).toEqual(scores);
        // The same ranking as the index itself, excluding the row and rows with the same query.
        const row = i < splits.train!.length ? splits.train![i]! : splits.test![i - splits.train!.length]!;
        const query = renderQuery(spec, row);
        const exclude = splits.train!.flatMap((t, j) => (t.id === row.id || renderQuery(spec, t) === query ? [j] : []));
        expect(line.candidates.map((c) => c.id)).toEqual(index25.search(query, 5, { exclude }).map((h) => splits.train![h.doc]!.id));
      }
    }
    expect(r.progress.at(-1)).toEqual([210, 210]);
  });

  it('follows k1 and b and the query splits', async () => {
    const r = await runPlugin(bm25Plugin, join(root, 'bm25-test-only'), { topK: 3, k1: 0.9, b: 0.4, querySplits: ['test'] }, { tasks });
    const lines = readLines(join(r.outDir, 'candidates', 'gen_reviews.jsonl'));
    expect(lines).toHaveLength(10);
    expect(lines.every((l) => l.split === 'test')).toBe(true);
    expect(existsSync(join(r.outDir, 'candidates', 'index.json'))).toBe(true);
  });
});
