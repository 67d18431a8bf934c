// Table building: pivots, sweep-trial labels (with hand-made trials), pooling over seeds, number
// formats, missing cells and the best value of each column.
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../src/report/aggregate.js';
import { buildTable } from '../../src/report/build.js';
import { renderTable } from '../../src/report/render.js';
import { buildTrialSummary, shortAxisNames } from '../../src/report/sweep-summary.js';
import type { NodeSpec, SweepInfo, TableSpec, TrialInfo } from '../../src/graph/types.js';
import type { TableNode } from '../../src/report/table-data.js';

const spec = (id: string, over: Partial<NodeSpec> = {}) => ({ id, stage: 'eval', params: {}, ...over } as unknown as NodeSpec);
const ok = (s: NodeSpec, metrics: Record<string, number>): TableNode => ({ spec: s, metrics: new Map(Object.entries(metrics)), key: `${s.id}`.padEnd(64, '0'), status: 'ok', runId: 'run-1' });

const trials: TrialInfo[] = [
  { id: 't0', assignments: { 'stages.retriever.params.alpha': 0.1, 'vars.seed': 1 } },
  { id: 't1', assignments: { 'stages.retriever.params.alpha': 0.1, 'vars.seed': 2 } },
  { id: 't2', assignments: { 'stages.retriever.params.alpha': 0.5, 'vars.seed': 1 } },
  { id: 't3', assignments: { 'stages.retriever.params.alpha': 0.5, 'vars.seed': 2 } },
];
const sweep: SweepInfo = { id: 'sw1', trials };
const ctx = { trials: new Map(trials.map((t) => [t.id, t])) };

describe('pivot tables', () => {
  it('puts one column per value of `column`, cells of the one metric, rows by `row`', () => {
    const t = buildTable({ stage: 'eval', row: 'item', column: 'params.method', metrics: ['acc'], digits: 1 }, [
      ok(spec('e[rte-bm25]', { item: 'rte', params: { method: 'bm25' } }), { acc: 0.7 }),
      ok(spec('e[rte-rand]', { item: 'rte', params: { method: 'random' } }), { acc: 0.5 }),
      ok(spec('e[sst-bm25]', { item: 'sst2', params: { method: 'bm25' } }), { acc: 0.8 }),
    ]);
    expect(t.columns).toEqual(['bm25', 'random']);
    expect(t.rows.map((r) => [r.label, ...r.cells.map((c) => c?.value)])).toEqual([['rte', 0.7, 0.5], ['sst2', 0.8, undefined]]);
    // A combination no node has is a missing cell, printed as `missing` (– by default).
    expect(renderTable(t, 'markdown')).toContain('| sst2 |  0.8 |      – |');
    expect(renderTable({ ...t, spec: { ...t.spec, missing: 'n/a' } }, 'markdown')).toContain('| sst2 |  0.8 |    n/a |');
  });
});

describe('sweep trials as labels', () => {
  it('labels nodes by an axis value when their trials agree, pools seeds into one cell with n', () => {
    const nodes = [
      ok(spec('eval~t0', { trials: ['t0'] }), { acc: 0.60 }),
      ok(spec('eval~t1', { trials: ['t1'] }), { acc: 0.70 }),
      ok(spec('eval~t2', { trials: ['t2'] }), { acc: 0.80 }),
      ok(spec('eval~t3', { trials: ['t3'] }), { acc: 0.90 }),
    ];
    const t = buildTable({ stage: 'eval', row: 'trial.stages.retriever.params.alpha', metrics: ['acc'], aggregate: 'mean ± std', n: true, digits: 2 }, nodes, ctx);
    expect(t.rows.map((r) => r.label)).toEqual(['0.1', '0.5']);
    expect(t.rows[0]!.cells[0]!.value).toBeCloseTo(0.65, 10);
    expect(t.rows[0]!.cells[0]!.n).toBe(2);
    expect(t.rows[0]!.cells[0]!.spread).toBeCloseTo(0.0707, 4);
    expect(t.rows[0]!.cells[0]!.sources.map((s) => s.node)).toEqual(['eval~t0', 'eval~t1']);
    expect(renderTable(t, 'markdown')).toContain('| 0.1   | 0.65 ± 0.07 (n=2) |');
  });

  it('pivots one axis against another, in the order the sweep gives its values', () => {
    const nodes = [
      ok(spec('eval~t3', { trials: ['t3'] }), { acc: 0.9 }),
      ok(spec('eval~t0', { trials: ['t0'] }), { acc: 0.6 }),
      ok(spec('eval~t2', { trials: ['t2'] }), { acc: 0.8 }),
    ];
    const t = buildTable({ stage: 'eval', row: 'trial.stages.retriever.params.alpha', column: 'trial.vars.seed', metrics: ['acc'] }, nodes, ctx);
    expect(t.columns).toEqual(['1', '2']);
    expect(t.rows.map((r) => [r.label, ...r.cells.map((c) => c?.value)])).toEqual([['0.1', 0.6, undefined], ['0.5', 0.8, 0.9]]);
  });

  it('a node trials share while differing on the axis is in each of their rows, once per cell', () => {
    const baseline = ok(spec('bm25', { trials: ['t0', 't1', 't2', 't3'] }), { acc: 0.5 });
    const t = buildTable({ stage: 'eval', row: 'trial.stages.retriever.params.alpha', metrics: ['acc'], aggregate: 'mean±se', n: true }, [baseline], ctx);
    expect(t.rows.map((r) => [r.label, r.cells[0]?.value, r.cells[0]?.n])).toEqual([['0.1', 0.5, 1], ['0.5', 0.5, 1]]);
  });
});

