// The student side of distillation: a tiny causal decoder that reads "Question: …\nAnswer:" and
// writes a rationale. Sequences, batches with the LM loss on every real token (TDG takes the loss
// on the question too, `loss_on_prefix=True`), batched greedy decoding (with the key/value cache)
// and accuracy.

import * as tf from '@tensorflow/tfjs';
import { generate } from '../nn/generate.js';
import { SeedStream } from '../nn/layers/dropout.js';
import { causalLmLoss } from '../nn/losses.js';
import type { LlamaDecoder } from '../nn/models/llama.js';
import { train, type TrainContext, type TrainOptions } from '../nn/train/loop.js';
import { constantLr, warmupCosine, type LrSchedule } from '../nn/train/schedule.js';
import { BatchSampler } from '../nn/train/sampler.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { answersMatch, extractAnswer, type AnswerFormat } from './answers.js';

export const END_OF_TEXT = '<|endoftext|>';
export const PAD = '<pad>';

export function promptOf(question: string): string {
  return `Question: ${question}\nAnswer:`;
}

export function exampleOf(question: string, rationale: string): string {
  return `${promptOf(question)} ${rationale}`;
}

export interface SpecialIds {
  eos: number;
  pad: number;
}

export function specialIds(tok: Tokenizer): SpecialIds {
  const eos = tok.tokenToId(END_OF_TEXT);
  const pad = tok.tokenToId(PAD);
  if (eos === undefined || pad === undefined) throw new Error(`the tokenizer needs ${END_OF_TEXT} and ${PAD}`);
  return { eos, pad };
}

/** Token ids of a training text followed by end-of-text, cut to `maxLength`. */
export function encodeExample(tok: Tokenizer, text: string, maxLength: number): number[] {
  const ids = [...tok.encode(text, { addSpecialTokens: false }).ids, specialIds(tok).eos];
  return ids.slice(0, maxLength);
}

export interface LmBatch {
  inputIds: tf.Tensor2D; // [b, t]
  attentionMask: tf.Tensor2D; // [b, t]
  labels: tf.Tensor2D; // [b, t], −100 on padding
}

/** Right-padded rows; the loss is taken on every real token. */
export function lmBatch(rows: number[][], padId: number): LmBatch {
  const t = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * t).fill(padId);
  const mask = new Int32Array(rows.length * t);
  const labels = new Int32Array(rows.length * t).fill(-100);
  rows.forEach((r, i) => {
    ids.set(r, i * t);
    mask.fill(1, i * t, i * t + r.length);
    labels.set(r, i * t);
  });
  return {
    inputIds: tf.tensor2d(ids, [rows.length, t], 'int32'),
    attentionMask: tf.tensor2d(mask, [rows.length, t], 'int32'),
    labels: tf.tensor2d(labels, [rows.length, t], 'int32'),
  };
}

/** Where a generated rationale ends: the model starting the next question. */
export const NEXT_QUESTION = '\nQuestion:';

/**
 * Greedy decoding of a batch of prompts with the key/value cache (each prompt read once, then one
 * token per step), until end-of-text, the start of a next question or `maxNew` tokens.
 */
export function greedyDecode(model: LlamaDecoder, tok: Tokenizer, prompts: string[], maxNew: number, maxLength: number): string[] {
  const { eos, pad } = specialIds(tok);
  const rows = prompts.map((p) => tok.encode(p, { addSpecialTokens: false }).ids.slice(-(maxLength - maxNew)));
  const out = generate(model, rows, { maxNewTokens: maxNew, padId: pad, stopTokenIds: [eos], stopStrings: [NEXT_QUESTION], decode: (ids) => tok.decode(ids) });
  return out.map((g) => (g.text as string).trim());
}

export interface Prediction {
  id: string;
  split: string;
  gold: string;
  text: string;
  predicted: string | null;
  correct: boolean;
}

/**
 * Few-shot demonstrations written before a question: each a worked example, one after another as
 * `Question: …\nAnswer: …\n`, so the question that follows reads like the next one.
 */
export function demonstrationPrefix(demos: { question: string; rationale: string }[]): string {
  return demos.map((d) => `${exampleOf(d.question, d.rationale)}\n`).join('');
}

