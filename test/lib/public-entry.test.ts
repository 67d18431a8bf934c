// The plugin library's public entry: a plugin author builds, trains, saves and reloads a small
// retriever through it alone, in a few lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { negatives, nn, reasoning, retrieval, tasks } from '../../src/lib/index.js';

const dir = mkdtempSync(join(tmpdir(), 'retort-public-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pairs = [
  ['the cat sat on the mat', 'a cat is sitting on a mat'],
  ['stocks fell sharply today', 'the market dropped a lot'],
  ['it rained all weekend', 'the weekend was wet and rainy'],
  ['she won the chess final', 'the chess championship went to her'],
];

describe('the plugin library entry', () => {
  it('offers the task layer, the negative miners, the retrieval measures and the reasoning data', () => {
    expect(typeof tasks.renderQuery).toBe('function');
    expect(typeof tasks.generateSuite).toBe('function');
    expect(negatives.STRATEGIES.length).toBeGreaterThan(3);
    expect(retrieval.ndcgAt).toBeTypeOf('function');
    expect(reasoning.generateSuite).toBeTypeOf('function');
  });

  it('trains, saves and reloads a bi-encoder through nn alone', async () => {
    await nn.initBackend();
    const tokenizer = nn.trainWordPiece(pairs.flat(), { vocabSize: 120, minFrequency: 1 });
    const encoder = new nn.BertEncoder({ vocabSize: tokenizer.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32,
      maxPositions: 16, hiddenDropout: 0, attentionDropout: 0 }, 1);
    const embed = (texts: string[]) => {
      const batch = tokenizer.encodeBatch(texts, { maxLength: 16, truncation: 'right' });
      const { inputIds, attentionMask } = nn.toTensors(batch);
      return nn.l2Normalize(nn.meanPool(encoder.forward({ inputIds, attentionMask }).hidden, attentionMask)) as tf.Tensor2D;
    };
    const lossOf = () => tf.tidy(() => nn.infoNce(embed(pairs.map((p) => p[0]!)), embed(pairs.map((p) => p[1]!)), { temperature: 0.05 }).dataSync()[0]!);

    const before = lossOf();
    await nn.train({
      parameters: encoder.parameters(), seed: 1, steps: 20,
      sampler: new nn.BatchSampler({ sources: pairs.length, batchSize: pairs.length, seed: 1 }),
      makeBatch: (refs) => refs.map((r) => pairs[r.index]!),
      loss: (batch) => nn.infoNce(embed(batch.map((p) => p[0]!)), embed(batch.map((p) => p[1]!)), { temperature: 0.05 }),
      optimizer: { lr: 3e-3, weightDecay: 0 },
    });
    const after = lossOf();
    expect(after).toBeLessThan(before);

    await nn.savePretrained(join(dir, 'model'), encoder);
    const reloaded = (await nn.loadPretrained(join(dir, 'model'))).model;
    expect(reloaded).toBeInstanceOf(nn.BertEncoder);
    const ids = tf.tensor2d([[2, 5, 7, 3]], [1, 4], 'int32');
    const a = tf.tidy(() => Array.from(encoder.forward({ inputIds: ids }).hidden.dataSync()));
    const b = tf.tidy(() => Array.from((reloaded as InstanceType<typeof nn.BertEncoder>).forward({ inputIds: ids }).hidden.dataSync()));
    expect(b).toEqual(a);
  });
});