describe('aggregation, formats and the best value', () => {
  it('spells mean ± sem as the issue does and keeps mean±se; both are the standard error', () => {
    expect(aggregate([1, 3], 'mean ± sem')).toEqual(aggregate([1, 3], 'mean±se'));
    expect(aggregate([1, 3], 'mean ± sem').spread).toBeCloseTo(1);
    expect(aggregate([1, 3], 'mean ± std').spread).toBeCloseTo(Math.SQRT2);
  });

  it('prints percent and scientific formats', () => {
    const nodes = [ok(spec('a', { item: 'x', itemKey: 'x' }), { acc: 0.61234 })];
    expect(renderTable(buildTable({ stage: 'eval', metrics: ['acc'], format: 'percent', digits: 1 }, nodes), 'markdown')).toContain('| x   | 61.2% |');
    expect(renderTable(buildTable({ stage: 'eval', metrics: ['acc'], format: 'percent', digits: 1 }, nodes), 'latex')).toContain('x & 61.2\\% \\\\');
    expect(renderTable(buildTable({ stage: 'eval', metrics: ['acc'], format: 'scientific', digits: 2 }, nodes), 'markdown')).toContain('| x   | 6.12e-1 |');
  });

  it('bolds the best printed value of each column, per table or per metric; ties are all bold', () => {
    const nodes = [
      ok(spec('a', { item: 'a', itemKey: 'a' }), { acc: 0.801, loss: 0.3 }),
      ok(spec('b', { item: 'b', itemKey: 'b' }), { acc: 0.799, loss: 0.2 }),
      ok(spec('c', { item: 'c', itemKey: 'c' }), { acc: 0.5, loss: 0.9 }),
    ];
    const perMetric: TableSpec = { stage: 'eval', row: 'item', metrics: ['acc', 'loss'], best: { acc: 'max', loss: 'min' }, digits: 2 };
    const t = buildTable(perMetric, nodes);
    expect(t.rows.map((r) => r.cells.map((c) => c?.best === true))).toEqual([[true, false], [true, true], [false, false]]);
    const md = renderTable(t, 'markdown');
    expect(md).toContain('| a    | **0.80** |     0.30 |');
    expect(md).toContain('| b    | **0.80** | **0.20** |');
    expect(renderTable(t, 'latex')).toContain('b & \\textbf{0.80} & \\textbf{0.20} \\\\');
    expect(renderTable(t, 'html')).toContain('<strong>0.20</strong>');
    expect(renderTable(t, 'csv').split('\n')[2]).toBe('b,**0.80**,**0.20**');
    // One direction for the whole table, Avg included.
    const all = buildTable({ stage: 'eval', row: 'item', metrics: ['acc', 'loss'], best: 'max', average: true }, nodes);
    expect(all.rows.map((r) => r.cells.map((c) => c?.best === true))).toEqual([[true, false, false], [true, false, false], [false, true, true]]);
    // Transposed, the best is still the metric's (now along its row).
    const tr = buildTable({ ...perMetric, transpose: true }, nodes);
    expect(tr.rows.map((r) => [r.label, ...r.cells.map((c) => c?.best === true)])).toEqual([['acc', true, true, false], ['loss', false, true, false]]);
  });
});

describe('the sweep summary', () => {
  it('lists trials with their assignments and objective, best first; trials without a value last', () => {
    const nodes = [
      ok(spec('eval~t0', { trials: ['t0'] }), { acc: 0.6 }),
      ok(spec('eval~t1', { trials: ['t1'] }), { acc: 0.9 }),
      { spec: spec('eval~t2', { trials: ['t2'] }), metrics: undefined, status: 'new' as const },
      ok(spec('eval~t3', { trials: ['t3'] }), { acc: 0.7 }),
    ];
    const t = buildTrialSummary({ stage: 'eval', metrics: ['acc'], summary: 'trials', best: 'max' }, nodes, sweep);
    expect(t.keyColumns).toEqual(['alpha', 'seed']);
    expect(t.rows.map((r) => [r.label, ...r.keys!, r.cells[0]?.value])).toEqual([['t1', '0.1', '2', 0.9], ['t3', '0.5', '2', 0.7], ['t0', '0.1', '1', 0.6], ['t2', '0.5', '1', undefined]]);
    const md = renderTable(t, 'markdown');
    expect(md).toContain('| trial | alpha | seed |      acc |');
    expect(md).toContain('| t1    | 0.1   | 2    | **0.90** |');
    expect(md).toContain('(missing, never computed: eval~t2 → t2/acc)');
    const low = buildTrialSummary({ stage: 'eval', metrics: ['acc'], summary: 'trials', best: 'min' }, nodes, sweep);
    expect(low.rows.map((r) => r.label)).toEqual(['t0', 't3', 't1', 't2']);
  });

  it('names axes by the shortest ending that tells them apart', () => {
    expect(shortAxisNames(['stages.retriever.params.alpha', 'vars.seed'])).toEqual(['alpha', 'seed']);
    expect(shortAxisNames(['stages.a.params.lr', 'stages.b.params.lr'])).toEqual(['a.params.lr', 'b.params.lr']);
  });
});
