// A sweep's tables from a hand-made compiled recipe (trials on the recipe and on its nodes): the
// summary `retort table` adds, ranked by --objective, and rows by trial axis through collectTableRows.
import { describe, expect, it } from 'vitest';
import type { Plan, PlannedNode } from '../../src/graph/plan.js';
import type { CompiledRecipe, NodeSpec } from '../../src/graph/types.js';
import { collectTableRows } from '../../src/report/collect.js';
import { renderTables } from '../../src/report/render.js';
import { parseObjective, tableSpecsFor } from '../../src/report/tables-of-recipe.js';
import type { Store } from '../../src/store/store.js';
import { nodeId, type Key, type NodeId } from '../../src/util/ids.js';

const metric = (name: string, value: number) => ({ name, value, step: 0, timestamp: 1 });

function sweepRecipe(): { recipe: CompiledRecipe; plan: Plan; store: Store } {
  const trials = [
    { id: 't0', assignments: { 'stages.train.params.lr': 0.1 } },
    { id: 't1', assignments: { 'stages.train.params.lr': 0.01 } },
    { id: 't2', assignments: { 'stages.train.params.lr': 0.001 } },
  ];
  const nodes = new Map<NodeId, NodeSpec>();
  const planned = new Map<NodeId, PlannedNode>();
  const add = (name: string, stage: string, nodeTrials: string[], metrics?: { name: string; value: number }[]) => {
    const id = nodeId(name);
    const spec = { id, stage, params: {}, trials: nodeTrials, upstream: [] } as unknown as NodeSpec;
    nodes.set(id, spec);
    const key = id.replace(/\W/g, '').padEnd(64, 'a') as Key;
    planned.set(id, {
      spec, key, structure: {} as PlannedNode['structure'], run: false, status: metrics ? 'hit' : 'miss',
      ...(metrics ? { manifest: { runId: 'run-7', metrics: metrics.map((m) => metric(m.name, m.value)) } as PlannedNode['manifest'] } : { reason: { kind: 'new', differences: [], detail: 'new: never computed' } }),
    });
  };
  add('data', 'data', ['t0', 't1', 't2'], [{ name: 'rows', value: 100 }]);
  add('train~t0', 'train', ['t0'], [{ name: 'loss', value: 0.5 }]);
  add('train~t1', 'train', ['t1'], [{ name: 'loss', value: 0.3 }]);
  add('train~t2', 'train', ['t2']);
  add('eval~t0', 'eval', ['t0'], [{ name: 'acc', value: 0.7 }]);
  add('eval~t1', 'eval', ['t1'], [{ name: 'acc', value: 0.8 }]);
  add('eval~t2', 'eval', ['t2']);
  const recipe = {
    file: 'sweep.yaml', name: 'sweep', files: [], vars: {}, nodes, order: [...nodes.keys()], track: {},
    stages: new Map([['data', ['data']], ['train', ['train~t0', 'train~t1', 'train~t2']], ['eval', ['eval~t0', 'eval~t1', 'eval~t2']]]),
    tables: [{ stage: 'data', row: 'trial.stages.train.params.lr', metrics: ['rows'] }],
    sweep: { id: 'abcdef0123456789', trials },
  } as unknown as CompiledRecipe;
  const store = { lookup: async () => ({ status: 'miss' }) } as unknown as Store;
  return { recipe, plan: { recipe, nodes: planned, order: recipe.order }, store };
}

describe('sweep tables', () => {
  it('adds a summary of the trials when the recipe has none; --objective ranks it by the last stage recording the metric', async () => {
    const { recipe, plan, store } = sweepRecipe();
    const plain = tableSpecsFor(recipe, plan);
    expect(Array.isArray(plain) && plain[1]).toMatchObject({ title: 'Sweep abcdef012345: 3 trials', metrics: [], summary: 'trials' });
    // Unranked, it lists the trials and says how to rank them; the nodes of the recipe are not its to list.
    if (!Array.isArray(plain)) throw new Error(plain.error);
    const unranked = renderTables(plain, await collectTableRows(recipe, plan, store, undefined, { staleness: true, specs: plain }), 'markdown');
    expect(unranked).toContain('| trial | lr    |\n| ----- | ----- |\n| t0    | 0.1   |');
    expect(unranked.split('### Sweep')[1]).not.toContain('never computed');
    expect(unranked).toContain('(rank the trials by a metric: --objective METRIC, or METRIC:min when lower is better)');
    const specs = tableSpecsFor(recipe, plan, { metric: 'acc', direction: 'max' });
    if (!Array.isArray(specs)) throw new Error(specs.error);
    expect(specs[1]).toMatchObject({ stage: 'eval', metrics: ['acc'], best: 'max', summary: 'trials' });
    const tables = await collectTableRows(recipe, plan, store, undefined, { staleness: true, specs });
    const md = renderTables(specs, tables, 'markdown');
    expect(md).toContain([
      '| trial | lr    |      acc |',
      '| ----- | ----- | -------: |',
      '| t1    | 0.01  | **0.80** |',
      '| t0    | 0.1   |     0.70 |',
      '| t2    | 0.001 |        – |',
    ].join('\n'));
    expect(md).toContain('(missing, never computed: eval~t2 → t2/acc)');
    // The shared data node is in every lr row.
    expect(tables[0]!.rows.map((r) => [r.label, r.cells[0]?.value])).toEqual([['0.1', 100], ['0.01', 100], ['0.001', 100]]);
  });

  it('a lower-is-better objective, and an objective no result records', () => {
    const { recipe, plan } = sweepRecipe();
    expect(parseObjective('loss:min')).toEqual({ metric: 'loss', direction: 'min' });
    expect(parseObjective(':min')).toEqual({ error: "--objective expects METRIC, METRIC:max or METRIC:min, got ':min'" });
    expect(tableSpecsFor(recipe, plan, { metric: 'los', direction: 'min' })).toEqual({ error: "--objective: no stored result records metric 'los'; did you mean 'loss'? (recorded: acc, loss, rows)" });
  });
});
