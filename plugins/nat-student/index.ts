// The `nat-student` stage: one distillation method on the frozen base model, then greedy
// decoding on the test splits. method: base (no training), few-shot (gold demonstrations in the
// prompt), finetune (gold rationales), cot-kd (the teacher's positives), mix (positives and
// negatives alike), nt / ul / cl (positives plus a loss that pushes the negatives down) or nat
// (LoRA_neg on the negatives, then LoRA_pos with the dynamic integration unit on the positives).

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { addLora } from '../../src/lib/nn/lora.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { addNat, setNatStage } from '../../src/lib/nn/nat.js';
import { loadPretrained } from '../../src/lib/nn/pretrained.js';
import { loadTokenizer } from '../../src/lib/nn/tokenizer/tokenizer-json.js';
import { openProblemSet } from '../../src/lib/reasoning/problem-set.js';
import { readSamples } from '../../src/lib/reasoning/samples.js';
import { stepMetrics } from '../../src/lib/reasoning/step-check.js';
import { samePairs, trainWithNegatives } from '../../src/lib/reasoning/negative-training.js';
import { demonstrationPrefix, exampleOf, predictions, trainLm } from '../../src/lib/reasoning/student.js';
import { deriveSeed, Rng } from '../../src/lib/nn/train/rng.js';
import { saveMergedStudent, saveNatStudent } from '../../src/lib/reasoning/student-model.js';

export type StudentMethod = 'base' | 'few-shot' | 'finetune' | 'cot-kd' | 'mix' | 'nt' | 'ul' | 'cl' | 'nat';

