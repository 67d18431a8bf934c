// The `icl-eval` stage: in-context learning evaluation of a language model over a tasks
// directory, with zero-shot, random or BM25 demonstrations; records task/<name>,
// category/<category> and average (mean of categories) on a 0..100 scale, and heldout/<name> for
// the tasks held out of training (LLM-R's Table 3).

import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { listTaskFolders, loadTaskFolder, type LoadedTask } from '../../src/lib/data/task-folder.js';
import { TASK_CATEGORIES } from '../../src/lib/data/task.js';
import { readTaskIndex } from '../../src/lib/data/task-index.js';
import { openLanguageModel } from '../../src/lib/ml/lm/load.js';
import { HELD_OUT_TASKS_SCHEMA, heldOutTaskNames } from '../../src/lib/tasks/held-out.js';
import { demoSelector, readCandidates } from './demos.js';
import { evaluateTask, type TaskResult } from './evaluate.js';

/** The LLM-R tasks a tasks directory lacks: from its index.json when the tasks stage wrote one. */
async function missingTasks(dir: string): Promise<string[]> {
  try {
    return (await readTaskIndex(dir)).missing ?? [];
  } catch {
    return []; // a directory of task folders without an index
  }
}

/** Mean per category, and the mean of the categories (LLM-R's "Avg" is over its 9 categories). */
export function categoryScores(results: readonly TaskResult[]): { categories: Record<string, number>; average: number } {
  const byCat = new Map<string, number[]>();
  for (const r of results) byCat.set(r.category, [...(byCat.get(r.category) ?? []), r.score]);
  // LLM-R's category order, so report columns come out as in the paper's tables.
  const order = [...TASK_CATEGORIES.filter((c) => byCat.has(c)), ...[...byCat.keys()].filter((c) => !(TASK_CATEGORIES as readonly string[]).includes(c))];
  const categories: Record<string, number> = {};
  for (const c of order) {
    const scores = byCat.get(c) as number[];
    categories[c] = scores.reduce((a, b) => a + b, 0) / scores.length;
  }
  const vals = Object.values(categories);
  return { categories, average: vals.length === 0 ? 0 : vals.reduce((a, b) => a + b, 0) / vals.length };
}

