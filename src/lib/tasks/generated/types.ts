// The shape of one generated task: metadata plus a maker of random examples.

import type { TaskCategory, TaskMetric, TaskType } from '../../data/task.js';
import type { Rng } from './rng.js';

export interface Example {
  fields: Record<string, string>;
  options?: string[];
  output: string;
  /** Other acceptable outputs of a generation example (the output is always included). */
  references?: string[];
}

export type ExampleMaker = (rng: Rng) => Example;

export interface TaskGenerator {
  name: string;
  /** The LLM-R task this one stands in for (same category, type and metric). */
  mirrors: string;
  category: TaskCategory;
  type: TaskType;
  metric: TaskMetric;
  fields: string[];
  /** Label words (classification), in a fixed order. */
  labels: string[];
  /** For task.json notes: what the task is and which latent sub-types make neighbours useful. */
  description: string;
  /** Builds the task's world (its small knowledge base) from `world`, returns the example maker. */
  build(world: Rng): ExampleMaker;
}

/** A multiple-choice example: the options are the answer and the distractors, shuffled. */
export function multipleChoice(rng: Rng, fields: Record<string, string>, answer: string, distractors: string[]): Example {
  return { fields, options: rng.shuffle([answer, ...distractors]), output: answer };
}

/** A classification example over the task's label words. */
export function classify(fields: Record<string, string>, labels: string[], label: string): Example {
  if (!labels.includes(label)) throw new Error(`label "${label}" is not one of ${labels.join(', ')}`);
  return { fields, options: [...labels], output: label };
}
