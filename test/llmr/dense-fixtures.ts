// A task whose rows fall into topics with their own words, for the dense-encoder and k-means
// tests: an encoder that groups texts by their words puts a row's neighbours, and each cluster,
// in one topic.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskMeta, TaskRow } from '../../src/lib/data/task.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { Rng } from '../../src/lib/nn/train/rng.js';
import { trainWordPiece } from '../../src/lib/nn/tokenizer/core.js';

export const TOPICS = [
  ['river', 'stone', 'water', 'bank', 'fish', 'boat'],
  ['violin', 'song', 'piano', 'choir', 'drum', 'tune'],
  ['garden', 'rose', 'seed', 'soil', 'leaf', 'tulip'],
  ['engine', 'wheel', 'road', 'brake', 'fuel', 'truck'],
];

export const TOPIC_META: TaskMeta = {
  name: 'topics', category: 'summarize', type: 'generation', metric: 'rouge_l', fields: ['text'], labels: [], splits: {},
};

export interface TopicTask {
  tasksDir: string;
  tokenizerDir: string;
  /** Row id → its topic. */
  topicOf: Map<string, number>;
}

function words(rng: Rng, topic: number, n: number): string {
  return Array.from({ length: n }, () => TOPICS[topic]![rng.int(TOPICS[topic]!.length)]).join(' ');
}

/** tasks/topics: `perTopic` train rows and `testPerTopic` test rows per topic, and a tokenizer. */
export async function writeTopicTask(root: string, opts: { perTopic?: number; testPerTopic?: number; seed?: number } = {}): Promise<TopicTask> {
  const { perTopic = 12, testPerTopic = 2, seed = 5 } = opts;
  const rng = new Rng(seed);
  const topicOf = new Map<string, number>();
  const row = (id: string, topic: number): TaskRow => {
    topicOf.set(id, topic);
    const output = words(rng, topic, 2);
    return { id, fields: { text: words(rng, topic, 5) }, output, references: [output] };
  };
  const train: TaskRow[] = [];
  const test: TaskRow[] = [];
  for (let i = 0; i < perTopic; i++) TOPICS.forEach((_, t) => train.push(row(`topics-train-${train.length}`, t)));
  for (let i = 0; i < testPerTopic; i++) TOPICS.forEach((_, t) => test.push(row(`topics-test-${test.length}`, t)));
  const tasksDir = join(root, 'tasks');
  await writeTaskFolder(join(tasksDir, 'topics'), TOPIC_META, { train, test });
  const tokenizerDir = join(root, 'tokenizer');
  mkdirSync(tokenizerDir, { recursive: true });
  await trainWordPiece([...train, ...test].map((r) => `${r.fields.text}\n${r.output}`), { vocabSize: 80, minFrequency: 1 }).save(join(tokenizerDir, 'tokenizer.json'));
  return { tasksDir, tokenizerDir, topicOf };
}

/** A dense encoder small enough for a test to train in seconds. */
export const TINY_DENSE = {
  hiddenSize: 32, layers: 1, heads: 2, intermediateSize: 64, maxLength: 24,
  batchSize: 16, steps: 40, lr: 2e-3, warmupSteps: 4, topK: 8, encodeBatchSize: 32, logEvery: 5, checkpointEvery: 1000,
};
