import { describe, expect, it } from 'vitest';
import { aggregate, buildTable, finalMetrics, rowLabel } from '../../src/report/collect.js';
import { renderTable } from '../../src/report/render.js';
import type { NodeSpec, TableSpec } from '../../src/graph/types.js';

const node = (id: string, item: unknown, params: Record<string, unknown> = {}) => ({ id, stage: 'eval', item, itemKey: String(id), params } as unknown as NodeSpec);

describe('report tables', () => {
  it('takes the last value of each metric by step', () => {
    const m = finalMetrics([
      { name: 'loss', value: 3, step: 1, timestamp: 10 },
      { name: 'loss', value: 1, step: 3, timestamp: 5 },
      { name: 'loss', value: 2, step: 2, timestamp: 20 },
    ]);
    expect(m.get('loss')).toBe(1);
  });

  it('labels rows by item fields or params', () => {
    expect(rowLabel(node('e[0]', { method: 'bm25', seed: 1 }), 'item.method')).toBe('bm25');
    expect(rowLabel(node('e[0]', 'x', { k: 8 }), 'params.k')).toBe('8');
    expect(rowLabel(node('e[0]', 'x'), undefined)).toBe('x');
  });

  it('expands metric globs into columns, aggregates seeds as mean ± std, adds an average', () => {
    const spec: TableSpec = { stage: 'eval', row: 'item.method', metrics: ['category/*'], aggregate: 'mean±std', digits: 1, average: true, scale: 100 };
    const t = buildTable(spec, [
      { spec: node('a', { method: 'bm25' }), metrics: new Map([['category/nli', 0.5], ['category/qa', 0.7]]) },
      { spec: node('b', { method: 'bm25' }), metrics: new Map([['category/nli', 0.7], ['category/qa', 0.9]]) },
      { spec: node('c', { method: 'random' }), metrics: new Map([['category/nli', 0.4], ['category/qa', 0.2]]) },
    ]);
    expect(t.columns).toEqual(['nli', 'qa', 'Avg']);
    expect(t.rows.map((r) => r.label)).toEqual(['bm25', 'random']);
    expect(t.rows[0]!.cells[0]).toMatchObject({ value: 60, n: 2 });
    expect(t.rows[0]!.cells[0]!.spread).toBeCloseTo(14.142, 2);
    expect(t.rows[0]!.cells[2]!.value).toBeCloseTo(70);
    const md = renderTable(t, 'markdown');
    expect(md).toContain('| method |         nli |          qa |  Avg |');
    expect(md).toContain('| bm25   | 60.0 ± 14.1 | 80.0 ± 14.1 | 70.0 |');
    expect(renderTable(t, 'csv').split('\n')[1]).toBe('bm25,60.0 ± 14.1,80.0 ± 14.1,70.0');
    expect(renderTable(t, 'latex')).toContain('bm25 & 60.0 $\\pm$ 14.1 & 80.0 $\\pm$ 14.1 & 70.0 \\\\');
    expect(renderTable(t, 'html')).toContain('<th scope="row">random</th><td id="c4" data-keys="" title="c ?"><a href="#prov-c4">40.0</a></td>');
    // One seed has no spread: no "± 0.0" that would claim a certainty it cannot give.
    expect(t.rows[1]!.cells[0]).toMatchObject({ value: 40, n: 1 });
    expect(t.rows[1]!.cells[0]!.spread).toBeUndefined();
  });

  it('aggregates', () => {
    expect(aggregate([1, 2, 3, 10], 'median').value).toBe(2.5);
    expect(aggregate([1, 3], 'mean±se').spread).toBeCloseTo(1);
    expect(aggregate([4, 1], 'last').value).toBe(1);
  });

  it('transposes: one row per metric column, one column per row label', () => {
    const spec: TableSpec = { stage: 'eval', row: 'item', metrics: ['task/*'], transpose: true, digits: 0 };
    const t = buildTable(spec, [
      { spec: node('a', 'zero-shot'), metrics: new Map([['task/rte', 50], ['task/sst2', 60]]) },
      { spec: node('b', 'bm25'), metrics: new Map([['task/rte', 70], ['task/sst2', 80]]) },
    ]);
    expect(t.columns).toEqual(['zero-shot', 'bm25']);
    expect(t.rows.map((r) => [r.label, ...r.cells.map((c) => c?.value)])).toEqual([['rte', 50, 70], ['sst2', 60, 80]]);
    // One `task/*` glob: its rows are tasks, and the header says so; otherwise they are "metric"s.
    expect(renderTable(t, 'markdown')).toContain('| task | zero-shot | bm25 |');
    const mixed = buildTable({ ...spec, metrics: ['task/*', 'average'] }, [{ spec: node('a', 'zero-shot'), metrics: new Map([['task/rte', 50], ['average', 50]]) }]);
    expect(renderTable(mixed, 'markdown')).toContain('| metric  | zero-shot |');
  });

  it('renames rows by `labels` and lists them in its order, others after; names of absent rows are ignored', () => {
    const byNode = (id: string) => ({ id, stage: id.replace(/[#[].*/, ''), params: {} } as unknown as NodeSpec);
    const spec: TableSpec = {
      stage: ['eval', 'base'], row: 'node', metrics: ['average'], digits: 0,
      labels: { 'base[zero-shot]': 'Zero-shot', 'kmeans-eval': 'K-means', 'eval#0': 'LLM-R 1 iteration', 'eval#1': 'LLM-R 2 iterations' },
    };
    const t = buildTable(spec, [
      { spec: byNode('eval#1'), metrics: new Map([['average', 3]]) },
      { spec: byNode('eval#0'), metrics: new Map([['average', 2]]) },
      { spec: byNode('other'), metrics: new Map([['average', 9]]) },
      { spec: byNode('base[zero-shot]'), metrics: new Map([['average', 1]]) },
    ]);
    expect(t.rows.map((r) => [r.label, r.cells[0]?.value])).toEqual([['Zero-shot', 1], ['LLM-R 1 iteration', 2], ['LLM-R 2 iterations', 3], ['other', 9]]);
    // Transposed (one row per task), the named rows become the columns, in the same order.
    const tasks = buildTable({ ...spec, metrics: ['task/*'], transpose: true }, [
      { spec: byNode('eval#0'), metrics: new Map([['task/rte', 60]]) },
      { spec: byNode('base[zero-shot]'), metrics: new Map([['task/rte', 50]]) },
    ]);
    expect(tasks.columns).toEqual(['Zero-shot', 'LLM-R 1 iteration']);
    expect(renderTable(tasks, 'markdown')).toContain('| rte  |        50 |                60 |');
  });

  it('says which metrics no node records, instead of leaving a silent column of dashes', () => {
    const spec: TableSpec = { stage: 'eval', metrics: ['acuracy', 'f1', 'loss/*'] };
    const t = buildTable(spec, [
      { spec: node('a', 'x'), metrics: new Map([['accuracy', 0.5], ['f1', 0.4]]) },
      { spec: node('b', 'y'), metrics: undefined },
    ]);
    expect(t.unrecorded?.map((u) => u.metric)).toEqual(['acuracy', 'loss/*']);
    const md = renderTable(t, 'markdown');
    expect(md).toContain("(no node records metric 'acuracy' (did you mean 'accuracy'?); recorded: accuracy, f1)");
    expect(md).toContain("(no metric matches 'loss/*'; recorded: accuracy, f1)");
    expect(md).toContain('(no results yet for: b)');
    expect(renderTable(t, 'latex')).toContain("% (no node records metric 'acuracy'");
    expect(renderTable(t, 'html')).toContain(`<p class="note">(no node records metric 'acuracy'`);
    // Before any result exists, "no results yet" says it all.
    expect(buildTable(spec, [{ spec: node('b', 'y'), metrics: undefined }]).unrecorded).toBeUndefined();
  });
});
