// Hand-made table inputs shared by the golden-file and LaTeX tests: a pivot over seeds with a
// missing cell, characters LaTeX must escape, and a sweep summary.
import type { NodeSpec, SweepInfo, TableSpec } from '../../src/graph/types.js';
import { buildTable } from '../../src/report/build.js';
import { buildTrialSummary } from '../../src/report/sweep-summary.js';
import type { TableData, TableNode } from '../../src/report/table-data.js';

const key = (id: string) => [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7).toString(16).padStart(8, '0').repeat(8);

function node(id: string, over: Partial<NodeSpec>, metrics?: Record<string, number>, status: TableNode['status'] = metrics ? 'ok' : 'new'): TableNode {
  const spec = { id, stage: 'eval', params: {}, ...over } as unknown as NodeSpec;
  return { spec, metrics: metrics && new Map(Object.entries(metrics)), key: key(id), status, ...(metrics ? { runId: '20261201-120000-a1b2c3' } : {}) };
}

export const sweep: SweepInfo = {
  id: 'sweep-1',
  trials: [
    { id: 't0', assignments: { 'stages.retriever.params.alpha': 0.1, 'vars.seed': 1 } },
    { id: 't1', assignments: { 'stages.retriever.params.alpha': 0.1, 'vars.seed': 2 } },
    { id: 't2', assignments: { 'stages.retriever.params.alpha': 0.5, 'vars.seed': 1 } },
    { id: 't3', assignments: { 'stages.retriever.params.alpha': 0.5, 'vars.seed': 2 } },
  ],
};

/** Methods (rows) × tasks (columns), three seeds each, mean ± std; one method has no result on one task yet. */
export function methodsByTask(): TableData {
  const spec: TableSpec = {
    title: 'Accuracy by task & method (%)', stage: 'eval', row: 'item.method', column: 'item.task', metrics: ['accuracy'],
    aggregate: 'mean ± std', scale: 100, digits: 1, best: 'max', n: true,
    labels: { zero: 'Zero-shot', bm25: 'BM25', 'llm_r': 'LLM-R' },
  };
  const values: Record<string, Record<string, number[]>> = {
    rte: { zero: [0.52, 0.54, 0.5], bm25: [0.61, 0.63, 0.6], llm_r: [0.66, 0.64, 0.68] },
    'sst_2': { zero: [0.7, 0.72, 0.74], bm25: [0.8, 0.82, 0.81], llm_r: [0.8, 0.83, 0.81] },
    'copa#': { zero: [0.55, 0.57, 0.56], bm25: [0.6, 0.6, 0.62] },
  };
  const nodes: TableNode[] = [];
  for (const [task, byMethod] of Object.entries(values)) {
    for (const method of ['zero', 'bm25', 'llm_r']) {
      const seeds = byMethod[method];
      [1, 2, 3].forEach((seed, i) => {
        const id = `eval[${task}-${method}-${seed}]`;
        nodes.push(node(id, { item: { task, method, seed }, itemKey: id }, seeds ? { accuracy: seeds[i]! } : undefined));
      });
    }
  }
  return buildTable(spec, nodes);
}

/** The sweep summary: trials by their objective, one not yet computed. */
export function trialSummary(): TableData {
  const nodes = [
    node('eval~t0', { trials: ['t0'] }, { accuracy: 0.61 }),
    node('eval~t1', { trials: ['t1'] }, { accuracy: 0.66 }),
    node('eval~t2', { trials: ['t2'] }, { accuracy: 0.58 }),
    node('eval~t3', { trials: ['t3'] }, undefined),
  ];
  return buildTrialSummary({ title: 'Sweep over alpha and seed', stage: 'eval', metrics: ['accuracy'], summary: 'trials', best: 'max', digits: 2 }, nodes, sweep);
}
