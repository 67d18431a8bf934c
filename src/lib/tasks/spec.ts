// What a task needs beyond its data: how to turn a row into a prompt and an answer.

import type { TaskCategory, TaskMetric, TaskType } from '../data/task.js';

export interface TaskSpec {
  name: string;
  category: TaskCategory;
  type: TaskType;
  metric: TaskMetric;
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
