// The `ngram-lm` stage: trains the built-in Kneser–Ney n-gram LM (with its in-context cache) on
// the train pools of a tasks directory, rendered as the demonstrations prompts will show.

import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { writeLmDescriptor } from '../../src/lib/ml/lm/load.js';
import { NgramLM } from '../../src/lib/ml/lm/ngram.js';
import { demonstrationTexts } from '../../src/lib/ml/lm/train-texts.js';

export const MODEL_FILE = 'model.ngram';

export default definePlugin({
  id: 'ngram-lm',
  version: '1.3.0',
  description: 'Interpolated Kneser–Ney n-gram language model with an in-context cache, trained on the tasks\' train pools.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      order: { type: 'integer', minimum: 1, maximum: 8, default: 4, description: 'N of the n-grams.' },
      lowercase: { type: 'boolean', default: true, description: 'Lower-case tokens before counting.' },
      maxVocab: { type: 'integer', minimum: 3, description: 'Keep the most frequent words only; the rest become <unk>.' },
      minCount: { type: 'integer', minimum: 1, default: 1, description: 'Words seen fewer times become <unk>.' },
      discount: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'A fixed discount for all orders (plain interpolated Kneser–Ney) instead of the modified Kneser–Ney estimates.' },
      lambda: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.3, description: 'Weight of the in-context cache (the prompt\'s unigram+bigram counts).' },
      mu: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'Share of the bigram part inside the cache.' },
      kappa: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.5, description: 'Weight of the demonstration prior on answer lines: the answers of the prompt\'s demonstrations, weighted by how much their inputs resemble the test input (0 turns it off).' },
      tau: {
        oneOf: [{ type: 'number', minimum: 0 }, { const: 'loo' }], default: 'loo',
        description: 'Sharpness of the demonstration weights (softmax of tau times the input similarity), or "loo": chosen per prompt by leave-one-out over the demonstrations\' own answers.',
      },
      omega: {
        oneOf: [{ type: 'number', minimum: 0, exclusiveMaximum: 1 }, { const: 'loo' }], default: 'loo',
        description: 'Weight of the copy component on answer lines (a pointer from the question into the passage, then along the copied span; 0 turns it off), or "loo": chosen per prompt by how well it predicts the demonstrations\' own answers.',
      },
      maxRowsPerTask: { type: 'integer', minimum: 1, description: 'Read at most this many train rows of each task.' },
    },
  },
  inputs: {
    tasks: { description: 'A directory of task folders (the tasks plugin\'s output) or one task folder.' },
  },
  outputs: {
    model: { description: 'lm.json (the descriptor icl-eval opens) and model.ngram.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const { texts, perTask } = await demonstrationTexts(ctx.inputs.tasks, { maxRowsPerTask: p.maxRowsPerTask });
    if (texts.length === 0) throw new NodeFailure(`no train rows under ${ctx.inputs.tasks}: the LM needs at least one task with a train split`);
    ctx.log.info(`training a ${p.order}-gram model on ${texts.length} demonstrations of ${Object.keys(perTask).length} tasks`);
    const lm = NgramLM.train(texts, {
      order: p.order, lowercase: p.lowercase, maxVocab: p.maxVocab, minCount: p.minCount, discount: p.discount,
      lambda: p.lambda, mu: p.mu, kappa: p.kappa, tau: p.tau, omega: p.omega,
    });
    const dir = ctx.output('model');
    await lm.save(join(dir, MODEL_FILE));
    await writeLmDescriptor(dir, { backend: 'ngram', file: MODEL_FILE });
    const info = lm.model.info;
    const ngrams = Object.fromEntries(lm.model.est.tables.map((t) => [`${t.order}`, t.size]));
    await writeFile(join(dir, 'info.json'), JSON.stringify({ ...info, vocabulary: lm.model.vocab.size, ngrams, perTask, mix: lm.mix }, null, 2) + '\n');
    ctx.metric('lm/vocabulary', lm.model.vocab.size);
    ctx.metric('lm/train_tokens', info.trainedTokens);
    ctx.metric('lm/train_texts', info.trainedTexts);
    for (const t of lm.model.est.tables) ctx.metric(`lm/ngrams_${t.order}`, t.size);
    ctx.progress(1, 1);
  },
});
