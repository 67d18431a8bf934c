// The in-context evaluation the LM benches share, in one process: tasks → n-gram LM → BM25 →
// each method, once per LM setting, printing per-task scores (and secondary metrics), how many
// distinct answers each method gives, and the time per method. The first setting is the one under
// test; the others are its peers in the same run.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bm25Plugin from '../../plugins/bm25/index.js';
import iclPlugin from '../../plugins/icl-eval/index.js';
import ngramPlugin from '../../plugins/ngram-lm/index.js';
import { materializeTasks } from '../../src/lib/tasks/materialize.js';
import { runPlugin } from '../../test/plugins/ctx.js';

export interface LmSetting {
  /** Column prefix: '' for the setting under test, 'peer ' or similar for the others. */
  prefix: string;
  /** Params of the ngram-lm stage. */
  lm: Record<string, unknown>;
}

export interface CompareOptions {
  settings: LmSetting[];
  methods: string[];
  /** Extra params of every icl-eval run. */
  icl?: Record<string, unknown>;
  suite: 'builtin' | 'folders';
  data: string;
  tasks?: string[];
  maxTrain: number;
  maxTest: number;
  /** Keep the predictions under DIR/<column>/<task>.jsonl. */
  keep?: string;
}

interface Scores { tasks: Record<string, { score: number; secondary?: Record<string, number> }>; categories: Record<string, number>; average: number }

export async function compareLmSettings(o: CompareOptions): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'icl-compare-'));
  try {
    const tasks = join(root, 'tasks');
    await materializeTasks(tasks, {
      source: o.suite === 'builtin' ? { kind: 'builtin' } : { kind: 'folders', roots: [o.data] }, seed: 1,
      tasks: o.tasks, maxTrain: o.maxTrain, maxTest: o.maxTest,
    });
    const bm = await runPlugin(bm25Plugin, join(root, 'bm25'), { topK: 100 }, { tasks });
    const table = new Map<string, Record<string, string>>();
    const put = (row: string, col: string, value: string) => table.set(row, { ...table.get(row), [col]: value });
    for (const [i, setting] of o.settings.entries()) {
      const lm = await runPlugin(ngramPlugin, join(root, `lm-${i}`), setting.lm as never, { tasks });
      for (const method of o.methods) {
        const t0 = performance.now();
        const r = await runPlugin(iclPlugin, join(root, `${method}-${i}`), { method, ...o.icl } as never, {
          tasks, lm: join(lm.outDir, 'model'), candidates: join(bm.outDir, 'candidates'),
        });
        const seconds = (performance.now() - t0) / 1000;
        const predictions = join(r.outDir, 'predictions');
        const scores = JSON.parse(await readFile(join(predictions, 'scores.json'), 'utf8')) as Scores;
        const col = `${setting.prefix}${method}`;
        if (o.keep) await cp(predictions, join(o.keep, col.replace(' ', '-')), { recursive: true });
        for (const [task, s] of Object.entries(scores.tasks)) {
          const lines = (await readFile(join(predictions, `${task}.jsonl`), 'utf8')).trim().split('\n');
          const preds = lines.map((l) => (JSON.parse(l) as { prediction: string }).prediction);
          const empty = preds.filter((p) => p === '').length;
          const secondary = Object.entries(s.secondary ?? {}).map(([m, v]) => ` ${m} ${v.toFixed(1)}`).join('');
          put(task, col, `${s.score.toFixed(1)} (${new Set(preds).size}${empty > 0 ? `, ${empty} empty` : ''})${secondary}`);
        }
        for (const [c, v] of Object.entries(scores.categories)) put(`[${c}]`, col, v.toFixed(1));
        put('[average]', col, scores.average.toFixed(1));
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
}
