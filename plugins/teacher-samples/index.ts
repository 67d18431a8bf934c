// The `teacher-samples` stage: N sampled rationales per question of a suite split, from the
// built-in noisy teacher or from a language model that can sample (an OpenAI-compatible server
// described by lm.json), each labelled positive or negative by answer equivalence.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { openLanguageModel } from '../../src/lib/ml/lm/load.js';
import { openProblemSet } from '../../src/lib/reasoning/problem-set.js';
import { labelSamples, sampleRationales, sampleStats, type LabelledSample } from '../../src/lib/reasoning/samples.js';
import { DEFAULT_ERROR_RATES, teacherRationales, type TeacherErrorRates } from '../../src/lib/reasoning/teacher.js';

const rate = (description: string, dflt: number) => ({ type: 'number', minimum: 0, maximum: 1, default: dflt, description }) as const;

export default definePlugin({
  id: 'teacher-samples',
  version: '1.1.0',
  description: 'Sampled teacher rationales per question, labelled positive/negative by answer equivalence (built-in noisy teacher or an OpenAI-compatible LM).',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      teacher: { enum: ['builtin', 'lm'], default: 'builtin', description: 'builtin: the seeded noisy solver; lm: the language model on the lm input.' },
      split: { type: 'string', default: 'train', description: 'Which split of the suite to sample.' },
      samples: { type: 'integer', minimum: 1, maximum: 1000, default: 8, description: 'Rationales per question (TDG: 8).' },
      seed: { type: 'integer', default: 1, description: 'Seed of the built-in teacher; sent to the server as seed + question index.' },
      maxQuestions: { type: 'integer', minimum: 1, description: 'Only the first N questions of the split.' },
      rates: {
        type: 'object',
        additionalProperties: false,
        default: DEFAULT_ERROR_RATES,
        description: 'Built-in teacher: mistake rates (per step, except missingAnswer per rationale).',
        properties: {
          wrongOperation: rate('the wrong operation', DEFAULT_ERROR_RATES.wrongOperation),
          arithmeticSlip: rate('a wrong result', DEFAULT_ERROR_RATES.arithmeticSlip),
          skippedStep: rate('a step left out', DEFAULT_ERROR_RATES.skippedStep),
          repeatedStep: rate('a step applied twice', DEFAULT_ERROR_RATES.repeatedStep),
          misreadNumber: rate('a number read wrong', DEFAULT_ERROR_RATES.misreadNumber),
          missingAnswer: rate('no final answer', DEFAULT_ERROR_RATES.missingAnswer),
        },
      },
      temperature: { type: 'number', exclusiveMinimum: 0, default: 0.5, description: 'lm: sampling temperature (TDG samples at 0.5).' },
      maxTokens: { type: 'integer', minimum: 1, default: 256, description: 'lm: longest rationale in tokens.' },
      demos: { type: 'integer', minimum: 0, default: 4, description: 'lm: few-shot demonstrations (gold rationales of the first training questions).' },
    },
  },
  inputs: {
    suite: { description: 'An arith-suite output, or a reasoning-import output (MATH or GSM8K rows; teacher: lm only).' },
    lm: { optional: true, description: 'teacher: lm — a model directory with lm.json (an OpenAI-compatible server).' },
  },
  outputs: {
    samples: { description: 'samples.jsonl (one labelled sample a line) and stats.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const rates: TeacherErrorRates = { ...DEFAULT_ERROR_RATES, ...p.rates };
    if (p.teacher === 'lm' && ctx.inputs.lm === undefined) throw new NodeFailure('teacher: lm needs the lm input (a model directory with lm.json)');
    if (p.teacher === 'builtin' && ctx.inputs.lm !== undefined) throw new NodeFailure('the lm input is only read with teacher: lm');
    const set = await openProblemSet(ctx.inputs.suite);
    const first = <T>(xs: T[]) => (p.maxQuestions === undefined ? xs : xs.slice(0, p.maxQuestions));
    const problems = first(await set.read(p.split));

    let texts: string[][];
    let errors: string[][][] | undefined;
    if (p.teacher === 'builtin') {
      // The built-in teacher re-solves each question's chain, which only the suite's rows carry.
      const chains = first(await set.arith(p.split, 'teacher: builtin'));
      const rationales = teacherRationales(chains, { samples: p.samples, seed: p.seed, rates });
      texts = rationales.map((qs) => qs.map((r) => r.text));
      errors = rationales.map((qs) => qs.map((r) => r.errors));
    } else {
      const demos = (await set.read('train')).slice(0, p.demos);
      const lm = await openLanguageModel(ctx.inputs.lm!, { env: process.env });
      try {
        texts = [];
        const chunk = 16;
        for (let i = 0; i < problems.length; i += chunk) {
          const part = problems.slice(i, i + chunk);
          // A question is never its own demonstration.
          const batch = await Promise.all(
            part.map((q, k) =>
              sampleRationales(lm, [q.question], {
                samples: p.samples, temperature: p.temperature, maxTokens: p.maxTokens, seed: p.seed + i + k,
                demos: demos.filter((d) => d.id !== q.id).map((d) => ({ question: d.question, rationale: d.rationale })),
              }).then(([samples]) => {
                if (samples === undefined) throw new NodeFailure('the teacher gave no samples for a question');
                return samples;
              }),
            ),
          );
          texts.push(...batch);
          ctx.progress(Math.min(i + chunk, problems.length), problems.length);
        }
      } finally {
        await lm.close?.();
      }
    }

    const rows: LabelledSample[] = problems.flatMap((q, i) => {
      const own = texts[i];
      if (own === undefined) throw new NodeFailure(`the teacher gave samples for ${texts.length} of ${problems.length} questions`);
      return labelSamples({ id: q.id, question: q.question, gold: q.answer, texts: own, errors: errors?.[i] }, set.answerFormat);
    });
    const out = ctx.output('samples');
    await writeFile(join(out, 'samples.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
    const stats = sampleStats(rows);
    await writeFile(join(out, 'stats.json'), JSON.stringify(stats, null, 2) + '\n');
    ctx.metric('samples/questions', stats.questions);
    ctx.metric('samples/total', stats.samples);
    ctx.metric('samples/positives', stats.positives);
    ctx.metric('samples/negatives', stats.negatives);
    ctx.metric('samples/no_answer', stats.noAnswer);
    ctx.metric('samples/questions_without_positive', stats.withoutPositive);
    ctx.metric('samples/questions_without_negative', stats.withoutNegative);
    ctx.metric('samples/positive_rate', stats.samples === 0 ? 0 : stats.positives / stats.samples);
    ctx.log.info(`${stats.samples} samples of ${stats.questions} questions: ${stats.positives} positive, ${stats.negatives} negative (${stats.noAnswer} without an answer)`);
    if (stats.withoutPositive > 0) ctx.log.warn(`${stats.withoutPositive} questions have no positive sample`);
    if (stats.withoutNegative > 0) ctx.log.info(`${stats.withoutNegative} questions have no negative sample`);
  },
});
