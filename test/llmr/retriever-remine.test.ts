// Re-mining the retriever's negatives from its own index while it trains (plugins/retriever/remine.ts):
// on a constructed pool whose embeddings are set by hand (so the retriever's top-k is known), the
// refreshed negatives are the window of the current index, keep teacher scores where the teacher
// gave them, follow the weights when they move, and come back from the scratch file on a resume.
// On the plugin: a refresh period beyond the steps trains bit-identically to no re-mining.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import retriever from '../../plugins/retriever/index.js';
import { NegativeRefresher, type Embedder, type RemineSettings } from '../../plugins/retriever/remine.js';
import type { TeacherQuery } from '../../plugins/retriever/scores.js';
import type { TaskTexts, TrainingExample } from '../../plugins/retriever/training.js';
import { isExpectedFailure } from '../../src/plugin/api.js';
import { runPlugin } from '../plugins/ctx.js';
import { TINY, writeSynthTask, type SynthTask } from './retriever-fixtures.js';

const IDS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const TEXTS: TaskTexts = {
  poolIds: IDS,
  query: new Map(IDS.map((id) => [id, `q:${id}`])),
  demonstration: new Map(IDS.map((id) => [id, `d:${id}`])),
};

/** Unit vectors at hand-set angles; `angles` may be swapped to stand for weights that moved. */
class AngleEmbedder implements Embedder {
  readonly dim = 2;
  calls = 0;
  constructor(public angles: Map<string, number>) {}
  embedAll(texts: readonly string[]): Float32Array {
    this.calls++;
    const out = new Float32Array(texts.length * 2);
    texts.forEach((t, i) => {
      const a = this.angles.get(t);
      if (a === undefined) throw new Error(`no angle for ${t}`);
      out[2 * i] = Math.cos(a);
      out[2 * i + 1] = Math.sin(a);
    });
    return out;
  }
}

// The query r0 sits at angle 0. First geometry: its nearest rows are r1 (the positive), r2, r3, r4.
const FIRST = new Map<string, number>([['q:r0', 0], ['d:r0', 0], ['d:r1', 0.1], ['d:r2', 0.2], ['d:r3', 0.3], ['d:r4', 0.4], ['d:r5', 1.0], ['d:r6', 1.2], ['d:r7', 1.4]]);
// After the weights move: r6 and r7 are next to the positive, r2 and r3 far away.
const MOVED = new Map<string, number>([['q:r0', 0], ['d:r0', 0], ['d:r1', 0.1], ['d:r6', 0.15], ['d:r7', 0.2], ['d:r4', 0.4], ['d:r5', 1.0], ['d:r2', 1.2], ['d:r3', 1.4]]);

const QUERY: TeacherQuery = {
  task: 'toy', source: 0, id: 'r0',
  candidates: [{ id: 'r1', score: 1 }, { id: 'r2', score: 0.5 }, { id: 'r6', score: 0 }, { id: 'r7', score: -1 }],
};
const INITIAL: TrainingExample[] = [{ task: 'toy', example: { queryId: 'r0', positives: [{ id: 'r1', score: 1 }], negatives: [{ id: 'r6', score: 0 }, { id: 'r7', score: -1 }] } }];

function settings(every: number): RemineSettings {
  return {
    every, depth: 4, seed: 3, temperature: 0.01, encodeBatchSize: 8, excludeSameQuery: true,
    // Ranks 1–2 of the retriever's top 4 (rank 0 is the positive): exactly two rows, whatever the draw.
    negatives: { strategy: 'window', count: 2, window: { start: 1, end: 3, topUp: 'none' } },
    index: { index: 'exact', exactBelow: 1000, M: 16, efConstruction: 200, efSearch: 128, quantize: 'none', seed: 1 },
  };
}