/** What decoding needs of a problem: the arithmetic suite's rows and a problem set's both fit. */
export interface EvalProblem {
  id: string;
  split: string;
  question: string;
  answer: string | number;
}

/**
 * Greedy predictions; `prefix` (few-shot demonstrations) goes before every prompt. Answers are
 * extracted and compared in `format` (default ours, "The answer is N").
 */
export function predictions(model: LlamaDecoder, tok: Tokenizer, problems: EvalProblem[],
  o: { maxNew: number; maxLength: number; batch: number; prefix?: string; format?: AnswerFormat }): Prediction[] {
  const format = o.format ?? 'model';
  const out: Prediction[] = [];
  for (let i = 0; i < problems.length; i += o.batch) {
    const part = problems.slice(i, i + o.batch);
    const texts = greedyDecode(model, tok, part.map((p) => (o.prefix ?? '') + promptOf(p.question)), o.maxNew, o.maxLength);
    part.forEach((p, k) => {
      const gold = String(p.answer);
      const text = texts[k]!; // one decoded text per prompt
      const predicted = extractAnswer(text, format);
      out.push({ id: p.id, split: p.split, gold, text, predicted, correct: answersMatch(predicted, gold, format) });
    });
  }
  return out;
}

/**
 * How the learning rate moves over a run: constant, or a linear warmup to the peak over `warmup`
 * steps (cut to the run's length) and half a cosine down to peak · `minRatio` at the last step.
 */
export interface LrShape {
  schedule: 'constant' | 'cosine';
  warmup: number;
  minRatio?: number;
}

export function lrSchedule(peak: number, steps: number, shape?: LrShape): LrSchedule {
  if (!shape || shape.schedule === 'constant') return constantLr(peak);
  return warmupCosine({ peak, warmupSteps: Math.min(shape.warmup, steps), totalSteps: steps, minRatio: shape.minRatio ?? 0 });
}

/**
 * The training-loop settings every student stage shares (plain LM, NT/UL/CL, NCE/KD): Adam without
 * weight decay, the gradient norm clipped at 1, five log lines per run, the learning rate shaped by
 * `shape` (constant by default). One place, so the stages differ only in their batches and losses.
 */
export function studentLoop(
  parameters: Map<string, tf.Variable>,
  sampler: BatchSampler,
  o: { steps: number; lr: number; seed: number; shape?: LrShape; ctx?: TrainContext },
): Omit<TrainOptions<unknown>, 'makeBatch' | 'loss'> {
  return {
    parameters,
    sampler,
    steps: o.steps,
    seed: o.seed,
    optimizer: { lr: o.lr, weightDecay: 0 },
    schedule: lrSchedule(o.lr, o.steps, o.shape),
    clipNorm: 1,
    logEvery: Math.max(1, Math.floor(o.steps / 5)),
    ctx: o.ctx,
  };
}

/**
 * Trains whatever `model.parameters()` holds (the base, or the adapters once they are added) with
 * the causal-LM loss on `texts`, through the shared training loop. With `checkpoint`, a later call
 * with more steps resumes where the last one stopped (a learning curve from one run).
 */
export async function trainLm(
  model: LlamaDecoder,
  tok: Tokenizer,
  texts: string[],
  o: { steps: number; batch: number; lr: number; maxLength: number; seed: number; shape?: LrShape; checkpoint?: TrainOptions<unknown>['checkpoint']; ctx?: TrainContext },
): Promise<number> {
  if (texts.length === 0 || o.steps === 0) return NaN;
  const { pad } = specialIds(tok);
  const rows = texts.map((t) => encodeExample(tok, t, o.maxLength));
  const sampler = new BatchSampler({ sources: rows.length, batchSize: Math.min(o.batch, rows.length), seed: o.seed });
  const result = await train({
    ...studentLoop(model.parameters(), sampler, o),
    checkpoint: o.checkpoint,
    makeBatch: (refs) => lmBatch(refs.map((r) => rows[r.index]!), pad),
    loss: (b, info) =>
      causalLmLoss(model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask },
        { training: true, rng: new SeedStream(info.seed) }).logits as tf.Tensor3D, b.labels),
  });
  return result.lastLoss;
}
