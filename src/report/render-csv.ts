// CSV: a header line and one line per row; the best value of a column is marked **like this**, the
// Markdown way, since CSV has no bold. A cell without a value is an empty field unless `missing` says otherwise.
import { cellParts, headerCells, plainCellText } from './cell-text.js';
import type { TableData } from './table-data.js';

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(t: TableData): string {
  const body = t.rows.map((r) => [r.label, ...(r.keys ?? []), ...r.cells.map((c) => {
    const parts = cellParts(c, t.spec);
    if (!parts) return t.spec.missing ?? '';
    return c?.best ? `**${plainCellText(parts)}**` : plainCellText(parts);
  })]);
  return [headerCells(t), ...body].map((r) => r.map(csvField).join(',')).join('\n');
}
