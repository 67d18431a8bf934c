// Renders table data as Markdown, CSV, LaTeX or HTML.
import type { TableSpec } from '../graph/types.js';
import { numberCells } from './cell-text.js';
import { renderCsv } from './render-csv.js';
import { renderHtmlDocument, renderHtmlTable } from './render-html.js';
import { renderLatex } from './render-latex.js';
import { renderMarkdown } from './render-markdown.js';
import type { TableData } from './table-data.js';

/** Output formats of `retort table --format` (one for all tables of a call). */
export type Format = 'markdown' | 'csv' | 'latex' | 'html';

export const FORMATS: Format[] = ['markdown', 'csv', 'latex', 'html'];

export interface RenderOptions {
  /** Markdown: a footnote per cell naming the nodes, keys and runs behind it. */
  provenance?: boolean;
  /** HTML: the page title (default: the first table's). */
  title?: string;
}

/** One table; an HTML table is a fragment (renderTables makes the page). */
export function renderTable(t: TableData, format: Format, opts: RenderOptions = {}): string {
  if (t.rows.some((r) => r.cells.some((c) => c?.sources.length && !c.id))) numberCells([t]);
  switch (format) {
    case 'csv': return renderCsv(t);
    case 'latex': return renderLatex(t);
    case 'html': return renderHtmlTable(t);
    default: return renderMarkdown(t, opts);
  }
}

/** Every table of an output; cells are numbered across them, so footnote ids are unique in the output. */
export function renderTables(_specs: TableSpec[], tables: TableData[], format: Format, opts: RenderOptions = {}): string {
  numberCells(tables);
  if (format === 'html') return renderHtmlDocument(tables, opts.title ?? tables[0]?.spec.title ?? 'Tables');
  return tables.map((t) => renderTable(t, format, opts)).join('\n\n');
}
