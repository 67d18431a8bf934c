// Provenance of cells: HTML links to the MLflow run, finding a cell by id or row/column, what
// --explain says of a stale node, and LaTeX escaping of labels.
import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../../src/graph/types.js';
import { buildTable } from '../../src/report/build.js';
import { numberCells } from '../../src/report/cell-text.js';
import { explainCell, findCells, mlflowRunUrl } from '../../src/report/provenance.js';
import { renderTable, renderTables } from '../../src/report/render.js';
import type { TableNode } from '../../src/report/table-data.js';

const spec = (id: string, item: string) => ({ id, stage: 'eval', item, itemKey: item, params: {} } as unknown as NodeSpec);
const KEY = 'ab'.repeat(32);

function table() {
  const nodes: TableNode[] = [
    { spec: spec('eval[a_1]', 'a_1 & b'), metrics: new Map([['acc', 0.5]]), key: KEY, status: 'ok', runId: 'run-1', tracking: { mlflowRunId: 'r9', experimentId: '3', trackingUri: 'http://mlflow.local:5000/' } },
    { spec: spec('eval[c]', 'c'), metrics: undefined, key: 'cd'.repeat(32), status: 'stale', detail: 'params changed: k 8 → 16' },
  ];
  return buildTable({ stage: 'eval', row: 'item', metrics: ['acc'] }, nodes);
}

describe('cell provenance', () => {
  it('HTML links a cell to its provenance entry, and that entry to the MLflow run', () => {
    const t = table();
    expect(mlflowRunUrl(t.rows[0]!.cells[0]!.sources[0]!)).toBe('http://mlflow.local:5000/#/experiments/3/runs/r9');
    const html = renderTables([t.spec], [t], 'html', { title: 'demo' });
    expect(html).toContain(`<td id="c1" data-keys="${KEY}" title="eval[a_1] abababababab run run-1"><a href="#prov-c1">0.50</a></td>`);
    expect(html).toContain('<a href="http://mlflow.local:5000/#/experiments/3/runs/r9">MLflow run</a>');
    expect(html).toContain('<title>demo</title>');
  });

  it('finds cells by footnote id or row/column; explains a stale node', () => {
    const t = table();
    numberCells([t]);
    expect(findCells([t], 'c2').map((c) => c.row)).toEqual(['c']);
    expect(findCells([t], '[^c2]').map((c) => c.row)).toEqual(['c']);
    expect(findCells([t], 'a_1 & b/acc').map((c) => c.id)).toEqual(['c1']);
    const text = explainCell(findCells([t], 'c/acc')[0]!, 'T');
    expect(text).toBe([
      'cell c2: table 1 "T", row c, column acc',
      '  value: –',
      '  nodes (1):',
      '    eval[c]',
      `      key:    ${'cd'.repeat(32)}`,
      '      status: stale: params changed: k 8 → 16 (an older entry is stored)',
    ].join('\n'));
  });

  it('LaTeX escapes labels; CSV leaves a missing cell empty unless `missing` says otherwise', () => {
    const t = table();
    expect(renderTable(t, 'latex')).toContain('a\\_1 \\& b & 0.50 \\\\');
    expect(renderTable(t, 'csv').split('\n')).toEqual(['item,acc', 'a_1 & b,0.50', 'c,']);
    expect(renderTable({ ...t, spec: { ...t.spec, missing: 'n/a' } }, 'csv').split('\n')[2]).toBe('c,n/a');
  });
});
