// The student helpers: padded LM batches, batched greedy decoding that matches one-by-one
// decoding, and training that lowers the loss on what it is trained on.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { causalLmLoss } from '../../src/lib/nn/losses.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { trainByteLevelBpe } from '../../src/lib/nn/tokenizer/trainers/train.js';
import { generateSuite } from '../../src/lib/reasoning/suite.js';
import { encodeExample, END_OF_TEXT, exampleOf, greedyDecode, lmBatch, PAD, promptOf, specialIds, trainLm } from '../../src/lib/reasoning/student.js';

const suite = generateSuite({ seed: 4, trainSize: 24, testSize: 0 });
const texts = suite.train.map((p) => exampleOf(p.question, p.rationale));
const tok = trainByteLevelBpe(texts, { vocabSize: 320, specialTokens: [PAD, END_OF_TEXT] });
const config = { vocabSize: tok.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 256 };

describe('student helpers (wasm backend)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('pads right, masks padding and takes no loss on it', () => {
    const b = lmBatch([[5, 6, 7], [8]], 0);
    expect(b.inputIds.arraySync()).toEqual([[5, 6, 7], [8, 0, 0]]);
    expect(b.attentionMask.arraySync()).toEqual([[1, 1, 1], [1, 0, 0]]);
    expect(b.labels.arraySync()).toEqual([[5, 6, 7], [8, -100, -100]]);
    const ids = encodeExample(tok, texts[0]!, 1000);
    expect(ids.at(-1)).toBe(specialIds(tok).eos);
    expect(encodeExample(tok, texts[0]!, 10)).toHaveLength(10);
  });

  it('decodes a batch exactly as it decodes each prompt alone', () => {
    const model = new LlamaDecoder(config, 3);
    const prompts = suite.train.slice(0, 3).map((p) => promptOf(p.question));
    const together = greedyDecode(model, tok, prompts, 8, 200);
    const alone = prompts.map((p) => greedyDecode(model, tok, [p], 8, 200)[0]);
    expect(together).toEqual(alone);
    model.dispose();
  });

  it('lowers the LM loss of the texts it trains on', async () => {
    const model = new LlamaDecoder(config, 5);
    const { pad } = specialIds(tok);
    const rows = texts.slice(0, 8).map((t) => encodeExample(tok, t, 160));
    const lossNow = () => tf.tidy(() => {
      const b = lmBatch(rows, pad);
      return causalLmLoss(model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask }).logits as tf.Tensor3D, b.labels).dataSync()[0]!;
    });
    const before = lossNow();
    await trainLm(model, tok, texts.slice(0, 8), { steps: 15, batch: 8, lr: 1e-2, maxLength: 160, seed: 1 });
    expect(lossNow()).toBeLessThan(before - 0.5);
    model.dispose();
  });
});
