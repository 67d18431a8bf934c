// The `asc-vote` stage: for each evaluated test question, N rationales sampled from a student
// model, scored by ASC's ranking model, and voted on three ways — self-consistency (f = 1),
// weighted self-consistency (f = 1 + s) and adaptive self-consistency (f = s) — with greedy
// decoding beside them for reference.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { loadAscRanker } from '../../src/lib/nn/asc.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { loadTokenizer } from '../../src/lib/nn/tokenizer/tokenizer-json.js';
import { deriveSeed } from '../../src/lib/nn/train/rng.js';
import { answersMatch, extractAnswer } from '../../src/lib/reasoning/answers.js';
import { openProblemSet } from '../../src/lib/reasoning/problem-set.js';
import { scoreRationales } from '../../src/lib/reasoning/ranker.js';
import { sampleQuestion, scoredSamples, voteQuestion, WEIGHTINGS } from '../../src/lib/reasoning/self-consistency.js';
import { greedyDecode, promptOf } from '../../src/lib/reasoning/student.js';
import { loadStudent } from '../../src/lib/reasoning/student-model.js';

export default definePlugin({
  id: 'asc-vote',
  version: '1.1.0',
  description: 'N sampled rationales per test question from a student, scored by the ASC ranker and voted on with f(s) = 1 (SC), 1 + s (WS) and s (ASC); greedy accuracy for reference.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      samples: { type: 'integer', minimum: 1, maximum: 256, default: 16, description: 'N rationales per question (TDG: 16).' },
      temperature: { type: 'number', exclusiveMinimum: 0, default: 0.7, description: 'Sampling temperature (not in the TDG repository; 0.7 is what self-consistency used with GPT-3).' },
      topK: { type: 'integer', minimum: 0, default: 0, description: 'Keep the k most likely tokens (0 keeps all).' },
      topP: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Nucleus sampling (1 keeps all).' },
      seed: { type: 'integer', default: 1, description: 'Seeds the samples: question q of split k draws from (seed, k, q).' },
      maxNew: { type: 'integer', minimum: 1, default: 72, description: 'Longest generated rationale in tokens.' },
      maxLength: { type: 'integer', minimum: 16, default: 192, description: 'Longest prompt plus rationale in tokens.' },
      evalSplits: { type: 'array', items: { type: 'string' }, default: ['test', 'ood-templates', 'ood-numbers', 'ood-distractors'] },
      maxEval: { type: 'integer', minimum: 1, default: 40, description: 'Questions evaluated per split.' },
      greedy: { type: 'boolean', default: true, description: 'Also decode greedily and report acc/<split>/greedy.' },
      scoreBatch: { type: 'integer', minimum: 1, default: 32, description: 'Rationales per forward pass of the ranker.' },
    },
  },
  inputs: {
    suite: { description: 'An arith-suite output ("The answer is N"), or a reasoning-import output (MATH: \\boxed{}, GSM8K: ####).' },
    model: { description: 'A student in the nat-pretrain layout (config.json, model.safetensors of a Llama-style decoder, tokenizer.json): a nat-pretrain or model-import output, or any nat-student or nce-student model output (a NAT student with its nat.json and nat.safetensors).' },
    ranker: { description: 'An asc-ranker output.' },
  },
  outputs: { votes: { description: 'votes.jsonl: per question its samples (text, answer, score) and each vote\'s winners and credit.' } },
  runtime: backendRuntime,
  async run(ctx) {
    const p = ctx.params;
    if (p.maxNew >= p.maxLength) throw new NodeFailure(`maxNew (${p.maxNew}) must be below maxLength (${p.maxLength}): the prompt needs room`);
    const backend = await initBackend();
    ctx.log.info(backend.summary);
    const modelDir = ctx.inputs.model;
    if (!existsSync(join(modelDir, 'tokenizer.json'))) throw new NodeFailure(`${modelDir}: no tokenizer.json beside the model`);
    // A NAT student's folder holds the base weights plus its adapters and unit: loadStudent
    // restores them, where loading the weights alone would sample from the base model.
    const { model, tokenizer: tok, nat } = await loadStudent(modelDir);
    if (nat) ctx.log.info(`${modelDir}: a NAT student (LoRA_pos, LoRA_neg and the integration unit restored)`);
    const { ranker, extra } = await loadAscRanker(ctx.inputs.ranker);
    try {
      const rankTok = await loadTokenizer(join(ctx.inputs.ranker, 'tokenizer.json'));
      const rankLength = typeof extra.maxLength === 'number' ? extra.maxLength : ranker.encoder.config.maxPositions;

      const set = await openProblemSet(ctx.inputs.suite);
      const format = set.answerFormat;
      const splits = [];
      for (const split of p.evalSplits) splits.push({ split, problems: (await set.read(split)).slice(0, p.maxEval) });
      const total = splits.reduce((n, s) => n + s.problems.length, 0);
      const rows: string[] = [];
      const sums = new Map<string, number>();
      const add = (name: string, v: number) => sums.set(name, (sums.get(name) ?? 0) + v);
      let done = 0;
      for (const [k, { split, problems }] of splits.entries()) {
        const n = Math.max(1, problems.length);
        let greedyAcc: number | undefined;
        if (p.greedy) {
          let right = 0;
          for (let i = 0; i < problems.length; i += 20) {
            const part = problems.slice(i, i + 20);
            const texts = greedyDecode(model, tok, part.map((q) => promptOf(q.question)), p.maxNew, p.maxLength);
            part.forEach((q, j) => {
              const text = texts[j];
              if (text === undefined) throw new NodeFailure(`the model decoded ${texts.length} answers for ${part.length} questions`);
              if (answersMatch(extractAnswer(text, format), q.answer, format)) right++;
            });
          }
          greedyAcc = (100 * right) / n;
          ctx.metric(`acc/${split}/greedy`, greedyAcc);
          add('greedy', greedyAcc);
        }
        // Mean ranker score of right and wrong samples: how well the ranker separates them here.
        const scoreSums = { correct: 0, correctCount: 0, wrong: 0, wrongCount: 0 };
        let answered = 0;
        const credit = { sc: 0, ws: 0, asc: 0, any: 0 };
        for (const [q, problem] of problems.entries()) {
          const texts = sampleQuestion(model, tok, problem.question, { ...p, seed: deriveSeed(p.seed, k, q) });
          const scores = scoreRationales(ranker, rankTok, texts.map(() => problem.question), texts, { maxLength: rankLength, batch: p.scoreBatch });
          const gold = problem.answer;
          const samples = scoredSamples(texts, scores, gold, format);
          const votes = voteQuestion(samples, gold, format);
          for (const w of WEIGHTINGS) credit[w] += votes.credit[w];
          credit.any += votes.anyCorrect ? 1 : 0;
          for (const s of samples) {
            if (s.answer !== null) answered++;
            if (s.correct) {
              scoreSums.correct += s.score;
              scoreSums.correctCount++;
            } else {
              scoreSums.wrong += s.score;
              scoreSums.wrongCount++;
            }
          }
          rows.push(JSON.stringify({ id: problem.id, split, gold, samples, ...votes }));
          ctx.progress(++done, total);
        }
        for (const w of WEIGHTINGS) {
          ctx.metric(`acc/${split}/${w}`, (100 * credit[w]) / n);
          add(w, (100 * credit[w]) / n);
        }
        ctx.metric(`pass/${split}`, (100 * credit.any) / n);
        ctx.metric(`samples/${split}/answered`, answered / Math.max(1, problems.length * p.samples));
        if (scoreSums.correctCount > 0) ctx.metric(`score/${split}/correct`, scoreSums.correct / scoreSums.correctCount);
        if (scoreSums.wrongCount > 0) ctx.metric(`score/${split}/wrong`, scoreSums.wrong / scoreSums.wrongCount);
        ctx.log.info(
          `${split}: greedy ${greedyAcc === undefined ? '–' : greedyAcc.toFixed(1)}, SC ${((100 * credit.sc) / n).toFixed(1)}, WS ${((100 * credit.ws) / n).toFixed(1)}, ASC ${((100 * credit.asc) / n).toFixed(1)}; ` +
            `some sample right in ${((100 * credit.any) / n).toFixed(1)}% of ${problems.length} questions`,
        );
      }
      for (const [w, sum] of sums) ctx.metric(`acc/average/${w}`, sum / Math.max(1, p.evalSplits.length));
      await writeFile(join(ctx.output('votes'), 'votes.jsonl'), rows.join('\n') + (rows.length > 0 ? '\n' : ''));
    } finally {
      model.dispose();
      ranker.dispose();
    }
  },
});
