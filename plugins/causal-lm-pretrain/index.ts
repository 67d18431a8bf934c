// The `causal-lm-pretrain` stage: a base language model for LLaRA. A byte-level BPE tokenizer and
// a tiny Llama-style decoder trained from scratch with the next-token loss on the passages of a
// BEIR folder (unlabeled text; the queries and judgments are not read).

import { definePlugin } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { trainByteLevelBpe } from '../../src/lib/nn/tokenizer/trainers/train.js';
import { readPassageCorpus } from '../../src/lib/llara/passages.js';
import { saveModelFolder } from '../../src/lib/llara/model-io.js';
import { promptWording } from '../../src/lib/llara/prompts.js';
import { END_OF_TEXT, PAD, trainLm } from '../../src/lib/reasoning/student.js';

export default definePlugin({
  id: 'causal-lm-pretrain',
  version: '1.0.0',
  description: 'A tiny Llama-style causal LM (and its byte-level BPE tokenizer) pretrained from scratch on the passages of a BEIR folder.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seed: { type: 'integer', minimum: 0, default: 1 },
      vocabSize: { type: 'integer', minimum: 270, default: 600, description: 'Byte-level BPE vocabulary (256 bytes + merges + <pad>, <|endoftext|>).' },
      hiddenSize: { type: 'integer', minimum: 8, default: 64 },
      numLayers: { type: 'integer', minimum: 1, default: 2 },
      numHeads: { type: 'integer', minimum: 1, default: 4 },
      maxLength: { type: 'integer', minimum: 16, default: 96, description: 'Longest training sequence in tokens.' },
      steps: { type: 'integer', minimum: 0, default: 300 },
      batch: { type: 'integer', minimum: 1, default: 16 },
      lr: { type: 'number', exclusiveMinimum: 0, default: 0.003 },
      promptWords: { type: 'boolean', default: true, description: "Let the tokenizer's merges see LLaRA's prompt wording (as a large LM's vocabulary spells it in few tokens); the LM itself never trains on it." },
    },
  },
  inputs: { corpus: { description: 'A BEIR folder (corpus.jsonl is the pretraining text), e.g. the passage-corpus stage\'s `corpus` output.' } },
  outputs: { model: { description: 'config.json, model.safetensors, tokenizer.json and retrieval.json (last-token pooling).' } },
  runtime: backendRuntime,
  async run(ctx) {
    const p = ctx.params;
    ctx.log.info((await initBackend()).summary);
    const { passages } = await readPassageCorpus(ctx.inputs.corpus);
    const texts = passages.map((x) => x.text);
    ctx.metric('pretrain/passages', texts.length);
    // Repeated so the merges form: a byte-level tokenizer of a few hundred ids spells rare words letter by letter.
    const wording = p.promptWords ? Array.from({ length: 50 }, () => promptWording()).flat() : [];
    const tok = trainByteLevelBpe([...texts, ...wording], { vocabSize: p.vocabSize, minFrequency: 2, specialTokens: [PAD, END_OF_TEXT] });
    const model = new LlamaDecoder(
      {
        vocabSize: tok.vocabSize,
        hiddenSize: p.hiddenSize,
        numLayers: p.numLayers,
        numHeads: p.numHeads,
        intermediateSize: 2 * p.hiddenSize,
        maxPositions: 4 * p.maxLength,
      },
      p.seed,
    );
    try {
      const loss = await trainLm(model, tok, texts, { steps: p.steps, batch: p.batch, lr: p.lr, maxLength: p.maxLength, seed: p.seed, ctx: { ...ctx, metric: (n, v, s) => ctx.metric(`pretrain/${n}`, v, s) } });
      ctx.metric('pretrain/final_loss', loss);
      await saveModelFolder(ctx.output('model'), model, tok, { pooling: 'last-token', maxLength: p.maxLength });
      ctx.log.info(`base LM: ${model.size()} weights, vocabulary ${tok.vocabSize}`);
    } finally {
      model.dispose();
    }
  },
});
