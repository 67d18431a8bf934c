// What a task needs beyond its data: how to turn a row into a prompt and an answer, and how
// LLM-R's code scores it.

import type { TaskCategory, TaskMetric, TaskType } from '../data/task.js';

/** How a task's predictions are compared with its references (LLM-R, evaluation/metrics.py). */
export interface TaskScoring {
  /**
   * Generation references: `max` over all of them (LLM-R's QA metrics), only the `first` (LLM-R
   * scores ROUGE against one target per row), or the `mean` over them (LLM-R evaluates each
   * reference of common_gen as a row of its own).
   */
  references: 'max' | 'first' | 'mean';
  /** Exact-match normalisation of T5's qa_utils: `squad` deletes punctuation, `trivia_qa` turns it into spaces. */
  normalization: 'squad' | 'trivia_qa';
  /** ROUGE-L as the `rouge` pip package LLM-R uses computes it (`pltrdy`), or as Google's rouge-score. */
  rouge: 'pltrdy' | 'rouge-score';
}

export const DEFAULT_SCORING: TaskScoring = { references: 'max', normalization: 'squad', rouge: 'rouge-score' };

export interface TaskSpec {
  name: string;
  category: TaskCategory;
  type: TaskType;
  metric: TaskMetric;
  /** Metrics LLM-R's code reports besides the table's one (F1 for mrpc and qqp, token F1 for QA). */
  secondary: TaskMetric[];
  /** Label words the LM sees for classification, in the order of the dataset labels; empty otherwise. */
  labels: string[];
  /** Dataset label → label word (classification). Labels without an entry are shown as they are. */
  verbalizer: Record<string, string>;
  /** Held out of retriever training in LLM-R (evaluated only). */
  heldOut: boolean;
  /** Input fields the template reads. */
  fields: string[];
  /** The query text of one row (no answer). */
  template(fields: Record<string, string>): string;
  /** The task's name in LLM-R's code, when it differs (natural_questions for nq). */
  llmRName?: string;
  /** LLM-R's query template (templates[0]) as written in its code, for reference. */
  query?: string;
  /**
   * The multiple-choice candidates as the LM scores them, from the row's fields and options
   * (Winograd-style tasks score the candidate plus the rest of the sentence). Identity if absent.
   */
  options?(fields: Record<string, string>, options: readonly string[]): string[];
  /** The gold text of a generation task as LLM-R holds it (aeslc collapses whitespace). */
  answer?(text: string): string;
  scoring: TaskScoring;
}

/** A quoted field value with surrounding whitespace removed. */
export function q(s: string | undefined): string {
  return `"${(s ?? '').trim()}"`;
}

/** Appends `mark` unless the text already ends in sentence punctuation. */
export function endWith(s: string | undefined, mark: string): string {
  const t = (s ?? '').trim();
  return /[.?!…]["')\]]?$/u.test(t) ? t : t + mark;
}

/** Python's str.format for `{name}` placeholders only (LLM-R's templates use no other form). */
export function fillTemplate(template: string, values: Readonly<Record<string, string | undefined>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw new RangeError(`template field "${key}" has no value`);
    return v;
  });
}

/** " ".join(s.split()) */
export function collapseSpaces(s: string): string {
  return s.split(/\s+/u).filter((w) => w !== '').join(' ');
}
