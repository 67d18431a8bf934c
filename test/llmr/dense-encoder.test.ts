import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dense from '../../plugins/dense-encoder/index.js';
import iclPlugin from '../../plugins/icl-eval/index.js';
import type { PredictionLine } from '../../plugins/icl-eval/evaluate.js';
import ngramPlugin from '../../plugins/ngram-lm/index.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { openEncoderFolder } from '../../src/lib/llmr/encoder-folder.js';
import { isExpectedFailure, type PluginDefinition } from '../../src/plugin/api.js';
import { runPlugin, type RunResult } from '../plugins/ctx.js';
import { TINY_DENSE, TOPIC_META, writeTopicTask, type TopicTask } from './dense-fixtures.js';

interface Line { id: string; split: string; candidates: { id: string; score: number }[] }

const lines = (r: RunResult): Line[] => readFileSync(join(r.outDir, 'candidates', 'topics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const file = (r: RunResult) => readFileSync(join(r.outDir, 'candidates', 'topics.jsonl'), 'utf8');

/** The plugin as the engine runs it with a `seed` param: ctx.seed is that seed. */
function seeded<P>(def: PluginDefinition<P>, seed: number): PluginDefinition<P> {
  return { ...def, run: (ctx) => def.run({ ...ctx, seed }) };
}

/** Share of queries whose top candidate is of their own topic. */
function topicPrecision(r: RunResult, topics: TopicTask): number {
  const all = lines(r);
  return all.filter((l) => topics.topicOf.get(l.candidates[0]!.id) === topics.topicOf.get(l.id)).length / all.length;
}

let root: string;
let topics: TopicTask;
let simcse: RunResult;
let inputs: Record<string, string>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-dense-'));
  topics = await writeTopicTask(join(root, 'data'));
  inputs = { tasks: topics.tasksDir, tokenizer: topics.tokenizerDir };
  simcse = await runPlugin(seeded(dense, 3), join(root, 'simcse'), TINY_DENSE, inputs);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('dense-encoder (SimCSE on the pools)', () => {
  it('writes candidates in the bm25 format for every train and test query, its own row excluded', () => {
    const out = lines(simcse);
    expect(out.filter((l) => l.split === 'train')).toHaveLength(48);
    expect(out.filter((l) => l.split === 'test')).toHaveLength(8);
    for (const l of out) {
      expect(l.candidates).toHaveLength(TINY_DENSE.topK);
      expect(l.candidates.map((c) => c.id)).not.toContain(l.id);
      for (const c of l.candidates) expect(c.id).toMatch(/^topics-train-/);
      for (let i = 1; i < l.candidates.length; i++) expect(l.candidates[i]!.score).toBeLessThanOrEqual(l.candidates[i - 1]!.score);
    }
    const index = JSON.parse(readFileSync(join(simcse.outDir, 'candidates', 'index.json'), 'utf8'));
    expect(index.tasks).toEqual([{ task: 'topics', file: 'topics.jsonl', queries: 56, pool: 48 }]);
    expect(index.topK).toBe(TINY_DENSE.topK);
  });

  it('retrieves rows of the query\'s own topic (candidate ids name the right pool rows)', () => {
    expect(topicPrecision(simcse, topics)).toBeGreaterThan(0.7); // chance: about 1/4
  });

  it('lowers its contrastive loss by training, and logs the curve and its throughput', async () => {
    const first = await runPlugin(seeded(dense, 3), join(root, 'one-step'), { ...TINY_DENSE, steps: 1 }, inputs);
    const m = simcse.metrics;
    expect(m['train/loss']).toBeLessThan(first.metrics['train/loss']! / 2); // one step logs the untrained loss
    expect(m['train/in_batch_accuracy']).toBeGreaterThan(first.metrics['train/in_batch_accuracy']!);
    for (const name of ['train/loss', 'train/lr', 'train/grad_norm', 'train/in_batch_accuracy', 'dense/train_pairs', 'dense/train_pairs_per_s', 'dense/encode_seqs_per_s', 'dense/queries_per_s']) {
      expect(Number.isFinite(m[name]), name).toBe(true);
    }
    expect(m['dense/train_pairs']).toBe(2 * 48); // every row's query and its demonstration
    expect(simcse.progress.at(-1)).toEqual([2, 2]);
  });

  it('saves a reloadable encoder that embeds as the trained one did (init: no training, same candidates)', async () => {
    const { encoder } = await openEncoderFolder(join(simcse.outDir, 'model'));
    expect(encoder.info).toMatchObject({ pooling: 'mean', normalize: true, maxLength: TINY_DENSE.maxLength, prefix: '' });
    encoder.dispose();
    const reused = await runPlugin(seeded(dense, 99), join(root, 'reused'), { ...TINY_DENSE, steps: 500 }, { tasks: topics.tasksDir, init: join(simcse.outDir, 'model') });
    expect(reused.logs.some((l) => l.includes('used without training'))).toBe(true);
    expect(reused.metrics['train/loss']).toBeUndefined();
    expect(reused.metrics['dense/trained_steps']).toBe(0);
    expect(file(reused)).toBe(file(simcse));
  });

  it('gives the same candidates for the same seed, and other ones for another seed', async () => {
    const again = await runPlugin(seeded(dense, 3), join(root, 'again'), TINY_DENSE, inputs);
    expect(file(again)).toBe(file(simcse));
    const other = await runPlugin(seeded(dense, 4), join(root, 'other'), TINY_DENSE, inputs);
    expect(file(other)).not.toBe(file(simcse));
  });

  it('resumes from its checkpoint in the scratch directory, only for the same setup', async () => {
    const params = { ...TINY_DENSE, steps: 10, checkpointEvery: 5 };
    const first = await runPlugin(seeded(dense, 3), join(root, 'resume'), params, inputs);
    const again = await runPlugin(seeded(dense, 3), join(root, 'resume'), params, inputs); // same output dir: same scratch
    expect(again.logs).toContain('resuming from the checkpoint at step 10 of 10');
    expect(file(again)).toBe(file(first));
    const changed = await runPlugin(seeded(dense, 3), join(root, 'resume'), { ...params, temperature: 0.1 }, inputs);
    expect(changed.logs.some((l) => l.startsWith('resuming'))).toBe(false);
  });

  it('trains on BM25 pairs when asked', async () => {
    const pairs = await runPlugin(seeded(dense, 3), join(root, 'bm25-pairs'), { ...TINY_DENSE, objective: 'bm25-pairs' }, inputs);
    expect(pairs.metrics['dense/train_pairs']).toBe(48); // every query shares words with a row of its topic
    expect(file(pairs)).not.toBe(file(simcse));
    expect(topicPrecision(pairs, topics)).toBeGreaterThan(0.7);
  });

  it('is read by icl-eval method retrieved (most relevant demonstration last)', async () => {
    const lm = await runPlugin(ngramPlugin, join(root, 'lm'), {}, { tasks: topics.tasksDir });
    const ev = await runPlugin(iclPlugin, join(root, 'icl'), { method: 'retrieved', k: 3 } as never, { tasks: topics.tasksDir, lm: join(lm.outDir, 'model'), candidates: join(simcse.outDir, 'candidates') });
    const preds = readFileSync(join(ev.outDir, 'predictions', 'topics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PredictionLine);
    const byId = new Map(lines(simcse).map((l) => [l.id, l.candidates.map((c) => c.id)]));
    expect(preds).toHaveLength(8);
    for (const p of preds) expect(p.demos).toEqual(byId.get(p.id)!.slice(0, 3).reverse());
  });
});

describe('dense-encoder on bad input', () => {
  const params = { ...TINY_DENSE, steps: 1 };
  async function failure(name: string, overrides: Record<string, unknown>, given: Record<string, string>): Promise<Error> {
    const err = await runPlugin(dense, join(root, name), { ...params, ...overrides }, given).then(() => null, (e: Error) => e);
    expect(err).not.toBeNull();
    expect(isExpectedFailure(err)).toBe(true);
    return err!;
  }

  it('names the task whose pool is empty', async () => {
    const tasks = join(root, 'empty-pool');
    await writeTaskFolder(join(tasks, 'topics'), TOPIC_META, { train: [], test: [{ id: 't0', fields: { text: 'river' }, output: 'stone', references: ['stone'] }] });
    const err = await failure('empty-pool-run', {}, { tasks, tokenizer: topics.tokenizerDir });
    expect(err.message).toContain(join(tasks, 'topics', 'train.jsonl'));
    expect(err.message).toContain('empty train pool');
  });

  it('asks for a tokenizer when there is neither one nor an init folder', async () => {
    expect((await failure('no-tokenizer', {}, { tasks: topics.tasksDir })).message).toMatch(/needs a `tokenizer` input/);
  });

  it('names an init folder that is not an encoder, and a malformed encoder.json in it', async () => {
    const empty = join(root, 'not-a-model');
    mkdirSync(empty, { recursive: true });
    expect((await failure('bad-init', {}, { tasks: topics.tasksDir, init: empty })).message).toContain(`${empty}: not an encoder folder`);
    const broken = join(root, 'broken-model');
    mkdirSync(broken, { recursive: true });
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json']) writeFileSync(join(broken, name), readFileSync(join(simcse.outDir, 'model', name)));
    writeFileSync(join(broken, 'encoder.json'), '{"maxLength": "long"}');
    expect((await failure('broken-init', {}, { tasks: topics.tasksDir, init: broken })).message).toContain(join(broken, 'encoder.json'));
  });

  it('refuses simcse without dropout', async () => {
    expect((await failure('no-dropout', { dropout: 0 }, inputs)).message).toMatch(/simcse needs dropout above 0/);
  });
});
