// The `quantize` param of the plugins that search an HNSW index reaches the index they build:
// each HnswIndex the plugins make is recorded (the real class, watched through a module mock).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import dense from '../../plugins/dense-encoder/index.js';
import retriever from '../../plugins/retriever/index.js';
import type { HnswIndexOptions } from '../../src/lib/nn/index/hnsw.js';
import { runPlugin } from '../plugins/ctx.js';
import { TINY_DENSE, writeTopicTask, type TopicTask } from './dense-fixtures.js';
import { TINY, writeSynthTask, type SynthTask } from './retriever-fixtures.js';

const built = vi.hoisted(() => [] as HnswIndexOptions[]);
vi.mock('../../src/lib/nn/index/hnsw.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/lib/nn/index/hnsw.js')>();
  class WatchedHnswIndex extends real.HnswIndex {
    constructor(options: HnswIndexOptions) {
      super(options);
      built.push(options);
    }
  }
  return { ...real, HnswIndex: WatchedHnswIndex };
});

let root: string;
let synth: SynthTask;
let topics: TopicTask;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-quantize-param-'));
  synth = await writeSynthTask(join(root, 'synth'));
  topics = await writeTopicTask(join(root, 'topics'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  built.length = 0;
});

describe('the quantize param of the HNSW-searching plugins', () => {
  // The default is the uint8 walk since its ranges are fenced from robust quantiles (outliers
  // clipped and walked in float): it keeps the float walk's recall on every data kind tested.
  it('retriever: defaults to int8, passes bf16 to the index and saves it with the index', async () => {
    const inputs = { tasks: synth.tasksDir, scores: [synth.scoresDir], tokenizer: synth.tokenizerDir };
    const int8 = await runPlugin(retriever, join(root, 'r-default'), { ...TINY, steps: 0, agreementHoldout: 0.3, index: 'hnsw' }, inputs);
    expect(built.map((o) => o.quantize)).toEqual(['int8']);
    expect(JSON.parse(readFileSync(join(int8.outDir, 'index', 'synth.json'), 'utf8')).params.quantize).toBe('int8');
    built.length = 0;
    const bf16 = await runPlugin(retriever, join(root, 'r-bf16'), { ...TINY, steps: 0, agreementHoldout: 0.3, index: 'hnsw', quantize: 'bf16' }, inputs);
    expect(built.map((o) => o.quantize)).toEqual(['bf16']);
    expect(JSON.parse(readFileSync(join(bf16.outDir, 'index', 'synth.json'), 'utf8')).params.quantize).toBe('bf16');
  });

  it('dense-encoder: defaults to int8 and passes bf16 to the index', async () => {
    const inputs = { tasks: topics.tasksDir, tokenizer: topics.tokenizerDir };
    await runPlugin(dense, join(root, 'd-default'), { ...TINY_DENSE, steps: 0, index: 'hnsw' }, inputs);
    expect(built.map((o) => o.quantize)).toEqual(['int8']);
    built.length = 0;
    await runPlugin(dense, join(root, 'd-bf16'), { ...TINY_DENSE, steps: 0, index: 'hnsw', quantize: 'bf16' }, inputs);
    expect(built.map((o) => o.quantize)).toEqual(['bf16']);
  });
});
