// The copy component of the built-in LM, per task: the same in-context evaluation as
// bench/icl-real.ts (tasks → n-gram LM → BM25 → zero-shot / random / BM25, scores, distinct
// answers, time per method), with the copy on (omega) and, as the peer in the same run, off
// (omega = 0), so its effect is visible per task and per method.
//
//   npx vite-node bench/icl-copy.ts [--tasks squad_v1,nq] [--max-test 200] [--max-train 3000] [--omega loo|0.5] [--no-peer]
//     [--suite builtin]    the generated built-in suite instead of the real folders
//     [--keep DIR]         keep the predictions (DIR/<column>/<task>.jsonl) to read them

import { parseArgs } from 'node:util';
import { compareLmSettings, type LmSetting } from './icl/compare.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string' }, 'max-test': { type: 'string', default: '200' }, 'max-train': { type: 'string', default: '3000' },
    omega: { type: 'string', default: 'loo' }, 'no-peer': { type: 'boolean', default: false },
    data: { type: 'string', default: '/work/shared/data/tasks' }, suite: { type: 'string', default: 'folders' },
    keep: { type: 'string' }, methods: { type: 'string', default: 'zero-shot,random,bm25' },
  },
});

const settings: LmSetting[] = [{ prefix: '', lm: { omega: values.omega === 'loo' ? 'loo' : Number(values.omega) } }];
if (!values['no-peer']) settings.push({ prefix: 'peer ', lm: { omega: 0 } });
await compareLmSettings({
  settings, methods: (values.methods as string).split(','),
  suite: values.suite === 'builtin' ? 'builtin' : 'folders', data: values.data as string, tasks: values.tasks?.split(','),
  maxTrain: Number(values['max-train']), maxTest: Number(values['max-test']), ...(values.keep ? { keep: values.keep } : {}),
});
