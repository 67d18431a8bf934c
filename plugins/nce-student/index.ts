// The `nce-student` stage: NCE (Negative Calibrated Enhancement) or plain KD from a trained NAT
// student. A fresh LoRA on the base model learns from the frozen NAT model on the teacher's
// positives plus the NAT model's own correct rationales for training questions (the augmented
// samples), then is evaluated as nat-student evaluates.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { addLora } from '../../src/lib/nn/lora.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { loadPretrained } from '../../src/lib/nn/pretrained.js';
import { distillFromNat } from '../../src/lib/reasoning/nce-training.js';
import { openProblemSet } from '../../src/lib/reasoning/problem-set.js';
import { readSamples } from '../../src/lib/reasoning/samples.js';
import { exampleOf, predictions } from '../../src/lib/reasoning/student.js';
import { loadStudent, saveMergedStudent } from '../../src/lib/reasoning/student-model.js';

export default definePlugin({
  id: 'nce-student',
  version: '1.1.0',
  description: 'A fresh student distilled from a trained NAT model: NCE (sequences weighted by offset + tanh(mean KL(p_neg ‖ p_NAT))) or KD (unweighted).',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      method: { enum: ['nce', 'kd'], default: 'nce', description: 'nce: weight offset + β per sequence; kd: weight 1.' },
      seed: { type: 'integer', default: 1 },
      steps: { type: 'integer', minimum: 0, default: 100 },
      batch: { type: 'integer', minimum: 1, default: 8 },
      lr: { type: 'number', exclusiveMinimum: 0, default: 0.003 },
      lambda: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'λ: L = (1 − λ) L_CE + λ L_KD (TDG: 0.5).' },
      offset: { type: 'number', minimum: 0, default: 0.5, description: 'nce: added to β (TDG code: 0.5; the paper describes 0).' },
      augmentQuestions: { type: 'integer', minimum: 0, default: 100, description: 'Training questions the NAT model answers greedily; its correct rationales join the positives.' },
      rank: { type: 'integer', minimum: 1, default: 8 },
      alpha: { type: 'number', exclusiveMinimum: 0, default: 16 },
      dropout: { type: 'number', minimum: 0, maximum: 0.9, default: 0.05 },
      targets: { type: 'array', items: { type: 'string' }, minItems: 1, default: ['q_proj', 'v_proj'] },
      maxLength: { type: 'integer', minimum: 16, default: 256 },
      maxNew: { type: 'integer', minimum: 1, default: 128 },
      evalSplits: { type: 'array', items: { type: 'string' }, default: ['test', 'ood-templates', 'ood-numbers', 'ood-distractors'] },
      maxEval: { type: 'integer', minimum: 1, default: 40 },
    },
  },
  inputs: {
    suite: { description: 'An arith-suite output, or a reasoning-import output (MATH: \\boxed{} answers, GSM8K: ####).' },
    samples: { description: 'A teacher-samples output over the train split (its positives are distilled).' },
    base: { description: 'A nat-pretrain output: the fresh student starts from it.' },
    teacher: { description: 'The model output of a nat-student node with method nat.' },
  },
  outputs: {
    eval: { description: 'predictions.jsonl, as nat-student writes it.' },
    model: { description: 'The student, LoRA merged, in the nat-pretrain layout.' },
  },
  runtime: backendRuntime,
  async run(ctx) {
    const p = ctx.params;
    ctx.log.info((await initBackend()).summary);
    const teacherDir = ctx.inputs.teacher;
    const teacher = await loadStudent(teacherDir);
    if (!teacher.nat) throw new NodeFailure(`${teacherDir}: not a NAT student (no nat.json): the teacher input takes the model output of nat-student with method nat`);
    const baseDir = ctx.inputs.base;
    const { model } = await loadPretrained(baseDir);
    if (!(model instanceof LlamaDecoder)) throw new NodeFailure(`${baseDir}: expected a Llama-style decoder (a nat-pretrain output)`);
    const tok = teacher.tokenizer;
    const set = await openProblemSet(ctx.inputs.suite);
    const format = set.answerFormat;

    const samples = await readSamples(join(ctx.inputs.samples, 'samples.jsonl'));
    const texts = samples.filter((s) => s.positive).map((s) => exampleOf(s.question, s.text));
    // The augmented samples are the NAT model's rationales whose answer is right in the set's format.
    const asked = p.augmentQuestions > 0 ? (await set.read('train')).slice(0, p.augmentQuestions) : [];
    const augmented = asked.length > 0 ? predictions(
      teacher.model,
      tok,
      asked,
      { maxNew: p.maxNew, maxLength: p.maxLength, batch: 20, format },
    ).filter((x) => x.correct) : [];
    const byId = new Map(asked.map((q) => [q.id, q.question]));
    texts.push(...augmented.map((x) => exampleOf(byId.get(x.id) as string, x.text)));
    ctx.metric('train/augmented', augmented.length);
    ctx.metric('train/examples', texts.length);
    if (texts.length === 0) throw new NodeFailure('no positive samples and no correct NAT rationale to distil');

    addLora(model, { rank: p.rank, alpha: p.alpha, dropout: p.dropout, targets: p.targets, seed: p.seed });
    let betaSum = 0;
    let betaCount = 0;
    const loss = await distillFromNat(model, teacher.model, tok, texts, {
      steps: p.steps, batch: p.batch, lr: p.lr, maxLength: p.maxLength, seed: p.seed, weighting: p.method, lambda: p.lambda, offset: p.offset, ctx,
      onBeta: (b) => ((betaSum += b), betaCount++),
    });
    ctx.metric('train/final_loss', loss);
    if (betaCount > 0) ctx.metric('train/mean_beta', betaSum / betaCount);
    teacher.model.dispose();

    const rows = [];
    let sum = 0;
    for (const split of p.evalSplits) {
      const preds = predictions(model, tok, (await set.read(split)).slice(0, p.maxEval), { maxNew: p.maxNew, maxLength: p.maxLength, batch: 20, format });
      const acc = (100 * preds.filter((x) => x.correct).length) / Math.max(1, preds.length);
      ctx.metric(`acc/${split}`, acc);
      sum += acc;
      rows.push(...preds);
    }
    ctx.metric('acc/average', sum / Math.max(1, p.evalSplits.length));
    await writeFile(join(ctx.output('eval'), 'predictions.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await saveMergedStudent(ctx.output('model'), model, await readFile(join(baseDir, 'tokenizer.json'), 'utf8'), 'default');
    model.dispose();
  },
});
