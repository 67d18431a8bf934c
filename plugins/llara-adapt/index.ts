// The `llara-adapt` stage: LLaRA's adaptation of a causal LM into an embedding model on unlabeled
// passages (EBAE: the passage's own tokens, EBAR: the next passage's tokens; src/lib/llara). The
// 16 special tokens are added, the model is trained, and the folder it writes embeds with them.

import { definePlugin } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { adaptModel } from '../../src/lib/llara/adapt.js';
import { finishTraining, prepareTraining, trainingParamsSchema } from '../../src/lib/llara/lora-setup.js';
import { asCausal, saveModelFolder } from '../../src/lib/llara/model-io.js';
import { readPassageCorpus } from '../../src/lib/llara/passages.js';
import { openModel } from '../../src/lib/llara/retrieval-model.js';
import { addLlaraVocabulary } from '../../src/lib/llara/vocab.js';

const int = (minimum: number, dflt: number, description: string) => ({ type: 'integer', minimum, default: dflt, description }) as const;

export default definePlugin({
  id: 'llara-adapt',
  version: '1.0.0',
  description: 'LLaRA adaptation (EBAE + EBAR bag-of-tokens losses from one joint pass, plus the AR loss) of a causal LM on unlabeled passages.',
  runtime: backendRuntime,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      base: { type: 'string', description: 'The base model when the `model` input is not given: a folder or hf://owner/name[@revision] (a Llama-family checkpoint with tokenizer.json).' },
      ebae: { type: 'boolean', default: true, description: 'Train EBAE (predict the passage\'s own tokens).' },
      ebar: { type: 'boolean', default: true, description: 'Train EBAR (predict the next passage\'s tokens); needs `next` links in the corpus.' },
      form: { enum: ['llara', 'v1'], default: 'llara', description: "'llara': the released code (8 tokens each, max-pooling, unique targets, /10, ½(EBAE+EBAR) + AR). 'v1': the first paper (one end-of-text embedding each, summed loss, EBAE+EBAR)." },
      stopWords: { type: 'boolean', default: true, description: 'Drop non-word characters and English stop words from the targets (the released example does).' },
      steps: int(0, 200, 'Optimizer steps.'),
      batchSize: int(1, 16, 'Passages per step.'),
      maxLength: int(16, 128, 'Tokens of the joint input (the text is cut to fit beside both suffixes).'),
      ...trainingParamsSchema({ lr: 'the paper: 1e-5 for LLaMA-2-7B', warmupDefault: 20, lora: 'LoRA on every projection (token table and LM head stay trainable for the new tokens), merged after training; null = full training.' }),
      seed: int(0, 1, 'Seeds the new token rows, the batches and dropout.'),
      logEvery: int(1, 20, 'Steps between logged training metrics.'),
    },
  },
  inputs: {
    corpus: { description: 'A BEIR folder of passages; `next` ids link each passage to the following one (the passage-corpus stage\'s `corpus` output).' },
    model: { optional: true, description: 'The base model folder (e.g. causal-lm-pretrain\'s `model` output).' },
  },
  outputs: { model: { description: 'The adapted model folder (with the 16 tokens; retrieval.json: llara pooling).' } },
  async run(ctx) {
    const p = ctx.params;
    ctx.log.info((await initBackend()).summary);
    const corpusDir = ctx.inputs.corpus;
    const corpus = await readPassageCorpus(corpusDir);
    const loaded = await openModel(ctx.inputs.model, p.base, 'llara-adapt');
    const model = asCausal(loaded.model, loaded.source);
    try {
      const tok = addLlaraVocabulary(model, loaded.tok, p.seed);
      prepareTraining(model, p.lora, true, p.seed);
      const report = await adaptModel(model, tok, corpus.passages, p, { ...ctx, source: corpusDir });
      finishTraining(model, p.lora);
      ctx.metric('adapt/passages', report.passages);
      ctx.metric('adapt/skipped_empty', report.skippedEmpty);
      ctx.metric('adapt/without_next', report.withoutNext);
      ctx.metric('adapt/ebar_enabled', report.ebar ? 1 : 0);
      ctx.metric('adapt/final_loss', report.lastLoss);
      if (report.skippedEmpty > 0) ctx.log.warn(`${report.skippedEmpty} passages had nothing left to predict${p.stopWords ? ' after stop-word removal' : ''} and were skipped`);
      ctx.log.info(`adapted on ${report.passages} passages (EBAE ${p.ebae ? 'on' : 'off'}, EBAR ${report.ebar ? 'on' : 'off'}, ${report.withoutNext} without a next passage), form ${p.form}`);
      await saveModelFolder(ctx.output('model'), model, tok, { pooling: 'llara', form: p.form, maxLength: p.maxLength });
    } finally {
      model.dispose();
    }
  },
});
