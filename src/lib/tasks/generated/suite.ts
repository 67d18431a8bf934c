// The built-in generated task suite: 30 small tasks in the 9 LLM-R categories, made from a seed
// by our own generators, written in the task-folder format.

import { join } from 'node:path';
import type { TaskMeta, TaskRow } from '../../data/task.js';
import { writeTaskFolder } from '../../data/task-folder.js';
import { indexEntry, writeTaskIndex } from '../../data/task-index.js';
import { CLOSE_QA } from './close-qa.js';
import { COMMONSENSE } from './commonsense.js';
import { COREFERENCE } from './coreference.js';
import { DATA_TO_TEXT } from './data-to-text.js';
import { NLI } from './nli.js';
import { PARAPHRASE } from './paraphrase.js';
import { READING } from './reading.js';
import { Rng } from './rng.js';
import { SENTIMENT } from './sentiment.js';
import { SUMMARIZE } from './summarize.js';
import type { Example, TaskGenerator } from './types.js';

/** Bump when any generator's output changes, so cached suites are not mistaken for new ones. */
export const SUITE_VERSION = 1;

export const GENERATORS: readonly TaskGenerator[] = [
  ...CLOSE_QA, ...COMMONSENSE, ...COREFERENCE, ...NLI, ...PARAPHRASE, ...READING, ...SENTIMENT, ...DATA_TO_TEXT, ...SUMMARIZE,
];

export const GENERATED_TASK_NAMES: readonly string[] = GENERATORS.map((g) => g.name);

export const DEFAULT_TRAIN_SIZE = 200;
export const DEFAULT_TEST_SIZE = 50;

export interface SuiteOptions {
  seed: number;
  /** Rows in each task's train pool (default 200); a task whose space is smaller yields fewer. */
  trainSize?: number;
  /** Rows in each task's test set (default 50). */
  testSize?: number;
  /** A subset of task names (default: all 30). Each task's rows do not depend on the subset. */
  tasks?: string[];
}

export interface GeneratedTask {
  meta: TaskMeta;
  train: TaskRow[];
  test: TaskRow[];
}

function exampleKey(e: Example): string {
  // Rows count as the same when their fields and option sets agree, ignoring case and spacing.
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  const fields = Object.keys(e.fields).sort().map((k) => `${k}=${norm(e.fields[k]!)}`);
  const options = (e.options ?? []).map(norm).sort();
  return JSON.stringify([fields, options]);
}

/** Draws up to `n` distinct examples whose keys are not in `taken`; gives up after many repeats. */
function draw(make: (rng: Rng) => Example, rng: Rng, n: number, taken: Set<string>): Example[] {
  const out: Example[] = [];
  let misses = 0;
  const maxMisses = 20 * n + 200;
  while (out.length < n && misses < maxMisses) {
    const e = make(rng);
    const key = exampleKey(e);
    if (taken.has(key)) {
      misses++;
      continue;
    }
    taken.add(key);
    out.push(e);
  }
  return out;
}

function toRow(gen: TaskGenerator, split: string, i: number, e: Example): TaskRow {
  const row: TaskRow = { id: `${gen.name}-${split}-${i}`, fields: e.fields, output: e.output };
  if (e.options) row.options = e.options;
  if (gen.type === 'generation' && split !== 'train') row.references = [...new Set([e.output, ...(e.references ?? [])])];
  return row;
}

function checkSize(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}

/** One generated task. The test set is drawn first, so it does not change with trainSize. */
export function generateTask(gen: TaskGenerator, opts: SuiteOptions): GeneratedTask {
  const trainSize = checkSize('trainSize', opts.trainSize ?? DEFAULT_TRAIN_SIZE);
  const testSize = checkSize('testSize', opts.testSize ?? DEFAULT_TEST_SIZE);
  const make = gen.build(Rng.derive(opts.seed, gen.name, 'world'));
  const taken = new Set<string>();
  const test = draw(make, Rng.derive(opts.seed, gen.name, 'test'), testSize, taken);
  const train = draw(make, Rng.derive(opts.seed, gen.name, 'train'), trainSize, taken);
  const short = train.length < trainSize || test.length < testSize
    ? ` Requested ${trainSize} train / ${testSize} test rows; the task's example space gave ${train.length} / ${test.length}.`
    : '';
  const meta: TaskMeta = {
    name: gen.name,
    category: gen.category,
    type: gen.type,
    metric: gen.metric,
    fields: [...gen.fields],
    labels: [...gen.labels],
    splits: { train: train.length, test: test.length },
    source: `retort generated suite v${SUITE_VERSION}, seed ${opts.seed}`,
    license: 'generated data (no third-party content)',
    notes: `${gen.description} Stands in for LLM-R task ${gen.mirrors}. Train rows never repeat a test row.${short}`,
  };
  return {
    meta,
    train: train.map((e, i) => toRow(gen, 'train', i, e)),
    test: test.map((e, i) => toRow(gen, 'test', i, e)),
  };
}

function selectGenerators(names?: string[]): TaskGenerator[] {
  if (!names) return [...GENERATORS];
  const unknown = names.filter((n) => !GENERATED_TASK_NAMES.includes(n));
  if (unknown.length > 0) {
    throw new RangeError(`unknown generated task${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; available: ${GENERATED_TASK_NAMES.join(', ')}`);
  }
  return GENERATORS.filter((g) => names.includes(g.name));
}

/** The generated suite (all 30 tasks or a subset, in category order). */
export function generateSuite(opts: SuiteOptions): GeneratedTask[] {
  return selectGenerators(opts.tasks).map((g) => generateTask(g, opts));
}

/** Writes each task as `<dir>/<name>/` plus `<dir>/index.json`; returns the task folders. */
export async function writeSuite(dir: string, opts: SuiteOptions): Promise<string[]> {
  const tasks = generateSuite(opts);
  const out: string[] = [];
  for (const t of tasks) {
    const folder = join(dir, t.meta.name);
    await writeTaskFolder(folder, t.meta, { train: t.train, test: t.test });
    out.push(folder);
  }
  await writeTaskIndex(dir, tasks.map((t) => indexEntry(t.meta)));
  return out;
}