export default definePlugin({
  id: 'nat-student',
  version: '1.2.0',
  description: 'A student distilled by one method (base, few-shot, finetune, cot-kd, mix, nt, ul, cl, nat) from the teacher samples, evaluated by greedy decoding.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      method: { enum: ['base', 'few-shot', 'finetune', 'cot-kd', 'mix', 'nt', 'ul', 'cl', 'nat'], default: 'nat' },
      seed: { type: 'integer', default: 1 },
      steps: { type: 'integer', minimum: 0, default: 100, description: 'Optimizer steps (nat: of stage 2).' },
      negSteps: { type: 'integer', minimum: 0, default: 100, description: 'nat: steps of stage 1 (LoRA_neg on the negatives).' },
      batch: { type: 'integer', minimum: 1, default: 8 },
      lr: { type: 'number', exclusiveMinimum: 0, default: 0.003, description: 'TDG: 3e-4 for LLaMA-7B; a tiny student needs more.' },
      rank: { type: 'integer', minimum: 1, default: 8 },
      alpha: { type: 'number', exclusiveMinimum: 0, default: 16 },
      dropout: { type: 'number', minimum: 0, maximum: 0.9, default: 0.05 },
      targets: { type: 'array', items: { type: 'string' }, minItems: 1, default: ['q_proj', 'v_proj'] },
      shots: { type: 'integer', minimum: 1, default: 2, description: 'few-shot: demonstrations (gold rationales of training questions drawn with the seed).' },
      negWeight: { type: 'number', minimum: 0, default: 1, description: 'nt, ul, cl: λ, the weight of the negative term beside the LM loss on the positives.' },
      ntFloor: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.001, description: 'nt: a negative token below this probability is pushed down no further.' },
      margin: { type: 'number', minimum: 0, default: 1, description: 'cl: how far the positive must exceed the negative in mean token log-likelihood.' },
      unitDim: { type: 'integer', minimum: 1, default: 32, description: 'nat: width of the integration unit (TDG: 128 for d = 4096).' },
      maxLength: { type: 'integer', minimum: 16, default: 256 },
      maxNew: { type: 'integer', minimum: 1, default: 128, description: 'Longest generated rationale in tokens.' },
      evalSplits: { type: 'array', items: { type: 'string' }, default: ['test', 'ood-templates', 'ood-numbers', 'ood-distractors'] },
      maxEval: { type: 'integer', minimum: 1, default: 40, description: 'Questions evaluated per split.' },
    },
  },
  inputs: {
    suite: { description: 'An arith-suite output, or a reasoning-import output (MATH: \\boxed{} answers, GSM8K: ####).' },
    samples: { description: 'A teacher-samples output over the train split.' },
    base: { description: 'A nat-pretrain output (the frozen base model and its tokenizer).' },
  },
  outputs: {
    eval: { description: 'predictions.jsonl: one generated rationale per evaluated question.' },
    model: { description: 'The trained student in the nat-pretrain layout (config.json, model.safetensors, tokenizer.json; LoRA merged); nat adds nat.json and nat.safetensors (loadStudent restores them).' },
  },
  runtime: backendRuntime,
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend();
    ctx.log.info(backend.summary);
    const baseDir = ctx.inputs.base;
    const { model } = await loadPretrained(baseDir);
    if (!(model instanceof LlamaDecoder)) throw new NodeFailure(`${baseDir}: expected a Llama-style decoder (a nat-pretrain output)`);
    const tok = await loadTokenizer(join(baseDir, 'tokenizer.json'));
    const set = await openProblemSet(ctx.inputs.suite);
    const samples = await readSamples(join(ctx.inputs.samples, 'samples.jsonl'));
    const labelled = (positive: boolean) => samples.filter((s) => s.positive === positive).map((s) => ({ question: s.question, rationale: s.text }));
    const positives = labelled(true);
    const negatives = labelled(false);
    const train = (texts: string[], steps: number, seed: number) =>
      trainLm(model, tok, texts, { steps, batch: p.batch, lr: p.lr, maxLength: p.maxLength, seed, ctx });

    const lora = { rank: p.rank, alpha: p.alpha, dropout: p.dropout, targets: p.targets, seed: p.seed };
    const counts = `the samples have ${positives.length} positives, ${negatives.length} negatives`;
    let examples = 0;
    let prefix = '';
    if (p.method === 'finetune' || p.method === 'cot-kd' || p.method === 'mix') {
      const texts =
        p.method === 'finetune'
          ? (await set.read('train')).map((q) => exampleOf(q.question, q.rationale))
          : p.method === 'cot-kd'
            ? positives.map((e) => exampleOf(e.question, e.rationale))
            : [...positives, ...negatives].map((e) => exampleOf(e.question, e.rationale));
      if (texts.length === 0) throw new NodeFailure(`method ${p.method}: no training examples (${counts})`);
      addLora(model, lora);
      ctx.metric('train/final_loss', await train(texts, p.steps, p.seed));
      examples = texts.length;
    } else if (p.method === 'nt' || p.method === 'ul' || p.method === 'cl') {
      const data = { positives, negatives };
      if (positives.length === 0 || negatives.length === 0) throw new NodeFailure(`method ${p.method} needs positives and negatives (${counts})`);
      if (p.method === 'cl' && samePairs(data).length === 0) throw new NodeFailure(`method cl needs a question with both a positive and a negative sample (${counts}, none of one question)`);
      addLora(model, lora);
      const o = {
        steps: p.steps,
        batch: p.batch,
        lr: p.lr,
        maxLength: p.maxLength,
        seed: p.seed,
        weight: p.negWeight,
        floor: p.ntFloor,
        margin: p.margin,
        ctx,
      };
      ctx.metric('train/final_loss', await trainWithNegatives(model, tok, p.method, data, o));
      examples = positives.length + negatives.length;
    } else if (p.method === 'nat') {
      if (positives.length === 0 || negatives.length === 0) throw new NodeFailure(`method nat needs positives and negatives, got ${positives.length} and ${negatives.length}`);
      addNat(model, { ...lora, unitDim: p.unitDim });
      setNatStage(model, 1);
      ctx.metric('train/neg_final_loss', await train(negatives.map((e) => exampleOf(e.question, e.rationale)), p.negSteps, p.seed));
      setNatStage(model, 2);
      ctx.metric('train/final_loss', await train(positives.map((e) => exampleOf(e.question, e.rationale)), p.steps, p.seed + 1));
      examples = positives.length + negatives.length;
    } else if (p.method === 'few-shot') {
      const pool = await set.read('train');
      if (pool.length < p.shots) throw new NodeFailure(`method few-shot: ${p.shots} demonstrations asked for, the train split has ${pool.length} questions`);
      const order = pool.map((_, i) => i);
      new Rng(deriveSeed(p.seed, 0x73686f74)).shuffle(order);
      prefix = demonstrationPrefix(order.slice(0, p.shots).map((i) => pool[i]!)); // a shuffled list of pool's indices
    }
    ctx.metric('train/examples', examples);

    const rows = [];
    let sum = 0;
    for (const split of p.evalSplits) {
      const problems = (await set.read(split)).slice(0, p.maxEval);
      // Demonstrations lengthen the prompt: it may then use the model's whole context.
      const maxLength = prefix ? model.config.maxPositions : p.maxLength;
      const preds = predictions(model, tok, problems, { maxNew: p.maxNew, maxLength, batch: 20, prefix, format: set.answerFormat });
      const acc = (100 * preds.filter((x) => x.correct).length) / Math.max(1, preds.length);
      ctx.metric(`acc/${split}`, acc);
      // Where the rationales go wrong: each equation's arithmetic, and whether a line starts from
      // the last result (the suite's one-equation lines; a real dataset's solutions have no such form).
      const steps = set.kind === 'arith-suite' ? stepMetrics(split, preds.map((x) => x.text)) : {};
      for (const [name, value] of Object.entries(steps)) ctx.metric(name, value);
      ctx.log.info(`${split}: accuracy ${acc.toFixed(1)} on ${preds.length} questions, ${steps[`steps/${split}/arithmetic`]?.toFixed(1) ?? 'no'} % of equations right`);
      sum += acc;
      rows.push(...preds);
    }
    ctx.metric('acc/average', sum / Math.max(1, p.evalSplits.length));
    await writeFile(join(ctx.output('eval'), 'predictions.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const tokenizerJson = await readFile(join(baseDir, 'tokenizer.json'), 'utf8');
    if (p.method === 'nat') await saveNatStudent(ctx.output('model'), model, tokenizerJson, { rank: p.rank, alpha: p.alpha, unitDim: p.unitDim, correction: 0.5, targets: p.targets });
    else await saveMergedStudent(ctx.output('model'), model, tokenizerJson, p.method === 'base' || p.method === 'few-shot' ? undefined : 'default');
    model.dispose();
  },
});
