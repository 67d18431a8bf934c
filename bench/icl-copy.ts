// The copy component of the built-in LM, per task: the same in-context evaluation as
// bench/icl-real.ts (tasks → n-gram LM → BM25 → zero-shot / random / BM25, scores, distinct
// answers, time per method), with the copy on (omega) and, as the peer in the same run, off
// (omega = 0), so its effect is visible per task and per method.
//
//   npx vite-node bench/icl-copy.ts [--tasks squad_v1,nq] [--max-test 200] [--max-train 3000] [--omega loo|0.5] [--no-peer]
//     [--suite builtin]    the generated built-in suite instead of the real folders
//     [--keep DIR]         keep the predictions (DIR/<column>/<task>.jsonl) to read them

import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import bm25Plugin from '../plugins/bm25/index.js';
import iclPlugin from '../plugins/icl-eval/index.js';
import ngramPlugin from '../plugins/ngram-lm/index.js';
import { materializeTasks } from '../src/lib/tasks/materialize.js';
import { runPlugin } from '../test/plugins/ctx.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string' }, 'max-test': { type: 'string', default: '200' }, 'max-train': { type: 'string', default: '3000' },
    omega: { type: 'string', default: 'loo' }, 'no-peer': { type: 'boolean', default: false },
    data: { type: 'string', default: '/work/shared/data/tasks' }, suite: { type: 'string', default: 'folders' }, keep: { type: 'string' }, methods: { type: 'string', default: 'zero-shot,random,bm25' },
  },
});

const root = await mkdtemp(join(tmpdir(), 'icl-real-'));
try {
  const tasks = join(root, 'tasks');
  await materializeTasks(tasks, {
    source: values.suite === 'builtin' ? { kind: 'builtin' } : { kind: 'folders', roots: [values.data as string] }, seed: 1,
    tasks: values.tasks ? values.tasks.split(',') : undefined, maxTrain: Number(values['max-train']), maxTest: Number(values['max-test']),
  });
  const bm = await runPlugin(bm25Plugin, join(root, 'bm25'), { topK: 100 }, { tasks });
  const omega = values.omega === 'loo' ? 'loo' : Number(values.omega);
  const settings: [string, number | 'loo'][] = [['copy', omega]];
  if (!values['no-peer']) settings.push(['peer omega=0', 0]);
  const table = new Map<string, Record<string, string>>();
  for (const [label, omega] of settings) {
    const lm = await runPlugin(ngramPlugin, join(root, `lm-${omega}`), { omega }, { tasks });
    for (const method of (values.methods as string).split(',')) {
      const t0 = performance.now();
      const r = await runPlugin(iclPlugin, join(root, `${method}-${omega}`), { method } as never, {
        tasks, lm: join(lm.outDir, 'model'), candidates: join(bm.outDir, 'candidates'),
      });
      const seconds = (performance.now() - t0) / 1000;
      const scores = JSON.parse(await readFile(join(r.outDir, 'predictions', 'scores.json'), 'utf8')) as { tasks: Record<string, { score: number; secondary?: Record<string, number> }>; categories: Record<string, number>; average: number };
      const col = `${label === 'copy' ? '' : 'peer '}${method}`;
      if (values.keep) await cp(join(r.outDir, 'predictions'), join(values.keep, col.replace(' ', '-')), { recursive: true });
      for (const [task, s] of Object.entries(scores.tasks)) {
        const preds = (await readFile(join(r.outDir, 'predictions', `${task}.jsonl`), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { prediction: string }).prediction);
        const distinct = new Set(preds).size;
        const empty = preds.filter((p) => p === '').length;
        const row = table.get(task) ?? {};
        const secondary = Object.entries(s.secondary ?? {}).map(([m, v]) => ` ${m} ${v.toFixed(1)}`).join('');
        row[col] = `${s.score.toFixed(1)} (${distinct}${empty > 0 ? `, ${empty} empty` : ''})${secondary}`;
        table.set(task, row);
      }
      for (const [c, v] of Object.entries(scores.categories)) {
        const row = table.get(`[${c}]`) ?? {};
        row[col] = v.toFixed(1);
        table.set(`[${c}]`, row);
      }
      const avg = table.get('[average]') ?? {};
      avg[col] = scores.average.toFixed(1);
      table.set('[average]', avg);
      console.log(`${col}: ${seconds.toFixed(1)} s`);
    }
  }
  const cols = [...new Set([...table.values()].flatMap((r) => Object.keys(r)))];
  console.log(['task', ...cols].join('\t'));
  for (const [task, row] of [...table.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) console.log([task, ...cols.map((c) => row[c] ?? '')].join('\t'));
  console.log('score (number of distinct answers, empty answers) secondary metrics; the machine is shared, times are indicative');
} finally {
  await rm(root, { recursive: true, force: true });
}
