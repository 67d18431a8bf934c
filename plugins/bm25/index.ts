// The `bm25` stage: for every train and test query of each task, the top-k candidates from that
// task's train pool by Okapi BM25 (LLM-R §4.1: the query is x alone, a candidate is its
// demonstration x_i‖y_i, and the query's own row is never its own candidate).

import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { definePlugin } from '../../src/plugin/api.js';
import { listTaskFolders, loadTaskFolder } from '../../src/lib/data/task-folder.js';
import { Bm25Index, BM25_DEFAULTS } from '../../src/lib/ml/bm25.js';
import { renderDemonstration, renderQuery, taskSpecFor } from '../../src/lib/tasks/registry.js';

/** One line of `<task>.jsonl`: a query row and its candidates from the train pool, best first. */
export interface CandidateLine {
  id: string;
  split: string;
  candidates: { id: string; score: number }[];
}

export default definePlugin({
  id: 'bm25',
  version: '1.0.0',
  description: 'BM25 top-k in-context example candidates from each task\'s train pool, for every train and test query.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      k1: { type: 'number', minimum: 0, default: BM25_DEFAULTS.k1, description: 'Term-frequency saturation (Pyserini, used by LLM-R, defaults to 0.9).' },
      b: { type: 'number', minimum: 0, maximum: 1, default: BM25_DEFAULTS.b, description: 'Length normalisation (Pyserini: 0.4).' },
      topK: { type: 'integer', minimum: 1, default: 100, description: 'Candidates kept per query (LLM-R: 100).' },
      querySplits: { type: 'array', items: { type: 'string' }, default: ['train', 'test'], description: 'Splits whose rows are queries (missing splits are skipped).' },
      excludeSameQuery: {
        type: 'boolean', default: true,
        description: 'Also drop pool rows whose query text equals the query\'s (duplicates would leak the answer; LLM-R drops candidates that start with the query).',
      },
    },
  },
  inputs: {
    tasks: { description: 'A directory of task folders (the tasks plugin\'s output).' },
  },
  outputs: {
    candidates: { description: '<task>.jsonl per task: {id, split, candidates: [{id, score}]}, plus index.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const out = ctx.output('candidates');
    const dirs = await listTaskFolders(ctx.inputs.tasks);
    const loaded = [];
    for (const dir of dirs) loaded.push(await loadTaskFolder(dir));
    const total = loaded.reduce((n, t) => n + p.querySplits.reduce((m, s) => m + (t.splits.train ? t.splits[s]?.length ?? 0 : 0), 0), 0);
    let done = 0;
    const index: { task: string; file: string; queries: number; pool: number }[] = [];
    for (const { meta, splits } of loaded) {
      const pool = splits.train ?? [];
      if (pool.length === 0) {
        ctx.log.warn(`${meta.name}: no train pool, no candidates`);
        continue;
      }
      const spec = taskSpecFor(meta);
      const bm25 = Bm25Index.build(pool.map((r) => renderDemonstration(spec, r)), { k1: p.k1, b: p.b });
      const poolQueries = pool.map((r) => renderQuery(spec, r));
      const byQuery = new Map<string, number[]>();
      poolQueries.forEach((q, i) => {
        const list = byQuery.get(q);
        if (list) list.push(i);
        else byQuery.set(q, [i]);
      });
      const file = `${meta.name}.jsonl`;
      const stream = createWriteStream(join(out, file));
      let queries = 0;
      for (const split of p.querySplits) {
        const rows = splits[split] ?? [];
        for (const [i, row] of rows.entries()) {
          ctx.signal.throwIfAborted();
          const query = renderQuery(spec, row);
          const exclude = new Set<number>(p.excludeSameQuery ? byQuery.get(query) ?? [] : []);
          if (split === 'train') exclude.add(i); // the query's own row
          const hits = bm25.search(query, p.topK, { exclude });
          // A hit is an index of the pool.
          const line: CandidateLine = { id: row.id, split, candidates: hits.map((h) => ({ id: pool[h.doc]!.id, score: h.score })) };
          if (!stream.write(JSON.stringify(line) + '\n')) await once(stream, 'drain');
          queries++;
          if (++done % 200 === 0) ctx.progress(done, total);
        }
      }
      stream.end();
      await once(stream, 'finish');
      index.push({ task: meta.name, file, queries, pool: pool.length });
      ctx.log.info(`${meta.name}: ${queries} queries over a pool of ${pool.length}`);
    }
    await writeFile(join(out, 'index.json'), JSON.stringify({ k1: p.k1, b: p.b, topK: p.topK, tasks: index }, null, 2) + '\n');
    ctx.progress(total, total);
    ctx.metric('bm25/tasks', index.length);
    ctx.metric('bm25/queries', done);
  },
});
