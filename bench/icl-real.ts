// In-context evaluation on the real task folders, in one process: tasks → n-gram LM → BM25 →
// zero-shot / random / BM25, printing per-task scores (and secondary metrics), how many distinct
// answers each method gives, and the time per method. The peer is the same evaluation with the
// demonstration prior off (kappa = 0), measured in the same run, so the effect of each LM change
// is visible per task.
//
//   npx vite-node bench/icl-real.ts [--tasks rte,sst2] [--max-test 200] [--max-train 3000] [--kappa 0.5] [--tau loo|10] [--calibrate] [--no-peer]
//     [--suite builtin]    the generated built-in suite instead of the real folders
//     [--keep DIR]         keep the predictions (DIR/<column>/<task>.jsonl) to read them

import { parseArgs } from 'node:util';
import { compareLmSettings, type LmSetting } from './icl/compare.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string' }, 'max-test': { type: 'string', default: '200' }, 'max-train': { type: 'string', default: '3000' },
    kappa: { type: 'string', default: '0.5' }, tau: { type: 'string', default: 'loo' }, 'no-peer': { type: 'boolean', default: false },
    calibrate: { type: 'boolean', default: false }, data: { type: 'string', default: '/work/shared/data/tasks' }, suite: { type: 'string', default: 'folders' },
    keep: { type: 'string' }, methods: { type: 'string', default: 'zero-shot,random,bm25' },
  },
});

const tau = values.tau === 'loo' ? 'loo' : Number(values.tau);
const settings: LmSetting[] = [{ prefix: '', lm: { kappa: Number(values.kappa), tau } }];
if (!values['no-peer']) settings.push({ prefix: 'peer ', lm: { kappa: 0, tau } });
await compareLmSettings({
  settings, methods: (values.methods as string).split(','), icl: { calibrate: values.calibrate },
  suite: values.suite === 'builtin' ? 'builtin' : 'folders', data: values.data as string, tasks: values.tasks?.split(','),
  maxTrain: Number(values['max-train']), maxTest: Number(values['max-test']), ...(values.keep ? { keep: values.keep } : {}),
});
