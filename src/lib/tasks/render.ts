// Rendering rows as prompts, in the LLM-R layout: a demonstration is "query\nanswer", and the
// evaluator joins demonstrations with a blank line before the test query.

import type { TaskMeta, TaskRow } from '../data/task.js';
import { taskSpecFor } from './specs.js';
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

/**
 * The gold answer as the LM should see it: the option text as scored (MC; for Winograd-style
 * tasks the candidate plus the rest of the sentence), the label word, or the output text.
 */
export function answerText(spec: TaskSpec | TaskMeta, row: TaskRow): string {
  const s = asSpec(spec);
  if (s.type === 'multiple_choice') {
    const at = (row.options ?? []).indexOf(row.output);
    return at < 0 ? row.output : answerOptions(s, row)[at]!; // one answer text per option
  }
  if (s.type === 'generation') return s.answer ? s.answer(row.output) : row.output;
  return verbalize(s, row.output);
}

/** The candidate answers an evaluator scores: option texts (MC) or label words (classification). */
export function answerOptions(spec: TaskSpec | TaskMeta, row: TaskRow): string[] {
  const s = asSpec(spec);
  if (s.type === 'generation') return [];
  const options = row.options ?? [];
  if (s.type === 'multiple_choice') return s.options ? s.options(row.fields, options) : [...options];
  return options.map((o) => verbalize(s, o));
}

/**
 * The references a generation is scored against, as LLM-R holds them: all gold texts, or only
 * the first one for the tasks it scores against a single target.
 */
export function answerReferences(spec: TaskSpec | TaskMeta, row: TaskRow): string[] {
  const s = asSpec(spec);
  if (s.type !== 'generation') return [answerText(s, row)];
  const all = row.references && row.references.length > 0 ? row.references : [row.output];
  const kept = s.scoring.references === 'first' ? all.slice(0, 1) : all;
  return kept.map((r) => (s.answer ? s.answer(r) : r));
}

/** One in-context demonstration: the query, a newline, the answer. */
export function renderDemonstration(spec: TaskSpec | TaskMeta, row: TaskRow): string {
  const s = asSpec(spec);
  return `${renderQuery(s, row)}\n${answerText(s, row)}`;
}
