// Markdown: a pipe table under a `###` title, bold best values, and (with provenance) a footnote per
// cell listing the nodes, keys and runs behind it.
import { cellParts, headerCells, plainCellText, tableTitle } from './cell-text.js';
import { tableNotes } from './notes.js';
import { sourceLine } from './provenance.js';
import type { Cell, TableData } from './table-data.js';

export interface MarkdownOptions { provenance?: boolean }

/** Pipes inside a cell would end it. */
function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function cellText(cell: Cell | undefined, t: TableData, provenance: boolean): string {
  const parts = cellParts(cell, t.spec);
  const text = parts ? plainCellText(parts) : t.spec.missing ?? '–';
  const bold = cell?.best ? `**${text}**` : text;
  return provenance && cell?.id ? `${bold}[^${cell.id}]` : bold;
}

export function renderMarkdown(t: TableData, opts: MarkdownOptions = {}): string {
  const provenance = opts.provenance === true;
  const header = headerCells(t).map(mdCell);
  const lead = 1 + (t.keyColumns?.length ?? 0);
  const body = t.rows.map((r) => [r.label, ...(r.keys ?? []), ...r.cells.map((c) => cellText(c, t, provenance))].map(mdCell));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length), 3)); // every row has a cell per header cell
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < lead ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i < lead ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ')} |`;
  const notes = tableNotes(t);
  const out = [`### ${tableTitle(t)}`, '', line(header), rule, ...body.map(line)];
  if (notes.length) out.push('', ...notes);
  if (provenance) {
    const footnotes = t.rows.flatMap((r) => r.cells).filter((c): c is Cell => !!c?.id)
      .map((c) => `[^${c.id}]: ${c.sources.map((s) => sourceLine(s)).join('; ')}`);
    if (footnotes.length) out.push('', ...footnotes);
  }
  return out.join('\n');
}
