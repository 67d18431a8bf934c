// The `tasks` stage: a directory of task folders (plus index.json) for downstream stages, from
// the built-in generated suite or from task folders given on the `data` input.

import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure } from '../../src/plugin/api.js';
import { materializeTasks } from '../../src/lib/tasks/materialize.js';

/** The params run receives (defaults applied), read from the schema below. */
export type TasksParams = PluginParams<typeof self>;

export default definePlugin({
  id: 'tasks',
  version: '1.2.0',
  description: 'Task folders for ICL experiments: the built-in generated 30-task suite, or existing task folders, subset and capped.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      suite: { enum: ['builtin', 'folders'], default: 'builtin', description: 'builtin: the generated suite; folders: task folders from the data input and/or `folders`.' },
      seed: { type: 'integer', default: 1, description: 'Seed of the generated suite and of the capping shuffle.' },
      trainSize: { type: 'integer', minimum: 0, default: 200, description: 'Train rows per generated task.' },
      testSize: { type: 'integer', minimum: 0, default: 50, description: 'Test rows per generated task.' },
      tasks: { type: 'array', items: { type: 'string' }, uniqueItems: true, description: 'Keep only these tasks (by name). Default with suite: folders: the LLM-R tasks found (every task if none is one).' },
      folders: {
        type: 'array', items: { type: 'string' },
        description: 'Absolute paths of task folders (or directories of them) read with suite: folders. Only the paths enter the cache key, not the contents: prefer the data input.',
      },
      maxTrain: { type: 'integer', minimum: 0, description: 'Cap of each train split (seeded shuffle, source order kept).' },
      maxTest: { type: 'integer', minimum: 0, description: 'Cap of each test/dev split.' },
    },
  },
  inputs: {
    data: { optional: true, description: 'A task folder or a directory of task folders (content-hashed into the key); used with suite: folders.' },
  },
  outputs: {
    tasks: { description: 'One task folder per task (task.json, train.jsonl, test.jsonl, ...) and index.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const data = ctx.inputs.data;
    const dataRoots = data === undefined ? [] : Array.isArray(data) ? data : [data];
    if (p.suite === 'builtin' && (dataRoots.length > 0 || (p.folders?.length ?? 0) > 0)) {
      throw new NodeFailure('the "data" input and "folders" are only read with suite: folders');
    }
    const out = ctx.output('tasks');
    const { entries, missing, skipped } = await materializeTasks(out, {
      source: p.suite === 'builtin'
        ? { kind: 'builtin', trainSize: p.trainSize, testSize: p.testSize }
        : { kind: 'folders', roots: [...dataRoots, ...(p.folders ?? [])] },
      seed: p.seed,
      tasks: p.tasks,
      maxTrain: p.maxTrain,
      maxTest: p.maxTest,
      onTask: (name, done, total) => {
        ctx.progress(done, total);
        ctx.log.info(`task ${name} written (${done}/${total})`);
      },
    });
    if (skipped.length > 0) ctx.log.info(`not LLM-R tasks, left out (name them in "tasks" to evaluate them): ${skipped.join(', ')}`);
    if (missing.length > 0) ctx.log.warn(`${missing.length} of the 30 LLM-R tasks are missing: ${missing.join(', ')}`);
    ctx.metric('tasks/count', entries.length);
    if (p.suite === 'folders') ctx.metric('tasks/missing_llm_r', missing.length);
    ctx.metric('tasks/train_rows', entries.reduce((s, e) => s + (e.splits.train ?? 0), 0));
    ctx.metric('tasks/test_rows', entries.reduce((s, e) => s + (e.splits.test ?? 0), 0));
  },
});
