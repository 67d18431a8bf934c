// Where each cell comes from: the nodes behind it, their keys, the runs that produced their
// entries, and the values that were pooled. Footnotes, HTML titles and `retort table --explain`.
import { canonicalAggregation } from './aggregate.js';
import { cellParts, plainCellText, shortKey } from './cell-text.js';
import type { Cell, CellSource, TableData } from './table-data.js';

/** Why a source gives no value, or the run that produced it: ` run 2026…`, ` (never computed)`. */
export function sourceState(s: CellSource): string {
  if (s.status === 'ok') return s.value === undefined ? ` (no ${s.metric})` : s.runId ? ` run ${s.runId}` : '';
  if (s.status === 'stale') return ` (stale: ${s.detail ?? 'key changed'})`;
  return s.status === 'new' ? ' (never computed)' : ' (no results yet)';
}

/** A source in one line: `eval[a] 1a2b3c4d5e6f run 20261201-…` (or why it has no value). */
export function sourceLine(s: CellSource, keyLength: 'short' | 'full' = 'short'): string {
  return `${s.node} ${keyLength === 'short' ? shortKey(s.key) : s.key ?? '?'}${sourceState(s)}`;
}

/** The MLflow page of the run that produced an entry, when its tracking server is a web address. */
export function mlflowRunUrl(s: CellSource): string | undefined {
  const t = s.tracking;
  if (!t?.mlflowRunId || !t.trackingUri || !/^https?:\/\//.test(t.trackingUri)) return undefined;
  return `${t.trackingUri.replace(/\/+$/, '')}/#/experiments/${encodeURIComponent(t.experimentId ?? '0')}/runs/${encodeURIComponent(t.mlflowRunId)}`;
}

/** Each cell with an id, with where it is: `{table, row, column}`. */
export interface LocatedCell { id: string; table: TableData; tableIndex: number; row: string; column: string; cell: Cell }

export function locatedCells(tables: TableData[]): LocatedCell[] {
  const found: LocatedCell[] = [];
  tables.forEach((table, tableIndex) => {
    for (const r of table.rows) r.cells.forEach((cell, i) => {
      if (cell?.id) found.push({ id: cell.id, table, tableIndex, row: r.label, column: table.columns[i]!, cell }); // a row has one cell per column
    });
  });
  return found;
}

/** A cell named by its footnote id (`c3`) or as `row/column` (either may contain `/`). */
export function findCells(tables: TableData[], name: string): LocatedCell[] {
  const cells = locatedCells(tables);
  const byId = cells.filter((c) => c.id === name || `[^${c.id}]` === name);
  if (byId.length) return byId;
  return cells.filter((c) => `${c.row}/${c.column}` === name);
}

function statisticName(t: TableData): string {
  switch (canonicalAggregation(t.spec.aggregate)) {
    case 'std': return 'mean ± std';
    case 'sem': return 'mean ± sem';
    default: return canonicalAggregation(t.spec.aggregate);
  }
}

/** What `retort table --explain` prints for one cell. */
export function explainCell(c: LocatedCell, tableTitle: string): string {
  const parts = cellParts(c.cell, c.table.spec);
  const shown = parts ? plainCellText(parts) : c.table.spec.missing ?? '–';
  const lines = [
    `cell ${c.id}: table ${c.tableIndex + 1} "${tableTitle}", row ${c.row}, column ${c.column}`,
    `  value: ${shown}${parts ? ` (${statisticName(c.table)} of ${c.cell.n} value${c.cell.n === 1 ? '' : 's'}${c.table.spec.scale !== undefined && c.table.spec.scale !== 1 ? `, each × ${c.table.spec.scale}` : ''})` : ''}${c.cell.best ? ', best of its column' : ''}`,
    `  nodes (${c.cell.sources.length}):`,
  ];
  for (const s of c.cell.sources) {
    lines.push(`    ${s.node}`);
    lines.push(`      key:    ${s.key ?? '?'}`);
    if (s.status === 'ok') {
      lines.push(`      run:    ${s.runId ?? '(unknown)'}${s.tracking?.mlflowRunId ? `  (MLflow run ${s.tracking.mlflowRunId})` : ''}`);
      lines.push(`      value:  ${s.metric} = ${s.value ?? '(not recorded)'}`);
    } else {
      lines.push(`      status: ${s.status === 'stale' ? `stale: ${s.detail ?? 'key changed'} (an older entry is stored)` : s.status === 'new' ? 'never computed' : 'no results yet'}`);
    }
  }
  return lines.join('\n');
}
