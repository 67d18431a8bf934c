// The `nat-pretrain` stage: the student's base model. A byte-level BPE tokenizer and a tiny
// Llama-style decoder trained from scratch on worked problems generated with another seed, with
// every question of the input suite left out, so the base model never sees the distillation data.

import { join } from 'node:path';
import { definePlugin } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { savePretrained } from '../../src/lib/nn/pretrained.js';
import { readSplit, readSuiteIndex } from '../../src/lib/reasoning/io.js';
import { pretrainBase, pretrainCorpus } from '../../src/lib/reasoning/pretrain.js';
import type { NumberScale } from '../../src/lib/reasoning/suite.js';

export default definePlugin({
  id: 'nat-pretrain',
  version: '1.2.0',
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
      lr: { type: 'number', exclusiveMinimum: 0, default: 0.003, description: 'Peak learning rate.' },
      schedule: { enum: ['constant', 'cosine'], default: 'constant', description: 'cosine: linear warmup over `warmup` steps, then half a cosine down to lr · minLrRatio at the last step.' },
      warmup: { type: 'integer', minimum: 0, default: 0, description: 'cosine: warmup steps (at most `steps`).' },
      minLrRatio: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'cosine: the last step\'s rate as a fraction of lr.' },
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
    const exclude = new Set<string>();
    for (const s of index.splits) for (const q of await readSplit(suiteDir, s.name)) exclude.add(q.question);
    // The same chain lengths and numbers as the suite, so the base model knows the format of its problems.
    const { problems, drills } = pretrainCorpus({
      seed: p.seed,
      corpusSize: p.corpusSize,
      drillRows: p.drillRows,
      minSteps: Number(index.params.minSteps ?? 2),
      maxSteps: Number(index.params.maxSteps ?? 5),
      numbers: (index.params.numbers ?? 'small') as NumberScale,
      exclude,
    });
    ctx.metric('pretrain/corpus', problems.length);
    ctx.metric('pretrain/drill_rows', drills.length);
    const shape = { schedule: p.schedule, warmup: p.warmup, minRatio: p.minLrRatio };
    const { tok, model, finalLoss } = await pretrainBase([...problems, ...drills], { ...p, shape }, ctx);
    ctx.metric('pretrain/final_loss', finalLoss);
    await savePretrained(ctx.output('model'), model, { tokenizerJson: JSON.stringify(tok.toJSON()) });
    ctx.log.info(`base model: ${model.size()} weights, vocabulary ${tok.vocabSize}, saved to ${join('model', 'model.safetensors')}`);
    model.dispose();
  },
});
