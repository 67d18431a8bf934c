// The `reward-model` plugin end to end on a synthetic scores folder (reward-fixtures.ts): training
// lowers the loss and ranks held-out positives above chance; same seed, same file; ablations;
// resume; bad input.
import { existsSync, readdirSync, readFileSync, type Dirent } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../../plugins/reward-model/index.js';
import { splitHeldOut, type TrainingExample } from '../../plugins/reward-model/queries.js';
import { loadPretrained, savePretrained } from '../../src/lib/nn/pretrained.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { checkpointName } from '../../src/lib/nn/train/checkpoint.js';
import { loadTokenizer, trainByteLevelBpe } from '../../src/lib/nn/tokenizer/core.js';
import { runPlugin } from '../plugins/ctx.js';
import { buildRewardFixture, TINY_PARAMS, type RewardFixture } from './reward-fixtures.js';

let root: string;
let fx: RewardFixture;
let trained: Awaited<ReturnType<typeof runPlugin>>;

interface Line { id: string; split: string; candidates: { id: string; score: number }[] }
/** Every file below `dir` by relative path, with its bytes (base64), for comparing whole outputs. */
const filesOf = (dir: string): Record<string, string> =>
  Object.fromEntries(
    (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort()
      .map((f) => [relative(dir, f), readFileSync(f).toString('base64')]),
  );
const readLines = (file: string): Line[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-reward-'));
  fx = await buildRewardFixture(root, { trainSize: 40 });
  trained = await runPlugin(plugin, join(root, 'trained'), TINY_PARAMS, { tasks: fx.tasks, scores: fx.scores, tokenizer: fx.tokenizer, candidates: fx.candidates });
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const inputs = () => ({ tasks: fx.tasks, scores: fx.scores, tokenizer: fx.tokenizer });

describe('reward-model plugin', () => {
  it('has a params schema whose defaults validate', () => {
    const validate = new Ajv2020({ strict: true, useDefaults: true }).compile(plugin.params);
    const p: Record<string, unknown> = {};
    expect(validate(p)).toBe(true);
    expect(p).toMatchObject({ groupSize: 8, topkAsPositive: 3, bottomkAsNegative: 16, useLabel: true, llmScoreAsReward: false });
    expect(validate({ groupSize: 1 })).toBe(false);
    expect(validate({ heldOutFraction: 0.9 })).toBe(false);
    expect(plugin.runtime?.()).toHaveProperty('tfBackend');
  });

  it('lowers the loss and ranks held-out positives above their negatives far better than chance', () => {
    const m = trained.metrics;
    expect(m['reward/heldout_queries']).toBeGreaterThanOrEqual(10);
    expect(m['reward/loss']).toBeLessThan(Math.log(8) - 0.5);
    expect(m['reward/train_group_accuracy']).toBeGreaterThan(0.125);
    expect(m['reward/lr']).toBeGreaterThan(0);
    // Chance is 1/8 for the group and 1/2 per pair; the fixture's BM25 stand-in is a random order.
    expect(m['reward/chance_group_accuracy']).toBe(1 / 8);
    expect(m['reward/heldout_group_accuracy']).toBeGreaterThan(0.125 + 0.3);
    expect(m['reward/heldout_pairwise_accuracy']).toBeGreaterThan(0.75);
    expect(m['reward/heldout_group_accuracy']).toBeGreaterThan(m['reward/bm25_group_accuracy']!);
  });

  it('scores every candidate of every train query, sorted descending, and saves a loadable model', async () => {
    for (const task of ['gen_reviews', 'gen_tweets']) {
      const input = readLines(join(fx.scores, `${task}.jsonl`));
      const out = readLines(join(trained.outDir, 'scores', `${task}.jsonl`));
      expect(out.map((l) => l.id)).toEqual(input.map((l) => l.id));
      out.forEach((l, i) => {
        expect(l.candidates.map((c) => c.id).sort()).toEqual(input[i]!.candidates.map((c) => c.id).sort());
        for (let k = 1; k < l.candidates.length; k++) expect(l.candidates[k - 1]!.score).toBeGreaterThanOrEqual(l.candidates[k]!.score);
      });
    }
    const index = JSON.parse(readFileSync(join(trained.outDir, 'scores', 'index.json'), 'utf8')) as { scorer: string; scoresFrom: string };
    expect(index).toMatchObject({ scorer: 'reward-model', scoresFrom: 'synthetic' });
    const loaded = await loadPretrained(join(trained.outDir, 'model'));
    expect(loaded.architecture).toBe('BertForSequenceClassification');
    expect(loaded.tokenizerPath).toBeDefined();
    loaded.model.dispose();
  });

  it('gives byte-identical outputs (scores, weights, metrics.json) for the same seed, other scores for another seed', async () => {
    const quick = { ...TINY_PARAMS, steps: 4 };
    const a = await runPlugin(plugin, join(root, 'seed-a'), quick, inputs());
    const b = await runPlugin(plugin, join(root, 'seed-b'), quick, inputs());
    const c = await runPlugin(plugin, join(root, 'seed-c'), { ...quick, seed: 988 }, inputs());
    const file = (r: typeof a) => readFileSync(join(r.outDir, 'scores', 'gen_reviews.jsonl'), 'utf8');
    expect(file(a)).toBe(file(b));
    expect(file(c)).not.toBe(file(a));
    // Nothing that depends on the clock (throughput) or on the run's history (a resume) is written into the outputs.
    expect(filesOf(b.outDir)).toEqual(filesOf(a.outDir));
  }, 180_000);

  it('resumes a killed run from its last checkpoint and ends with the same scores', async () => {
    const quick = { ...TINY_PARAMS, steps: 4, checkpointEvery: 2 };
    const first = await runPlugin(plugin, join(root, 'resume'), quick, inputs());
    expect(first.logs.some((l) => l.includes('resuming'))).toBe(false);
    const scores = readFileSync(join(first.outDir, 'scores', 'gen_tweets.jsonl'), 'utf8');
    const modelMetrics = readFileSync(join(first.outDir, 'model', 'metrics.json'), 'utf8');
    // A run killed after step 2 leaves only that checkpoint behind (the scratch sits beside the outputs in tests).
    await rm(join(`${first.outDir}.scratch`, 'train', checkpointName(4)), { recursive: true });
    await rm(first.outDir, { recursive: true });
    const again = await runPlugin(plugin, join(root, 'resume'), quick, inputs());
    expect(again.logs.some((l) => l.includes('resuming from the checkpoint at step 2 of 4'))).toBe(true);
    expect(readFileSync(join(again.outDir, 'scores', 'gen_tweets.jsonl'), 'utf8')).toBe(scores);
    expect(readFileSync(join(again.outDir, 'model', 'metrics.json'), 'utf8')).toBe(modelMetrics);
  }, 60_000);

  it('starts from a Hugging Face ELECTRA folder given as init, with its own tokenizer', async () => {
    const dir = join(root, 'electra');
    const tokenizerJson = readFileSync(join(fx.tokenizer, 'tokenizer.json'), 'utf8');
    const vocabSize = (await loadTokenizer(join(fx.tokenizer, 'tokenizer.json'))).vocabSize;
    const encoder = new BertEncoder({ modelType: 'electra', pooler: false, vocabSize, hiddenSize: 32, embeddingSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 64, maxPositions: 64 }, 4);
    await savePretrained(dir, encoder, { tokenizerJson });
    encoder.dispose();
    const r = await runPlugin(plugin, join(root, 'out-electra'), { ...TINY_PARAMS, steps: 2 }, { tasks: fx.tasks, scores: fx.scores, init: dir });
    expect(JSON.parse(readFileSync(join(r.outDir, 'model', 'metrics.json'), 'utf8'))).toMatchObject({ init: 'pretrained:ElectraModel' });
    expect(JSON.parse(readFileSync(join(r.outDir, 'model', 'config.json'), 'utf8'))).toMatchObject({ architectures: ['ElectraForSequenceClassification'], embedding_size: 16 });
  }, 60_000);

  it('llmScoreAsReward passes the LM scores through without training', async () => {
    const r = await runPlugin(plugin, join(root, 'passthrough'), { llmScoreAsReward: true }, inputs());
    for (const task of ['gen_reviews', 'gen_tweets']) {
      expect(readLines(join(r.outDir, 'scores', `${task}.jsonl`))).toEqual(readLines(join(fx.scores, `${task}.jsonl`)));
    }
    expect(existsSync(join(r.outDir, 'model', 'model.safetensors'))).toBe(false);
    expect(r.logs.some((l) => l.startsWith('step '))).toBe(false);
    expect(JSON.parse(readFileSync(join(r.outDir, 'scores', 'index.json'), 'utf8'))).toMatchObject({ scorer: 'llm-score-as-reward' });
  });

  it('useLabel: false reads x alone, which changes the scores', async () => {
    const quick = { ...TINY_PARAMS, steps: 2 };
    const withLabel = await runPlugin(plugin, join(root, 'label-on'), quick, inputs());
    const without = await runPlugin(plugin, join(root, 'label-off'), { ...quick, useLabel: false }, inputs());
    const file = (r: typeof withLabel) => readFileSync(join(r.outDir, 'scores', 'gen_reviews.jsonl'), 'utf8');
    expect(file(without)).not.toBe(file(withLabel));
    expect(JSON.parse(readFileSync(join(without.outDir, 'scores', 'index.json'), 'utf8'))).toMatchObject({ useLabel: false });
  }, 60_000);
});

describe('reward-model plugin: bad input', () => {
  async function scoresWith(name: string, edit: (lines: string[]) => string[]): Promise<string> {
    const dir = join(root, name);
    await cp(fx.scores, dir, { recursive: true });
    const file = join(dir, 'gen_tweets.jsonl');
    await writeFile(file, edit(readFileSync(file, 'utf8').trim().split('\n')).join('\n') + '\n');
    return dir;
  }

  it('names file and line of a malformed scores line', async () => {
    const bad = await scoresWith('bad-json', (l) => [l[0]!, '{"id": "x", "candidates": [', ...l.slice(2)]);
    await expect(runPlugin(plugin, join(root, 'out-bad-json'), TINY_PARAMS, { ...inputs(), scores: bad }))
      .rejects.toThrow(`${join(bad, 'gen_tweets.jsonl')}:2: invalid JSON`);
    const noScore = await scoresWith('bad-score', (l) => [l[0]!, l[1]!, JSON.stringify({ id: 'gen_tweets-train-2', split: 'train', candidates: [{ id: 'gen_tweets-train-3', score: 'high' }] })]);
    await expect(runPlugin(plugin, join(root, 'out-bad-score'), TINY_PARAMS, { ...inputs(), scores: noScore }))
      .rejects.toThrow(/gen_tweets\.jsonl:3: candidate 0 \("gen_tweets-train-3"\): "score" must be a finite number/);
    const stranger = await scoresWith('bad-id', (l) => [l[0]!, JSON.stringify({ id: 'gen_tweets-train-1', split: 'train', candidates: [{ id: 'nowhere', score: 1 }] })]);
    await expect(runPlugin(plugin, join(root, 'out-bad-id'), TINY_PARAMS, { ...inputs(), scores: stranger }))
      .rejects.toThrow(/gen_tweets\.jsonl:2: query "gen_tweets-train-1": candidate "nowhere" is not in the train pool/);
  });

  it('refuses a tokenizer without [CLS] and [SEP]', async () => {
    const dir = join(root, 'bpe-tokenizer');
    await mkdir(dir, { recursive: true });
    await trainByteLevelBpe(['some text to learn merges from', 'more text'], { vocabSize: 300 }).save(join(dir, 'tokenizer.json'));
    await expect(runPlugin(plugin, join(root, 'out-bpe'), TINY_PARAMS, { ...inputs(), tokenizer: dir }))
      .rejects.toThrow(/tokenizer has no \[CLS\] or \[SEP\] token/);
  });

  it('counts and reports queries with too few candidates, and still scores them', async () => {
    const few = await scoresWith('few', (l) => {
      const first = JSON.parse(l[0]!) as Line;
      return [JSON.stringify({ ...first, candidates: first.candidates.slice(0, 2) }), ...l.slice(1)];
    });
    const r = await runPlugin(plugin, join(root, 'out-few'), { ...TINY_PARAMS, steps: 2 }, { ...inputs(), scores: few });
    expect(r.metrics['reward/dropped_queries']).toBe(1);
    expect(r.logs.some((m) => m.startsWith('warn: 1 of 80 scored queries have 3 or fewer candidates') && m.includes('gen_tweets 1'))).toBe(true);
    expect(readLines(join(r.outDir, 'scores', 'gen_tweets.jsonl'))[0]!.candidates).toHaveLength(2);
  }, 60_000);
});

describe('held-out split', () => {
  const examples = ['gen_reviews', 'gen_tweets', 'gen_headline'].flatMap((task) =>
    Array.from({ length: 100 }, (_, i) => ({ query: { task, line: { id: `${task}-train-${i}` } } }) as unknown as TrainingExample));
  const ids = (xs: TrainingExample[]) => xs.map((e) => `${e.query.task}/${e.query.line.id}`).sort();

  it('holds out about the asked share, by (seed, task, id) alone', () => {
    const { train, heldOut } = splitHeldOut(examples, 0.1, 987);
    expect(train.length + heldOut.length).toBe(300);
    // Binomial(300, 0.1): mean 30, sd 5.2; ids that differ only in their last digits must not skew it.
    expect(heldOut.length).toBeGreaterThan(12);
    expect(heldOut.length).toBeLessThan(48);
    expect(ids(splitHeldOut(examples.slice().reverse(), 0.1, 987).heldOut)).toEqual(ids(heldOut));
    expect(ids(splitHeldOut(examples, 0.1, 988).heldOut)).not.toEqual(ids(heldOut));
    expect(splitHeldOut(examples, 0, 987).heldOut).toHaveLength(0);
  });
});
