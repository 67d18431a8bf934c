// The `arith-suite` stage: the built-in arithmetic word-problem suite as JSON Lines, one file per
// split (train, test and the three out-of-distribution sets) plus suite.json.

import { definePlugin } from '../../src/plugin/api.js';
import { writeSuiteFiles } from '../../src/lib/reasoning/io.js';
import { generateSuite } from '../../src/lib/reasoning/suite.js';

export default definePlugin({
  id: 'arith-suite',
  version: '1.0.0',
  description: 'Generated arithmetic word problems (2–5 steps, gold chain of thought): train, test and OOD sets (other templates, larger numbers, distractors).',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seed: { type: 'integer', default: 1, description: 'Seed of the generator; the same seed gives the same files.' },
      trainSize: { type: 'integer', minimum: 0, maximum: 1000000, default: 400, description: 'Training questions.' },
      testSize: { type: 'integer', minimum: 0, maximum: 1000000, default: 100, description: 'Questions of the in-distribution test set and of each OOD set.' },
      minSteps: { type: 'integer', minimum: 1, maximum: 20, default: 2, description: 'Fewest operations per question.' },
      maxSteps: { type: 'integer', minimum: 1, maximum: 20, default: 5, description: 'Most operations per question.' },
      numbers: { enum: ['small', 'tiny'], default: 'small', description: 'Numbers of every split but ood-numbers: small (start 5–40, ± 1–20, values ≤ 400) or tiny (start 2–20, ± 1–9, values < 100).' },
    },
  },
  outputs: {
    suite: { description: 'train.jsonl, test.jsonl, ood-templates.jsonl, ood-numbers.jsonl, ood-distractors.jsonl and suite.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const suite = generateSuite({ seed: p.seed, trainSize: p.trainSize, testSize: p.testSize, minSteps: p.minSteps, maxSteps: p.maxSteps, numbers: p.numbers });
    const index = await writeSuiteFiles(ctx.output('suite'), suite, { ...p });
    for (const s of index.splits) {
      ctx.metric(`suite/${s.name}_rows`, s.rows);
      ctx.log.info(`${s.name}: ${s.rows} questions`);
    }
  },
});
