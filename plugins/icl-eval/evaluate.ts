// In-context evaluation of one task, as LLM-R's evaluator does it (src/llm_evaluator.py):
// multiple choice by the options' mean token log-likelihood, classification by decoding
// constrained to the label words, generation greedy up to 64 tokens and cut at "\n".

import type { TaskMeta, TaskRow } from '../../src/lib/data/task.js';
import { NodeFailure } from '../../src/plugin/api.js';
import type { LanguageModel } from '../../src/lib/ml/lm/types.js';
import { buildPrompt } from '../../src/lib/ml/lm/prompt.js';
import { aggregateMetric, defaultPositiveLabel, scoreExample, type MetricOptions } from '../../src/lib/ml/metrics.js';
import { answerOptions, answerReferences, renderDemonstration, renderQuery, taskSpecFor, type TaskSpec } from '../../src/lib/tasks/registry.js';
import type { DemoSelector } from './demos.js';

export interface PredictionLine {
  task: string;
  id: string;
  prediction: string;
  references: string[];
  /** This example's score in 0..1 (for F1 tasks: label accuracy; the task score is corpus F1). */
  score: number;
  /** Ids of the demonstrations, in prompt order. */
  demos: string[];
  /** Option or label scores (mean log-likelihood for MC, sum for labels). */
  scores?: number[];
  prompt?: string;
}

export interface TaskResult {
  task: string;
  category: string;
  metric: string;
  /** The task's metric in 0..100. */
  score: number;
  /** The task's secondary metrics (LLM-R's code reports them too) in 0..100, by metric name. */
  secondary: Record<string, number>;
  predictions: PredictionLine[];
}

export interface EvaluateOptions {
  maxNewTokens: number;
  /** Rows scored at once (lets a remote backend batch and overlap requests). */
  parallel: number;
  savePrompts: boolean;
  onRows?: (n: number) => void;
  signal?: AbortSignal;
  /**
   * Contextual calibration (Zhao et al., 2021), not in LLM-R: subtract each candidate's score
   * after a content-free input (every field "N/A", same demonstrations) before the argmax.
   */
  calibrate?: boolean;
}

/** The content-free input of contextual calibration: every field of the row set to "N/A". */
export function contentFreeRow(row: TaskRow): TaskRow {
  return { ...row, fields: Object.fromEntries(Object.keys(row.fields).map((f) => [f, CONTENT_FREE])) };
}

const CONTENT_FREE = 'N/A';

/** The option a language model picked: an index outside the options is a fault of the model, said as such. */
function chosen(options: readonly string[], index: number, call: string): string {
  const option = options[index];
  if (option === undefined) throw new NodeFailure(`the language model's ${call} gave option ${index} of ${options.length}`);
  return option;
}

/** The score of option i in a model's answer, which must score every option. */
function scoreAt(scores: readonly number[], i: number, call: string): number {
  const score = scores[i];
  if (score === undefined) throw new NodeFailure(`the language model's ${call} scored ${scores.length} options, expected more than ${i}`);
  return score;
}

function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** LLM-R's parse_decoded_text_by_task: the first line of the stripped output. */
export function cutAnswer(decoded: string): string {
  return decoded.trim().split('\n')[0]!; // split gives at least one line
}

/** The metric options that make a task's scoring LLM-R's. */
export function metricOptions(spec: TaskSpec): MetricOptions {
  return {
    positive: defaultPositiveLabel(spec.labels),
    normalization: spec.scoring.normalization,
    rouge: spec.scoring.rouge,
    references: spec.scoring.references === 'mean' ? 'mean' : 'max',
  };
}

export async function evaluateTask(
  lm: LanguageModel,
  meta: TaskMeta,
  test: readonly TaskRow[],
  select: DemoSelector,
  opts: EvaluateOptions,
): Promise<TaskResult> {
  const spec = taskSpecFor(meta);
  const mopts = metricOptions(spec);
  const prompts = test.map((row) => {
    const demos = select(row);
    const shown = demos.map((d) => renderDemonstration(spec, d));
    return {
      row,
      demos: demos.map((d) => d.id),
      prompt: buildPrompt(shown, renderQuery(spec, row)),
      contentFree: opts.calibrate ? buildPrompt(shown, renderQuery(spec, contentFreeRow(row))) : '',
    };
  });
  const predictions: PredictionLine[] = [];
  for (let start = 0; start < prompts.length; start += opts.parallel) {
    opts.signal?.throwIfAborted();
    const chunk = prompts.slice(start, start + opts.parallel);
    let outs: { prediction: string; scores?: number[] }[];
    if (spec.type === 'generation') {
      // As LLM-R: the newline that ends an answer may not be the first token (begin_suppress_tokens).
      const texts = await lm.generate(chunk.map((c) => ({ prompt: c.prompt, maxTokens: opts.maxNewTokens, stop: ['\n'], suppressLeadingStop: true })));
      outs = texts.map((t) => ({ prediction: cutAnswer(t) }));
    } else if (spec.type === 'multiple_choice') {
      outs = await Promise.all(chunk.map(async (c) => {
        const options = answerOptions(spec, c.row);
        const choice = await lm.chooseOption(c.prompt, options);
        if (!opts.calibrate) return { prediction: chosen(options, choice.index, 'chooseOption'), scores: choice.scores };
        const base = await lm.chooseOption(c.contentFree, options);
        const scores = choice.scores.map((v, i) => v - scoreAt(base.scores, i, 'chooseOption'));
        return { prediction: chosen(options, argmax(scores), 'chooseOption'), scores };
      }));
    } else {
      outs = await Promise.all(chunk.map(async (c) => {
        const choice = await lm.classify(c.prompt, spec.labels);
        if (!opts.calibrate) return { prediction: choice.label, scores: choice.scores };
        const base = await lm.classify(c.contentFree, spec.labels);
        const scores = choice.scores.map((v, i) => v - scoreAt(base.scores, i, 'classify'));
        return { prediction: chosen(spec.labels, argmax(scores), 'classify'), scores };
      }));
    }
    chunk.forEach((c, i) => {
      const out = outs[i];
      if (out === undefined) throw new NodeFailure(`the language model answered ${outs.length} of ${chunk.length} prompts`);
      const references = answerReferences(spec, c.row);
      predictions.push({
        task: meta.name,
        id: c.row.id,
        prediction: out.prediction,
        references,
        score: scoreExample(spec.metric, out.prediction, references, mopts),
        demos: c.demos,
        ...(out.scores ? { scores: out.scores } : {}),
        ...(opts.savePrompts ? { prompt: c.prompt } : {}),
      });
    });
    opts.onRows?.(chunk.length);
  }
  const corpusScore = (metric: TaskSpec['metric']) => 100 * aggregateMetric(metric, predictions.map((p) => p.prediction), predictions.map((p) => p.references), mopts);
  const secondary = Object.fromEntries(spec.secondary.map((m) => [m, corpusScore(m)]));
  return { task: meta.name, category: spec.category, metric: spec.metric, score: corpusScore(spec.metric), secondary, predictions };
}
