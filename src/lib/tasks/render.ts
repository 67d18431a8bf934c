// Rendering rows as prompts, in the LLM-R layout: a demonstration is "query\nanswer", and the
// evaluator joins demonstrations with a blank line before the test query.

import type { TaskMeta, TaskRow } from '../data/task.js';
import { taskSpecFor } from './registry.js';
import type { TaskSpec } from './spec.js';

function asSpec(x: TaskSpec | TaskMeta): TaskSpec {
  return typeof (x as TaskSpec).template === 'function' ? (x as TaskSpec) : taskSpecFor(x as TaskMeta);
}

/** The label word shown for a dataset label (identity when the task has no word for it). */
export function verbalize(spec: TaskSpec | TaskMeta, label: string): string {
  const s = asSpec(spec);
  return s.type === 'classification' ? (s.verbalizer[label] ?? label) : label;
}

/** The dataset label a label word stands for, or undefined if it stands for none of `candidates`. */
export function labelForWord(spec: TaskSpec | TaskMeta, word: string, candidates: string[]): string | undefined {
  return candidates.find((c) => verbalize(spec, c) === word) ?? candidates.find((c) => c === word);
}

export function renderQuery(spec: TaskSpec | TaskMeta, row: TaskRow): string {
  return asSpec(spec).template(row.fields);
}

/** The gold answer as the LM should see it: the option text (MC), the label word, or the output text. */
export function answerText(spec: TaskSpec | TaskMeta, row: TaskRow): string {
  return verbalize(spec, row.output);
}

/** The candidate answers an evaluator scores: option texts (MC) or label words (classification). */
export function answerOptions(spec: TaskSpec | TaskMeta, row: TaskRow): string[] {
  const s = asSpec(spec);
  if (s.type === 'generation') return [];
  return (row.options ?? []).map((o) => verbalize(s, o));
}

/** One in-context demonstration: the query, a newline, the answer. */
export function renderDemonstration(spec: TaskSpec | TaskMeta, row: TaskRow): string {
  const s = asSpec(spec);
  return `${renderQuery(s, row)}\n${answerText(s, row)}`;
}
