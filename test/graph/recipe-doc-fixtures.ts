// Real recipes written as literals of the generated types: test/tsconfig.json type-checks this file,
// so a generated type that rejects a recipe the schema accepts fails `npm test`
// (recipe-doc-types.test.ts checks that each literal is the recipe file it names).
import type { RecipeDoc, ReportDoc, StageDoc, SweepDoc } from '../../src/graph/recipe-doc.generated.js';

/** recipes/example.yaml */
export const example: RecipeDoc = {
  name: 'example',
  vars: { count: 20000, seeds: [1, 2, 3] },
  stages: {
    sample: { plugin: 'numbers', foreach: '${vars.seeds}', params: { count: '${vars.count}', seed: '${item}', mean: 1.5, std: 2 } },
    summary: {
      plugin: 'stats',
      foreach: '${vars.seeds}',
      inputs: { data: '${stages.sample[${item}].outputs.data}' },
      params: { quantiles: [0.1, 0.5, 0.9] },
    },
    merged: {
      plugin: 'shell',
      inputs: { in: '${stages.summary.outputs.summary}' },
      params: { command: 'for d in $RETORT_IN; do cat "$d/summary.json"; done > all.json; echo "::metric files $(echo "$RETORT_IN" | wc -l)"' },
    },
  },
  report: {
    tables: [
      { title: 'Sample statistics per seed', stage: 'summary', row: 'item', metrics: ['mean', 'std', 'q10', 'q50', 'q90'], digits: 3 },
      { title: 'Over seeds', stage: 'summary', row: 'params.field', metrics: ['mean', 'std'], aggregate: 'mean±std', digits: 3 },
    ],
  },
};

const iclEval = (method: string, extra: StageDoc['inputs'] = {}): StageDoc => ({
  plugin: 'icl-eval',
  inputs: { tasks: '${stages.tasks.outputs.tasks}', lm: '${stages.lm.outputs.model}', ...extra },
  params: { method, k: '${vars.k}', seed: '${vars.seed}' },
});

/** recipes/icl-baselines.yaml */
export const iclBaselines: RecipeDoc = {
  name: 'icl-baselines',
  vars: { seed: 1, k: 8, baselines: ['zero-shot', 'random'] },
  stages: {
    tasks: { plugin: 'tasks', params: { suite: 'builtin', seed: '${vars.seed}' } },
    lm: { plugin: 'ngram-lm', inputs: { tasks: '${stages.tasks.outputs.tasks}' }, params: { order: 4, lambda: 0.3 } },
    bm25: { plugin: 'bm25', inputs: { tasks: '${stages.tasks.outputs.tasks}' }, params: { topK: 100 } },
    baseline: { ...iclEval('${item}'), foreach: '${vars.baselines}' },
    retrieved: iclEval('bm25', { candidates: '${stages.bm25.outputs.candidates}' }),
  },
  report: {
    tables: [
      { title: 'ICL baselines by category (n-gram LM)', stage: ['baseline', 'retrieved'], row: 'params.method', metrics: ['category/*', 'average'], digits: 1 },
      { title: 'ICL baselines per task', stage: ['baseline', 'retrieved'], row: 'params.method', metrics: ['task/*'], transpose: true, digits: 1 },
    ],
  },
};

const temperatureReport: ReportDoc = {
  tables: [
    {
      title: "LLM-R (1 iteration), average accuracy over the 30 tasks, by τ (rows) and α (columns); mean ± std over the retriever's seeds",
      stage: 'llm-r-eval',
      row: 'trial.stages.retriever.params.temperature',
      column: 'trial.stages.retriever.params.alpha',
      metrics: ['average'],
      aggregate: 'mean ± std',
      n: true,
      digits: 1,
      best: 'max',
    },
    { title: 'The baselines every trial shares (each ran once)', stage: ['baseline', 'kmeans-eval', 'bm25-eval', 'dense-eval'], row: 'node', metrics: ['average'], digits: 1 },
    { title: 'Trials, best first', stage: 'llm-r-eval', summary: 'trials', metrics: ['average'], digits: 1 },
  ],
};

const temperatureSweep: SweepDoc = {
  grid: {
    'stages.retriever.params.temperature': [0.01, 0.05, 0.1],
    'stages.retriever.params.alpha': [0, 0.2, 0.5],
    'stages.retriever.params.seed': [1, 2, 3],
  },
};

/** recipes/sweeps/llm-r-temperature.yaml: it extends a base, which gives the stages. */
export const llmRTemperature: Omit<RecipeDoc, 'stages'> = {
  extends: '../llm-r.yaml',
  name: 'llm-r-temperature',
  vars: { iterations: 1 },
  sweep: temperatureSweep,
  report: temperatureReport,
};

// What the schema rejects, the types reject too: each literal below must fail to type-check.
const stages = { s: { plugin: 'numbers' } };
export const rejected = [
  // @ts-expect-error a stage without a plugin
  { stages: { s: {} } } satisfies RecipeDoc,
  // @ts-expect-error foreach takes a list or an interpolation, not a number
  { stages: { s: { plugin: 'numbers', foreach: 3 } } } satisfies RecipeDoc,
  // @ts-expect-error an executor the schema does not list
  { stages, executor: 'pbs' } satisfies RecipeDoc,
  // @ts-expect-error a key the schema does not have (additionalProperties: false)
  { stages, trak: { enabled: false } } satisfies RecipeDoc,
  // @ts-expect-error an aggregation the schema does not list
  { stages, report: { tables: [{ stage: 's', metrics: ['m'], aggregate: 'average' }] } } satisfies RecipeDoc,
  // @ts-expect-error a search without its objective
  { stages, sweep: { search: { budget: 10, space: { 'vars.lr': 'loguniform(1e-4, 1e-1)' } } } } satisfies RecipeDoc,
  // @ts-expect-error a uniform distribution takes [low, high]
  { stages, sweep: { random: { budget: 4, space: { 'vars.x': { uniform: [0, 1, 2] } } } } } satisfies RecipeDoc,
];