export default definePlugin({
  id: 'icl-eval',
  version: '1.3.0',
  description: 'In-context learning evaluation with zero-shot, random or BM25 demonstrations: task, category and average scores.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      method: { enum: ['zero-shot', 'random', 'bm25', 'retrieved'], default: 'bm25', description: 'How demonstrations are chosen: none, random, or the top k of the candidates input (bm25: BM25\'s; retrieved: any retriever\'s, e.g. the LLM-R retriever).' },
      k: { type: 'integer', minimum: 0, default: 8, description: 'Demonstrations per prompt (LLM-R: 8; zero-shot uses none).' },
      seed: { type: 'integer', default: 1, description: 'Seed of the random demonstrations.' },
      maxTest: { type: 'integer', minimum: 1, description: 'Evaluate at most this many rows of each task (the first ones).' },
      split: { type: 'string', default: 'test', description: 'The split to evaluate; demonstrations always come from train.' },
      maxNewTokens: { type: 'integer', minimum: 1, default: 64, description: 'Generation length limit (LLM-R: 64).' },
      parallel: { type: 'integer', minimum: 1, default: 16, description: 'Rows scored at once (a remote LM batches and overlaps them).' },
      savePrompts: { type: 'boolean', default: false, description: 'Store each full prompt in the predictions.' },
      calibrate: { type: 'boolean', default: false, description: 'Contextual calibration of labels and options (scores minus their scores after a content-free "N/A" input); LLM-R does not calibrate.' },
      heldOutTasks: {
        ...HELD_OUT_TASKS_SCHEMA,
        description: "The tasks the training stages held out (give it the list they were given): their scores are also recorded as heldout/<task>, for a table of held-out tasks whatever the data. 'llm-r' is the paper's list (QNLI, PIQA, WSC273, Yelp, and the built-in tasks that stand in for them).",
      },
    },
  },
  inputs: {
    tasks: { description: 'A directory of task folders (the tasks plugin\'s output).' },
    lm: { description: 'A language model: the ngram-lm plugin\'s model port, or a directory/file with lm.json.' },
    candidates: { optional: true, description: 'The bm25 plugin\'s candidates port (for method bm25).' },
  },
  outputs: {
    predictions: { description: '<task>.jsonl of predictions per task, and scores.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const candidatesDir = ctx.inputs.candidates;
    const usesCandidates = p.method === 'bm25' || p.method === 'retrieved';
    if (usesCandidates && candidatesDir === undefined) throw new NodeFailure(`method "${p.method}" needs the candidates input (connect the ${p.method === 'bm25' ? 'bm25' : 'retriever'} stage's candidates output)`);
    // An API key must not enter the node key (it does not change results), so it is read from the
    // process environment rather than declared.
    const lm = await openLanguageModel(ctx.inputs.lm, { env: process.env });
    try {
      const out = ctx.output('predictions');
      const tasks: LoadedTask[] = [];
      for (const dir of await listTaskFolders(ctx.inputs.tasks)) {
        const t = await loadTaskFolder(dir);
        if (!(p.split in t.splits)) {
          ctx.log.warn(`${t.meta.name}: no "${p.split}" split, skipped`);
          continue;
        }
        tasks.push(t);
      }
      const heldOut = new Set(heldOutTaskNames(tasks.map((t) => t.meta), p.heldOutTasks));
      // Tasks without the split were skipped above.
      const rowsOf = (t: LoadedTask) => (t.splits[p.split] ?? []).slice(0, p.maxTest ?? Infinity);
      const total = tasks.reduce((n, t) => n + rowsOf(t).length, 0);
      let done = 0;
      const results: TaskResult[] = [];
      for (const t of tasks) {
        const name = t.meta.name;
        const candidates = usesCandidates ? await readCandidates(candidatesDir as string, name) : null;
        const pool = t.splits.train ?? [];
        if (p.method !== 'zero-shot' && pool.length === 0) ctx.log.warn(`${name}: no train pool, evaluated zero-shot`);
        const select = demoSelector(p.method, p.k, pool, { seed: p.seed, task: name, candidates, candidatesFile: candidatesDir && join(candidatesDir, `${name}.jsonl`) });
        const result = await evaluateTask(lm, t.meta, rowsOf(t), select, {
          maxNewTokens: p.maxNewTokens,
          parallel: p.parallel,
          savePrompts: p.savePrompts,
          calibrate: p.calibrate,
          signal: ctx.signal,
          onRows: (n) => ctx.progress((done += n), total),
        });
        results.push(result);
        const stream = createWriteStream(join(out, `${name}.jsonl`));
        for (const line of result.predictions) if (!stream.write(JSON.stringify(line) + '\n')) await once(stream, 'drain');
        stream.end();
        await once(stream, 'finish');
        ctx.metric(`task/${name}`, result.score);
        if (heldOut.has(name)) ctx.metric(`heldout/${name}`, result.score);
        for (const [metric, value] of Object.entries(result.secondary)) ctx.metric(`secondary/${name}/${metric}`, value);
        ctx.log.info(`${name} (${result.metric}): ${result.score.toFixed(1)} on ${result.predictions.length} rows`);
      }
      const missing = await missingTasks(ctx.inputs.tasks);
      if (missing.length > 0) ctx.log.warn(`LLM-R tasks missing from the data (not in any average): ${missing.join(', ')}`);
      const { categories, average } = categoryScores(results);
      for (const [c, v] of Object.entries(categories)) ctx.metric(`category/${c}`, v);
      ctx.metric('average', average);
      await writeFile(join(out, 'scores.json'), JSON.stringify({
        method: p.method, k: p.k, lm: lm.id, average, categories, missing,
        tasks: Object.fromEntries(results.map((r) => [
          r.task,
          {
            category: r.category, metric: r.metric, score: r.score,
            ...(Object.keys(r.secondary).length ? { secondary: r.secondary } : {}), rows: r.predictions.length,
          },
        ])),
      }, null, 2) + '\n');
    } finally {
      await lm.close?.();
    }
  },
});
