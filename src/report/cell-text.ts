// The parts of a cell as printed (value, spread, n), before a format adds its own marks.
import type { TableSpec } from '../graph/types.js';
import { formatNumber } from './numbers.js';
import type { Cell, TableData } from './table-data.js';

export interface CellParts { value: string; spread?: string; n?: number }

/** Undefined for a cell without a value: the renderer prints the table's `missing` text. */
export function cellParts(cell: Cell | undefined, spec: TableSpec): CellParts | undefined {
  if (cell?.value === undefined) return undefined;
  return {
    value: formatNumber(cell.value, spec),
    ...(cell.spread !== undefined ? { spread: formatNumber(cell.spread, spec) } : {}),
    ...(spec.n ? { n: cell.n } : {}),
  };
}

/** Plain text of a cell: `60.0 ± 14.1 (n=3)`. */
export function plainCellText(parts: CellParts): string {
  return `${parts.value}${parts.spread !== undefined ? ` ± ${parts.spread}` : ''}${parts.n !== undefined ? ` (n=${parts.n})` : ''}`;
}

/** Numbers every cell that has nodes behind it (c1, c2, …), across the tables in output order. */
export function numberCells(tables: TableData[]): void {
  let next = 1;
  for (const t of tables) for (const r of t.rows) for (const c of r.cells) if (c && c.sources.length) c.id = `c${next++}`;
}

/** The table's title: its own, else the stages it reads. */
export function tableTitle(t: TableData): string {
  if (t.spec.title) return t.spec.title;
  const stages = Array.isArray(t.spec.stage) ? t.spec.stage : [t.spec.stage];
  return t.spec.summary === 'trials' ? `Sweep summary (${stages.join(' + ')})` : stages.join(' + ');
}

/** Header cells: the label column, the axis columns of a summary, then the columns. */
export function headerCells(t: TableData): string[] {
  return [t.rowHeader, ...(t.keyColumns ?? []), ...t.columns];
}

/** The short form of a key in footnotes and titles. */
export function shortKey(key: string | undefined): string {
  return key ? key.slice(0, 12) : '?';
}