function negativeIds(examples: readonly TrainingExample[]): string[] {
  return examples[0]!.example.negatives.map((c) => c.id).sort();
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-remine-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('re-mining from the current index', () => {
  it('keeps the initial negatives until the first refresh, then mines the window of the current top-k', () => {
    const embedder = new AngleEmbedder(FIRST);
    const metrics: [string, number, number | undefined][] = [];
    const r = new NegativeRefresher(INITIAL, [QUERY], new Map([['toy', TEXTS]]), embedder, settings(5), { metric: (n, v, s) => metrics.push([n, v, s]) });
    expect(r.examplesAt(0)).toEqual(INITIAL);
    expect(r.examplesAt(4)).toEqual(INITIAL);
    expect(embedder.calls).toBe(0);

    const refreshed = r.examplesAt(5);
    expect(negativeIds(refreshed)).toEqual(['r2', 'r3']);
    // Teacher scores where the teacher scored the row, the −100 penalty where it did not.
    expect(new Map(refreshed[0]!.example.negatives.map((c) => [c.id, c.score]))).toEqual(new Map([['r2', 0.5], ['r3', -100]]));
    expect(refreshed[0]!.example.positives).toEqual(INITIAL[0]!.example.positives);
    expect(metrics).toContainEqual(['retriever/remine_changed', 2, 5]);
    expect(metrics).toContainEqual(['retriever/remine_changed_share', 1, 5]);

    // Within a period nothing is mined again; at the next boundary the moved weights decide.
    const calls = embedder.calls;
    expect(r.examplesAt(9)).toBe(refreshed);
    expect(embedder.calls).toBe(calls);
    embedder.angles = MOVED;
    expect(negativeIds(r.examplesAt(10))).toEqual(['r6', 'r7']);
    expect(r.reports.map((x) => [x.step, x.changed, x.negatives])).toEqual([[5, 2, 2], [10, 2, 2]]);
  });

  it('never refreshes with every: 0 or a period beyond the steps', () => {
    const embedder = new AngleEmbedder(FIRST);
    const never = new NegativeRefresher(INITIAL, [QUERY], new Map([['toy', TEXTS]]), embedder, settings(0));
    const late = new NegativeRefresher(INITIAL, [QUERY], new Map([['toy', TEXTS]]), embedder, settings(1000));
    for (const step of [0, 1, 99, 999]) {
      expect(never.examplesAt(step)).toEqual(INITIAL);
      expect(late.examplesAt(step)).toEqual(INITIAL);
    }
    expect(embedder.calls).toBe(0);
  });

  it('a resumed node reads the refresh it made from the scratch folder instead of mining with other weights', async () => {
    const dir = await mkdtemp(join(root, 'scratch-'));
    const first = new NegativeRefresher(INITIAL, [QUERY], new Map([['toy', TEXTS]]), new AngleEmbedder(FIRST), settings(5), { dir });
    const before = first.examplesAt(5);
    // The resumed process starts at step 7 with weights that have moved since step 5.
    const moved = new AngleEmbedder(MOVED);
    const resumed = new NegativeRefresher(INITIAL, [QUERY], new Map([['toy', TEXTS]]), moved, settings(5), { dir });
    expect(resumed.examplesAt(7)).toEqual(before);
    expect(moved.calls).toBe(0);
  });

  it('refuses bottom-k and a window beyond the depth before any training', () => {
    const make = (s: Partial<RemineSettings>) => () => new NegativeRefresher(INITIAL, [QUERY], new Map([['toy', TEXTS]]), new AngleEmbedder(FIRST), { ...settings(5), ...s });
    expect(make({ negatives: { strategy: 'bottom-k' } })).toThrow(/remine needs a mining strategy/);
    expect(make({ depth: 2 })).toThrow(/reaches beyond the candidate depth/);
  });
});

describe('the retriever stage with remine', () => {
  let synth: SynthTask;
  beforeAll(async () => {
    synth = await writeSynthTask(join(root, 'data'));
  });
  const window = { strategy: 'window' as const, count: 6, window: { start: 3, end: 12 } };
  const inputs = () => ({ tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir });
  const candidates = (dir: string) => readFileSync(join(dir, 'candidates', 'synth.jsonl'), 'utf8');

  it('trains bit-identically without refreshes when the period is beyond the steps, and logs what changed with them', async () => {
    const base = { ...TINY, steps: 20, negatives: window, seed: 4 };
    const plain = await runPlugin(retriever, join(root, 'plain'), base, inputs());
    const late = await runPlugin(retriever, join(root, 'late'), { ...base, remine: { every: 21, depth: 20 } }, inputs());
    const often = await runPlugin(retriever, join(root, 'often'), { ...base, remine: { every: 10, depth: 20 } }, inputs());
    expect(candidates(join(root, 'late'))).toBe(candidates(join(root, 'plain')));
    expect(late.metrics['retriever/remine_changed']).toBeUndefined();
    expect(plain.metrics['train/loss']).toBe(late.metrics['train/loss']);
    expect(often.metrics['retriever/remine_changed']).toBeGreaterThan(0);
    expect(often.metrics['retriever/remine_changed_share']).toBeGreaterThan(0);
    expect(often.metrics['retriever/remine_changed_share']).toBeLessThanOrEqual(1);
  }, 120_000);

  it('fails with a clear message for remine with bottom-k', async () => {
    const res = await runPlugin(retriever, join(root, 'bad'), { ...TINY, steps: 2, remine: { every: 1, depth: 20 } }, inputs()).catch((e: unknown) => e);
    expect(isExpectedFailure(res)).toBe(true);
    expect(String((res as Error).message)).toMatch(/remine needs a mining strategy/);
  });
});
