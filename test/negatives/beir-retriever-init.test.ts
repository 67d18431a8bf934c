// The beir-retriever's `init` input: the retriever starts from an encoder folder's weights and
// tokenizer instead of building its own, and a folder that does not fit the params is a located error.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import retriever from '../../plugins/beir-retriever/index.js';
import negatives from '../../plugins/negatives/index.js';
import { BiEncoder } from '../../src/lib/llmr/bi-encoder.js';
import { openEncoderFolder, saveEncoderFolder, SentenceEncoder } from '../../src/lib/llmr/encoder-folder.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { trainWordPiece } from '../../src/lib/nn/tokenizer/index.js';
import { readBeirFolder, writeBeirFolder, type BeirDataset } from '../../src/lib/retrieval/beir.js';
import { evaluateDense } from '../../src/lib/retrieval/dense.js';
import { parseMeasure } from '../../src/lib/retrieval/metrics.js';
import { runPlugin } from '../plugins/ctx.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'beir-init-'));
const words = ['river', 'mountain', 'violin', 'engine', 'garden', 'planet', 'market', 'winter'];

function toySet(): BeirDataset {
  const corpus = new Map(words.map((w, i) => [`d${i}`, { id: `d${i}`, title: '', text: `a text about the ${w} and the ${w} facts` }]));
  const queries = new Map<string, { id: string; text: string }>();
  const train = new Map<string, Map<string, number>>();
  const test = new Map<string, Map<string, number>>();
  words.forEach((w, i) => {
    queries.set(`tr${i}`, { id: `tr${i}`, text: `tell me of the ${w}` });
    queries.set(`te${i}`, { id: `te${i}`, text: `what about the ${w}` });
    train.set(`tr${i}`, new Map([[`d${i}`, 1]]));
    test.set(`te${i}`, new Map([[`d${i}`, 1]]));
  });
  return { corpus, queries, qrels: new Map([['train', train], ['test', test]]) };
}

/** An encoder folder as the dense-encoder stage writes it: width 16, its own tokenizer. */
async function writeEncoderFolder(dir: string, prefix = ''): Promise<void> {
  const texts = words.flatMap((w) => [`a text about the ${w} and the ${w} facts`, `tell me of the ${w}`, `what about the ${w}`]);
  const tokenizer = trainWordPiece(texts, { vocabSize: 120, minFrequency: 1 });
  const model = new BertEncoder({
    vocabSize: tokenizer.vocabSize, hiddenSize: 16, embeddingSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32,
    maxPositions: 32, hiddenDropout: 0.1, attentionDropout: 0.1, padTokenId: tokenizer.tokenToId('[PAD]') ?? 0, pooler: false,
  }, 7);
  const encoder = new SentenceEncoder(new BiEncoder(model, tokenizer, { maxLength: 32 }), { pooling: 'mean', normalize: true, maxLength: 32, prefix });
  const tokenizerFile = join(tmp(), 'tokenizer.json');
  await tokenizer.save(tokenizerFile);
  await saveEncoderFolder(dir, encoder, readFileSync(tokenizerFile, 'utf8'));
  encoder.dispose();
}

describe('beir-retriever from an encoder folder (init)', () => {
  let beir: string;
  let groups: string;
  let init: string;
  beforeAll(async () => {
    await initBackend();
    beir = join(tmp(), 'toy');
    await writeBeirFolder(beir, toySet());
    groups = join((await runPlugin(negatives, tmp(), { strategy: 'window', count: 3, beirDepth: 8, window: { start: 1, topUp: 'none' } }, { beir })).outDir, 'groups');
    init = join(tmp(), 'encoder');
    await writeEncoderFolder(init);
  });

  it('starts from the folder\'s weights and tokenizer: untrained, it scores exactly as the folder\'s encoder', async () => {
    const r = await runPlugin(retriever, tmp(), { steps: 0, maxLength: 32, measures: ['ndcg@10', 'mrr@10'] }, { beir, groups, init });
    const opened = await openEncoderFolder(init, { maxLength: 32 });
    const data = await readBeirFolder(beir);
    const expected = evaluateDense({ encoder: opened.encoder.model.encoder, tokenizer: opened.encoder.model.tokenizer, maxLength: 32 }, data, data.qrels.get('test')!, [parseMeasure('ndcg@10')], 100);
    opened.encoder.dispose();
    expect(r.metrics['retrieval/ndcg_at_10']).toBeCloseTo(expected.mean['ndcg@10']!, 6);
    const scratch = await runPlugin(retriever, tmp(), { steps: 0, maxLength: 32, measures: ['ndcg@10'] }, { beir, groups });
    expect(scratch.metrics['retrieval/ndcg_at_10']).not.toBeCloseTo(expected.mean['ndcg@10']!, 6);
    expect(r.logs.some((l) => l.startsWith(`encoder from ${init} (width 16`))).toBe(true);
  });

  it('fine-tunes from the folder, and accepts architecture params that match it', async () => {
    const r = await runPlugin(retriever, tmp(), { steps: 4, batchSize: 4, groupSize: 3, maxLength: 32, hiddenSize: 16, layers: 1, measures: ['ndcg@10'] }, { beir, groups, init });
    expect(r.metrics['train/loss']).toBeGreaterThan(0);
    expect(r.metrics['retrieval/ndcg_at_10']).toBeGreaterThan(0);
  });

  it('refuses an architecture param that differs from the folder, naming its config.json', async () => {
    await expect(runPlugin(retriever, tmp(), { steps: 0, maxLength: 32, hiddenSize: 32 }, { beir, groups, init }))
      .rejects.toThrow(`${join(init, 'config.json')}: the init encoder has hiddenSize 16, but the params say 32`);
    await expect(runPlugin(retriever, tmp(), { steps: 0, maxLength: 32, vocabSize: 3000 }, { beir, groups, init }))
      .rejects.toThrow(/config\.json: the init encoder has vocabSize \d+, but the params say 3000/);
  });

  it('refuses a maxLength beyond the folder\'s position embeddings', async () => {
    await expect(runPlugin(retriever, tmp(), { steps: 0, maxLength: 64 }, { beir, groups, init }))
      .rejects.toThrow(`${join(init, 'config.json')}: the init encoder has 32 position embeddings, fewer than maxLength 64`);
  });

  it('refuses a folder with a text prefix, and a folder that is no encoder', async () => {
    const prefixed = join(tmp(), 'e5-like');
    await writeEncoderFolder(prefixed, 'query: ');
    await expect(runPlugin(retriever, tmp(), { steps: 0, maxLength: 32 }, { beir, groups, init: prefixed }))
      .rejects.toThrow(`${join(prefixed, 'encoder.json')}: prefix "query: " is not supported`);
    const empty = tmp();
    writeFileSync(join(empty, 'notes.txt'), 'nothing here\n');
    await expect(runPlugin(retriever, tmp(), { steps: 0 }, { beir, groups, init: empty }))
      .rejects.toThrow(`${empty}: not an encoder folder (no config.json)`);
  });
});
