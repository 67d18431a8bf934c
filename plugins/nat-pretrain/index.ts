// The `nat-pretrain` stage: the student's base model. A byte-level BPE tokenizer and a tiny
// Llama-style decoder trained from scratch on worked problems generated with another seed, with
// every question of the input suite left out, so the base model never sees the distillation data.

import { join } from 'node:path';
import { definePlugin } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { savePretrained } from '../../src/lib/nn/pretrained.js';
import { trainByteLevelBpe } from '../../src/lib/nn/tokenizer/trainers/train.js';
import { deriveSeed } from '../../src/lib/nn/train/rng.js';
import { readSplit, readSuiteIndex } from '../../src/lib/reasoning/io.js';
import { END_OF_TEXT, exampleOf, PAD, trainLm } from '../../src/lib/reasoning/student.js';
import { drillRows } from '../../src/lib/reasoning/drills.js';
import { generateSuite, type NumberScale } from '../../src/lib/reasoning/suite.js';

export default definePlugin({
  id: 'nat-pretrain',
  version: '1.1.0',
  description: "The student's base model: a tiny decoder pretrained on generated worked problems disjoint from the suite.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seed: { type: 'integer', default: 1 },
      corpusSize: { type: 'integer', minimum: 1, default: 600, description: 'Worked problems in the pretraining corpus.' },
      vocabSize: { type: 'integer', minimum: 270, default: 1000, description: 'Byte-level BPE vocabulary (256 bytes + merges + 2 specials).' },
      splitDigits: { type: 'boolean', default: true, description: 'Every digit its own token (as Llama splits numbers); false merges whole numbers into tokens, as GPT-2 does.' },
      drillRows: { type: 'integer', minimum: 0, default: 0, description: 'Rows of bare equations ("12 + 5 = 17.", 8 a row) added to the corpus, walked like the suite\'s chains from a seed of their own.' },
      hiddenSize: { type: 'integer', minimum: 8, default: 64 },
      numLayers: { type: 'integer', minimum: 1, default: 2 },
      numHeads: { type: 'integer', minimum: 1, default: 4 },
      maxLength: { type: 'integer', minimum: 16, default: 256, description: 'Longest training sequence in tokens.' },
      contextLength: { type: 'integer', minimum: 16, default: 512, description: 'Longest sequence the model reads (few-shot prompts are longer than training rows).' },
      steps: { type: 'integer', minimum: 0, default: 300 },
      batch: { type: 'integer', minimum: 1, default: 16 },
      lr: { type: 'number', exclusiveMinimum: 0, default: 0.003 },
    },
  },
  inputs: { suite: { description: 'An arith-suite output: its questions are kept out of the corpus.' } },
  outputs: { model: { description: 'config.json, model.safetensors and tokenizer.json.' } },
  runtime: backendRuntime,
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend();
    ctx.log.info(backend.summary);
    const suiteDir = ctx.inputs.suite;
    const index = await readSuiteIndex(suiteDir);
    const taken = new Set<string>();
    for (const s of index.splits) for (const q of await readSplit(suiteDir, s.name)) taken.add(q.question);
    // The same chain lengths and numbers as the suite, so the base model knows the format of its problems.
    const steps = { minSteps: Number(index.params.minSteps ?? 2), maxSteps: Number(index.params.maxSteps ?? 5), numbers: (index.params.numbers ?? 'small') as NumberScale };
    const generated = generateSuite({ seed: deriveSeed(p.seed, 0x70726574), trainSize: p.corpusSize + taken.size, testSize: 0, ...steps }).train;
    const problems = generated.filter((q) => !taken.has(q.question)).slice(0, p.corpusSize).map((q) => exampleOf(q.question, q.rationale));
    const drills = drillRows({ seed: deriveSeed(p.seed, 0x6472696c), rows: p.drillRows, numbers: steps.numbers });
    const corpus = [...problems, ...drills];
    ctx.metric('pretrain/corpus', problems.length);
    ctx.metric('pretrain/drill_rows', drills.length);

    const tok = trainByteLevelBpe(corpus, { vocabSize: p.vocabSize, minFrequency: 2, specialTokens: [PAD, END_OF_TEXT], splitDigits: p.splitDigits });
    const model = new LlamaDecoder(
      {
        vocabSize: tok.vocabSize,
        hiddenSize: p.hiddenSize,
        numLayers: p.numLayers,
        numHeads: p.numHeads,
        intermediateSize: 2 * p.hiddenSize,
        maxPositions: Math.max(p.contextLength, p.maxLength),
      },
      p.seed,
    );
    const loss = await trainLm(model, tok, corpus, { steps: p.steps, batch: p.batch, lr: p.lr, maxLength: p.maxLength, seed: p.seed, ctx });
    ctx.metric('pretrain/final_loss', loss);
    await savePretrained(ctx.output('model'), model, { tokenizerJson: JSON.stringify(tok.toJSON()) });
    ctx.log.info(`base model: ${model.size()} weights, vocabulary ${tok.vocabSize}, saved to ${join('model', 'model.safetensors')}`);
    model.dispose();
  },
});
