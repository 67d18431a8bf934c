import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bm25Plugin, { type CandidateLine } from '../../plugins/bm25/index.js';
import iclPlugin, { categoryScores } from '../../plugins/icl-eval/index.js';
import { sampleIndices } from '../../plugins/icl-eval/demos.js';
import { contentFreeRow, cutAnswer, evaluateTask, type PredictionLine } from '../../plugins/icl-eval/evaluate.js';
import ngramPlugin from '../../plugins/ngram-lm/index.js';
import { TASK_CATEGORIES } from '../../src/lib/data/task.js';
import { NgramLM } from '../../src/lib/ml/lm/ngram.js';
import { startLmServer } from '../../src/lib/ml/lm/server.js';
import { materializeTasks } from '../../src/lib/tasks/materialize.js';
import { runPlugin } from './ctx.js';
import { SHARED_TASKS } from '../shared-data.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-icl-eval-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function predictions(dir: string, task: string): PredictionLine[] {
  return readFileSync(join(dir, 'predictions', `${task}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PredictionLine);
}

/** tasks → lm → bm25, then one icl-eval per method. */
async function pipeline(name: string, tasks: string, evalParams: Record<string, unknown>) {
  const lm = await runPlugin(ngramPlugin, join(root, name, 'lm'), {}, { tasks });
  const bm = await runPlugin(bm25Plugin, join(root, name, 'bm25'), { topK: 20 }, { tasks });
  const inputs = { tasks, lm: join(lm.outDir, 'model'), candidates: join(bm.outDir, 'candidates') };
  const runs: Record<string, Awaited<ReturnType<typeof runPlugin>>> = {};
  for (const method of ['zero-shot', 'random', 'bm25']) {
    runs[method] = await runPlugin(iclPlugin, join(root, name, method), { method, ...evalParams } as never, inputs);
  }
  return { runs, inputs };
}

describe('icl-eval on the built-in suite', () => {
  let tasks: string;
  let result: Awaited<ReturnType<typeof pipeline>>;
  beforeAll(async () => {
    tasks = join(root, 'suite');
    await materializeTasks(tasks, { source: { kind: 'builtin', trainSize: 40, testSize: 6 }, seed: 2 });
    result = await pipeline('suite', tasks, { k: 4 });
  });

  it('records task, category and average metrics on a 0..100 scale', () => {
    for (const r of Object.values(result.runs)) {
      const m = r.metrics;
      const tasksM = Object.keys(m).filter((k) => k.startsWith('task/'));
      const cats = Object.keys(m).filter((k) => k.startsWith('category/'));
      expect(tasksM).toHaveLength(30);
      expect(cats).toEqual(TASK_CATEGORIES.map((c) => `category/${c}`)); // in LLM-R's order
      for (const v of Object.values(m)) expect(v >= 0 && v <= 100).toBe(true);
      const mean = cats.reduce((s, c) => s + m[c]!, 0) / cats.length;
      expect(m.average).toBeCloseTo(mean, 10);
      expect(r.progress.at(-1)).toEqual([180, 180]);
    }
  });

  it("records the held-out tasks apart as heldout/<task>: the paper's stand-ins, a list, or none", async () => {
    const quick = { method: 'zero-shot', maxTest: 1 } as never;
    const paper = await runPlugin(iclPlugin, join(root, 'suite', 'held-llm-r'), { ...(quick as object), heldOutTasks: 'llm-r' } as never, result.inputs);
    const heldOut = (m: Record<string, number>) => Object.keys(m).filter((k) => k.startsWith('heldout/')).sort();
    expect(heldOut(paper.metrics)).toEqual(['heldout/gen_goal_method', 'heldout/gen_qnli_chores', 'heldout/gen_referent_choice', 'heldout/gen_reviews']);
    expect(paper.metrics['heldout/gen_reviews']).toBe(paper.metrics['task/gen_reviews']);
    const listed = await runPlugin(iclPlugin, join(root, 'suite', 'held-list'), { ...(quick as object), heldOutTasks: ['gen_headline'] } as never, result.inputs);
    expect(heldOut(listed.metrics)).toEqual(['heldout/gen_headline']);
    expect(heldOut(result.runs['zero-shot']!.metrics)).toEqual([]);
    await expect(runPlugin(iclPlugin, join(root, 'suite', 'held-bad'), { ...(quick as object), heldOutTasks: ['gen_nope'] } as never, result.inputs))
      .rejects.toThrow(/heldOutTasks names "gen_nope", not among the tasks/);
  });

  it('builds prompts with no, random or BM25 demonstrations (most relevant last)', () => {
    const zs = predictions(result.runs['zero-shot']!.outDir, 'gen_reviews');
    expect(zs.every((p) => p.demos.length === 0)).toBe(true);
    const rnd = predictions(result.runs.random!.outDir, 'gen_reviews');
    expect(rnd.every((p) => p.demos.length === 4 && new Set(p.demos).size === 4 && p.demos.every((d) => d.startsWith('gen_reviews-train-')))).toBe(true);
    const bm = predictions(result.runs.bm25!.outDir, 'gen_reviews');
    const cands = new Map(readFileSync(join(result.inputs.candidates, 'gen_reviews.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as CandidateLine).map((l) => [l.id, l.candidates.map((c) => c.id)]));
    for (const p of bm) expect(p.demos).toEqual(cands.get(p.id)!.slice(0, 4).reverse());
  });

  it('scores each task with its metric and writes the predictions', () => {
    const gen = predictions(result.runs.bm25!.outDir, 'gen_country_facts'); // generation, exact match
    expect(gen).toHaveLength(6);
    expect(gen.every((p) => !p.prediction.includes('\n'))).toBe(true);
    const mc = predictions(result.runs.bm25!.outDir, 'gen_cause_effect');
    expect(mc.every((p) => p.scores!.length >= 2)).toBe(true);
    const mean = mc.reduce((s, p) => s + p.score, 0) / mc.length;
    expect(result.runs.bm25!.metrics['task/gen_cause_effect']).toBeCloseTo(100 * mean, 10);
    const scores = JSON.parse(readFileSync(join(result.runs.bm25!.outDir, 'predictions', 'scores.json'), 'utf8')) as { method: string; average: number };
    expect(scores).toMatchObject({ method: 'bm25', average: result.runs.bm25!.metrics.average });
  });

  it('is deterministic for a seed and changes random demonstrations with it', async () => {
    const again = await runPlugin(iclPlugin, join(root, 'suite', 'random-2'), { method: 'random', k: 4 }, result.inputs);
    expect(again.metrics).toEqual(result.runs.random!.metrics);
    const other = await runPlugin(iclPlugin, join(root, 'suite', 'random-seed'), { method: 'random', k: 4, seed: 9, maxTest: 2 }, result.inputs);
    expect(predictions(other.outDir, 'gen_reviews').map((p) => p.demos)).not.toEqual(predictions(result.runs.random!.outDir, 'gen_reviews').slice(0, 2).map((p) => p.demos));
    expect(predictions(other.outDir, 'gen_reviews')).toHaveLength(2);
  });

  it('needs candidates for the bm25 and retrieved methods', async () => {
    const { candidates: _c, ...noCandidates } = result.inputs;
    await expect(runPlugin(iclPlugin, join(root, 'suite', 'nocand'), { method: 'bm25' }, noCandidates)).rejects.toThrow(/needs the candidates input/);
    await expect(runPlugin(iclPlugin, join(root, 'suite', 'nocand-r'), { method: 'retrieved' }, noCandidates)).rejects.toThrow(/method "retrieved" needs the candidates input \(connect the retriever stage's/);
  });

  it('method retrieved reads any candidates folder as bm25 does: the same demonstrations from the same candidates', async () => {
    const retrieved = await runPlugin(iclPlugin, join(root, 'suite', 'retrieved'), { method: 'retrieved', k: 4 }, result.inputs);
    expect(predictions(retrieved.outDir, 'gen_reviews').map((p) => p.demos)).toEqual(predictions(result.runs.bm25!.outDir, 'gen_reviews').map((p) => p.demos));
  });

  it('gives the same scores through an OpenAI-compatible server', async () => {
    const lm = await NgramLM.load(join(result.inputs.lm, 'model.ngram'));
    const server = await startLmServer({ model: lm, name: 'served' });
    try {
      const remoteDir = join(root, 'suite', 'remote-lm');
      await mkdir(remoteDir, { recursive: true });
      await writeFile(join(remoteDir, 'lm.json'), JSON.stringify({ backend: 'openai', baseUrl: server.url, model: 'served', batchSize: 8 }));
      const tasksSubset = join(root, 'suite-subset');
      await materializeTasks(tasksSubset, { source: { kind: 'folders', roots: [tasks] }, seed: 2, tasks: ['gen_reviews', 'gen_cause_effect', 'gen_headline'] });
      const inputs = { ...result.inputs, tasks: tasksSubset };
      const remote = await runPlugin(iclPlugin, join(root, 'suite', 'remote'), { method: 'bm25', k: 4 }, { ...inputs, lm: remoteDir });
      const local = await runPlugin(iclPlugin, join(root, 'suite', 'local'), { method: 'bm25', k: 4 }, inputs);
      expect(Object.keys(remote.metrics).length).toBeGreaterThan(3);
      for (const [k, v] of Object.entries(local.metrics)) expect(remote.metrics[k]).toBeCloseTo(v, 9);
    } finally {
      await server.close();
    }
  });
});

describe('icl-eval on real tasks', () => {
  it('evaluates three tasks of the shared data (MC, classification, generation) with small caps', async () => {
    const tasks = join(root, 'real');
    await materializeTasks(tasks, {
      source: { kind: 'folders', roots: [SHARED_TASKS] }, seed: 1, tasks: ['arc_e', 'rte', 'common_gen'], maxTrain: 300, maxTest: 12,
    });
    const { runs } = await pipeline('real', tasks, { k: 4 });
    for (const [method, r] of Object.entries(runs)) {
      expect(Object.keys(r.metrics).filter((k) => k.startsWith('task/')).sort(), method).toEqual(['task/arc_e', 'task/common_gen', 'task/rte']);
      expect(Object.keys(r.metrics).filter((k) => k.startsWith('category/')).sort()).toEqual(['category/close_qa', 'category/data_to_text', 'category/nli']);
      const rte = predictions(r.outDir, 'rte');
      expect(rte).toHaveLength(12);
      expect(rte.every((p) => ['Yes', 'No'].includes(p.prediction))).toBe(true); // constrained to the label words
      const arc = predictions(r.outDir, 'arc_e');
      expect(arc.every((p) => p.scores!.length >= 3)).toBe(true);
    }
    expect(runs.bm25!.metrics['task/common_gen']).toBeGreaterThan(0);
    const scores = JSON.parse(readFileSync(join(runs.bm25!.outDir, 'predictions', 'scores.json'), 'utf8')) as { missing: string[] };
    expect(scores.missing.sort()).toEqual(['gigaword', 'mnli_mm', 'piqa', 'qnli', 'wsc273']);
  });
});

describe('helpers', () => {
  it('averages categories, then categories into the average', () => {
    const r = categoryScores([
      { task: 'a', category: 'nli', metric: 'accuracy', score: 50, secondary: {}, predictions: [] },
      { task: 'b', category: 'nli', metric: 'accuracy', score: 70, secondary: {}, predictions: [] },
      { task: 'c', category: 'sentiment', metric: 'accuracy', score: 90, secondary: {}, predictions: [] },
    ]);
    expect(r.categories).toEqual({ nli: 60, sentiment: 90 });
    expect(r.average).toBe(75);
  });

  it('samples distinct indices reproducibly', () => {
    const a = sampleIndices(1000, 8, 1, 'x');
    expect(new Set(a).size).toBe(8);
    expect(a.every((i) => i >= 0 && i < 1000)).toBe(true);
    expect(sampleIndices(1000, 8, 1, 'x')).toEqual(a);
    expect(sampleIndices(1000, 8, 2, 'x')).not.toEqual(a);
    expect(sampleIndices(3, 8, 1, 'x').sort()).toEqual([0, 1, 2]);
  });
});

describe('answers as LLM-R parses them', () => {
  it('keeps the first line of the stripped output', () => {
    expect(cutAnswer('  Paris\nFrance')).toBe('Paris');
    expect(cutAnswer('\n\nParis ')).toBe('Paris');
    expect(cutAnswer('')).toBe('');
  });
});

describe('contextual calibration', () => {
  const meta = { name: 'sst2', category: 'sentiment' as const, type: 'classification' as const, metric: 'accuracy' as const, fields: ['sentence'], labels: ['negative', 'positive'], splits: {} };
  const row = { id: 'sst2-test-0', fields: { sentence: 'a fine film' }, options: ['negative', 'positive'], output: 'positive' };
  // A model biased towards the first label: after the content-free input it is even more so.
  const biased = {
    id: 'biased',
    scoreContinuations: async () => [],
    generate: async () => [],
    chooseOption: async () => ({ index: 0, scores: [] }),
    classify: async (context: string, labels: string[]) => ({ label: labels[0]!, scores: context.includes('N/A') ? [-1, -5] : [-2, -3] }),
  };
  it('subtracts the content-free scores before the argmax; off by default as in LLM-R', async () => {
    const opts = { maxNewTokens: 4, parallel: 1, savePrompts: false };
    const plain = await evaluateTask(biased, meta, [row], () => [], opts);
    expect(plain.predictions[0]!.prediction).toBe('Negative');
    const calibrated = await evaluateTask(biased, meta, [row], () => [], { ...opts, calibrate: true });
    expect(calibrated.predictions[0]!.prediction).toBe('Positive');
    expect(calibrated.predictions[0]!.scores).toEqual([-1, 2]);
    expect(contentFreeRow(row).fields).toEqual({ sentence: 'N/A' });
  });
});

describe('secondary metrics', () => {
  // Always answers "Yes" (classification) and "Paris France" (generation).
  const yes = {
    id: 'yes',
    scoreContinuations: async () => [],
    generate: async (reqs: unknown[]) => reqs.map(() => 'Paris France'),
    chooseOption: async () => ({ index: 0, scores: [] }),
    classify: async (_: string, labels: string[]) => ({ label: labels.includes('Yes') ? 'Yes' : labels[0]!, scores: labels.map((l) => (l === 'Yes' ? 0 : -1)) }),
  };
  const opts = { maxNewTokens: 4, parallel: 2, savePrompts: false };

  it('mrpc reports F1 of "Yes" besides accuracy, as LLM-R\'s code does', async () => {
    const meta = { name: 'mrpc', category: 'paraphrase' as const, type: 'classification' as const, metric: 'accuracy' as const, fields: ['sentence1', 'sentence2'], labels: ['not_equivalent', 'equivalent'], splits: {} };
    const rows = ['equivalent', 'equivalent', 'not_equivalent', 'not_equivalent'].map((output, i) => ({ id: `r${i}`, fields: { sentence1: 'a', sentence2: 'b' }, output }));
    const r = await evaluateTask(yes, meta, rows, () => [], opts);
    expect(r.score).toBeCloseTo(50, 9); // 2 of 4 right
    // precision 2/4, recall 2/2: F1 = 2·0.5·1/1.5
    expect(r.secondary).toEqual({ f1: expect.closeTo(100 * 2 / 3, 9) });
  });

  it('squad reports token F1 besides exact match; a task without secondary metrics reports none', async () => {
    const meta = { name: 'squad_v1', category: 'reading_comprehension' as const, type: 'generation' as const, metric: 'exact_match' as const, fields: ['context', 'question'], labels: [], splits: {} };
    const rows = [{ id: 'q0', fields: { context: 'c', question: 'where?' }, output: 'Paris' }];
    const r = await evaluateTask(yes, meta, rows, () => [], opts);
    expect(r.score).toBe(0);
    expect(r.secondary.token_f1).toBeCloseTo(100 * 2 / 3, 9); // precision 1/2, recall 1
    const rte = { name: 'rte', category: 'nli' as const, type: 'classification' as const, metric: 'accuracy' as const, fields: ['premise', 'hypothesis'], labels: ['entailment', 'not_entailment'], splits: {} };
    expect((await evaluateTask(yes, rte, [{ id: 'x', fields: { premise: 'p', hypothesis: 'h' }, output: 'entailment' }], () => [], opts)).secondary).toEqual({});
  });
});
