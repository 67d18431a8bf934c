import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import retriever from '../../plugins/retriever/index.js';
import iclPlugin from '../../plugins/icl-eval/index.js';
import type { PredictionLine } from '../../plugins/icl-eval/evaluate.js';
import ngramPlugin from '../../plugins/ngram-lm/index.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { loadPretrained } from '../../src/lib/nn/pretrained.js';
import { loadVectorIndex } from '../../src/lib/nn/index/load.js';
import { isExpectedFailure } from '../../src/plugin/api.js';
import { runPlugin, type RunResult } from '../plugins/ctx.js';
import { SYNTH_META, TINY, writeSynthTask, type SynthTask } from './retriever-fixtures.js';

interface Line { id: string; split: string; candidates: { id: string; score: number }[] }

function lines(file: string): Line[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
}

let root: string;
let synth: SynthTask;
let trained: RunResult;
let untrained: RunResult;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-retriever-'));
  synth = await writeSynthTask(join(root, 'data'));
  const inputs = { tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir };
  trained = await runPlugin(retriever, join(root, 'trained'), { ...TINY, agreementHoldout: 0.3 }, inputs);
  untrained = await runPlugin(retriever, join(root, 'untrained'), { ...TINY, agreementHoldout: 0.3, steps: 0 }, inputs);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('retriever on a task whose teacher prefers marked candidates', () => {
  it('agrees with the teacher far more than chance once trained, and not before', () => {
    const m = trained.metrics;
    const u = untrained.metrics;
    expect(m['retriever/agreement_queries']).toBeGreaterThanOrEqual(10);
    // The teacher's positives are its top 3, marked candidates (about 4 of the 20 scored are
    // marked, so even a perfect marked-first order reaches top-1 agreement of only about 3/4).
    expect(m['retriever/random_agreement_top1']).toBeCloseTo(3 / 20, 5);
    expect(m['retriever/agreement_top1']).toBeGreaterThan(m['retriever/random_agreement_top1']! + 0.25);
    expect(m['retriever/agreement_top1']).toBeGreaterThan(u['retriever/agreement_top1']! + 0.25);
    expect(m['retriever/agreement_pairwise']).toBeGreaterThan(0.8);
    expect(u['retriever/agreement_pairwise']).toBeLessThan(0.7);
    // BM25 only sees words the query shares with the candidate, which say nothing here.
    expect(m['retriever/agreement_pairwise']).toBeGreaterThan(m['retriever/bm25_agreement_pairwise']! + 0.2);
  });

  it('logs training curves and throughput', () => {
    const m = trained.metrics;
    for (const name of ['train/loss', 'train/kl', 'train/contrastive', 'train/lr', 'train/in_batch_accuracy', 'retriever/train_examples_per_s', 'retriever/encode_seqs_per_s', 'retriever/queries_per_s']) {
      expect(Number.isFinite(m[name]), name).toBe(true);
    }
    expect(trained.progress.at(-1)).toEqual([2, 2]);
  });

  it('writes candidates in the bm25 format for every train and test query, own row and same text excluded', () => {
    const out = lines(join(trained.outDir, 'candidates', 'synth.jsonl'));
    expect(out.filter((l) => l.split === 'train')).toHaveLength(60);
    expect(out.filter((l) => l.split === 'test')).toHaveLength(10);
    for (const l of out) {
      expect(l.candidates).toHaveLength(TINY.topK);
      expect(l.candidates.map((c) => c.id)).not.toContain(l.id);
      for (let i = 1; i < l.candidates.length; i++) expect(l.candidates[i]!.score).toBeLessThanOrEqual(l.candidates[i - 1]!.score);
    }
    const index = JSON.parse(readFileSync(join(trained.outDir, 'candidates', 'index.json'), 'utf8'));
    expect(index.tasks).toEqual([{ task: 'synth', file: 'synth.jsonl', queries: 70, pool: 60 }]);
  });

  it('saves the encoder as a Hugging Face folder and the pool in a reloadable index', async () => {
    const model = await loadPretrained(join(trained.outDir, 'model'));
    expect(model.tokenizerPath).toBeDefined();
    model.model.dispose();
    const index = loadVectorIndex(join(trained.outDir, 'index'), 'synth');
    expect(index.size).toBe(60);
    expect(index.idOf(0)).toBe('synth-train-0');
    index.dispose();
  });

  it('keeps the position embeddings frozen (and only them) by default', async () => {
    const weights = async (r: RunResult) => {
      const { model } = await loadPretrained(join(r.outDir, 'model'));
      const out = new Map([...model.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]));
      model.dispose();
      return out;
    };
    const after = await weights(trained);
    const before = await weights(untrained); // same seed, no steps: the initial weights
    expect(after.get('embeddings.position_embeddings.weight')).toEqual(before.get('embeddings.position_embeddings.weight'));
    expect(after.get('embeddings.word_embeddings.weight')).not.toEqual(before.get('embeddings.word_embeddings.weight'));
    const free = await runPlugin(retriever, join(root, 'free'), { ...TINY, steps: 3, freezePositionEmbeddings: false }, { tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir });
    expect((await weights(free)).get('embeddings.position_embeddings.weight')).not.toEqual(before.get('embeddings.position_embeddings.weight'));
  });

  it('trains on the union of several scores folders', async () => {
    const two = await runPlugin(retriever, join(root, 'union'), { ...TINY, steps: 1, agreementHoldout: 0.3 }, { tasks: synth.tasksDir, scores: [synth.scoresDir, synth.scoresDir], tokenizer: synth.tokenizerDir });
    expect(two.metrics['retriever/train_queries']).toBe(2 * trained.metrics['retriever/train_queries']!);
  });

  it('resumes from its checkpoint in the scratch directory, and only for the same setup', async () => {
    const inputs = { tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir };
    const params = { ...TINY, steps: 10, checkpointEvery: 5 };
    const first = await runPlugin(retriever, join(root, 'resume'), params, inputs);
    const file = (r: RunResult) => readFileSync(join(r.outDir, 'candidates', 'synth.jsonl'), 'utf8');
    const before = file(first);
    const again = await runPlugin(retriever, join(root, 'resume'), params, inputs); // same output dir: same scratch
    expect(again.logs).toContain('resuming from the checkpoint at step 10 of 10');
    expect(file(again)).toBe(before);
    const other = await runPlugin(retriever, join(root, 'resume'), { ...params, alpha: 0.5 }, inputs);
    expect(other.logs.some((l) => l.startsWith('resuming'))).toBe(false);
  });

  it('gives the same candidates for the same seed', async () => {
    const again = await runPlugin(retriever, join(root, 'again'), { ...TINY, agreementHoldout: 0.3 }, { tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir });
    const file = (r: RunResult) => readFileSync(join(r.outDir, 'candidates', 'synth.jsonl'), 'utf8');
    expect(file(again)).toBe(file(trained));
    expect(file(untrained)).not.toBe(file(trained));
  });

  it('takes its seed from the `seed` param when given (a sweep axis of seeds), else from the node', async () => {
    const inputs = { tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir };
    const file = (r: RunResult) => readFileSync(join(r.outDir, 'candidates', 'synth.jsonl'), 'utf8');
    // The test context's node seed is 1: `seed: 1` is the same run, `seed: 2` another.
    const same = await runPlugin(retriever, join(root, 'seed-1'), { ...TINY, agreementHoldout: 0.3, steps: 0, seed: 1 }, inputs);
    const other = await runPlugin(retriever, join(root, 'seed-2'), { ...TINY, agreementHoldout: 0.3, steps: 0, seed: 2 }, inputs);
    expect(file(same)).toBe(file(untrained));
    expect(file(other)).not.toBe(file(untrained));
  });

  it('searches with hnswlib when asked, finding what exact search finds on a small pool', async () => {
    const hnsw = await runPlugin(retriever, join(root, 'hnsw'), { ...TINY, agreementHoldout: 0.3, index: 'hnsw' }, { tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir });
    expect(existsSync(join(hnsw.outDir, 'index', 'synth.hnsw'))).toBe(true);
    const ranked = (r: RunResult) => lines(join(r.outDir, 'candidates', 'synth.jsonl')).map((l) => l.candidates);
    const [approx, exact] = [ranked(hnsw), ranked(trained)];
    expect(approx.length).toBe(exact.length);
    approx.forEach((hits, q) => {
      // The same candidates with the same scores, rank by rank; two engines' float rounding may only
      // swap candidates whose scores agree to 1e-5.
      expect(new Set(hits.map((c) => c.id))).toEqual(new Set(exact[q]!.map((c) => c.id)));
      hits.forEach((c, i) => expect(c.score).toBeCloseTo(exact[q]![i]!.score, 5));
    });
  });

  it('is read by icl-eval as it reads bm25 candidates (most relevant demonstration last)', async () => {
    const lm = await runPlugin(ngramPlugin, join(root, 'lm'), {}, { tasks: synth.tasksDir });
    const candidates = join(trained.outDir, 'candidates');
    const ev = await runPlugin(iclPlugin, join(root, 'icl'), { method: 'bm25', k: 3 } as never, { tasks: synth.tasksDir, lm: join(lm.outDir, 'model'), candidates });
    const preds = readFileSync(join(ev.outDir, 'predictions', 'synth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PredictionLine);
    const byId = new Map(lines(join(candidates, 'synth.jsonl')).map((l) => [l.id, l.candidates.map((c) => c.id)]));
    expect(preds).toHaveLength(10);
    for (const p of preds) expect(p.demos).toEqual(byId.get(p.id)!.slice(0, 3).reverse());
  });
});

describe('retriever on bad input', () => {
  const params = { ...TINY, steps: 1 };
  async function failure(name: string, inputs: Record<string, string | string[]>): Promise<Error> {
    const err = await runPlugin(retriever, join(root, name), params, inputs).then(() => null, (e: Error) => e);
    expect(err).not.toBeNull();
    expect(isExpectedFailure(err)).toBe(true);
    return err!;
  }

  it('names the file and line of a malformed scores line', async () => {
    const dir = join(root, 'bad-scores');
    mkdirSync(dir, { recursive: true });
    const good = readFileSync(join(synth.scoresDir, 'synth.jsonl'), 'utf8').split('\n');
    writeFileSync(join(dir, 'synth.jsonl'), [good[0], '{"id": "synth-train-1", "candidates": [{"id": 3}]}', ''].join('\n'));
    const err = await failure('bad-scores-run', { tasks: synth.tasksDir, scores: [dir], tokenizer: synth.tokenizerDir });
    expect(err.message).toContain(`${join(dir, 'synth.jsonl')}:2:`);
    writeFileSync(join(dir, 'synth.jsonl'), [good[0], 'not json', ''].join('\n'));
    expect((await failure('bad-json-run', { tasks: synth.tasksDir, scores: [dir], tokenizer: synth.tokenizerDir })).message).toContain(`${join(dir, 'synth.jsonl')}:2: not valid JSON`);
    writeFileSync(join(dir, 'synth.jsonl'), good[0]!.replace('synth-train-', 'elsewhere-') + '\n');
    expect((await failure('bad-id-run', { tasks: synth.tasksDir, scores: [dir], tokenizer: synth.tokenizerDir })).message).toMatch(/synth\.jsonl:1: .*not a train row of task synth/);
  });

  it('names the task whose pool is empty', async () => {
    const tasks = join(root, 'empty-pool');
    await writeTaskFolder(join(tasks, 'synth'), SYNTH_META, { train: [], test: [{ id: 't0', fields: { text: 'river' }, output: 'stone', references: ['stone'] }] });
    const err = await failure('empty-pool-run', { tasks, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir });
    expect(err.message).toContain(join(tasks, 'synth', 'train.jsonl'));
    expect(err.message).toContain('empty train pool');
  });

  it('names a tokenizer file that does not load', async () => {
    const dir = join(root, 'bad-tokenizer');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    const err = await failure('bad-tokenizer-run', { tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: dir });
    expect(err.message).toContain(join(dir, 'tokenizer.json'));
    expect(err.message).toContain('does not load');
  });
});
