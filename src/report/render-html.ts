// HTML: a standalone page with each table; every cell carries the keys of its nodes (data-keys), a
// title naming them, and a link to its entry in the provenance list under the tables, which links
// to the MLflow runs when the tracking server is a web address.
import { cellParts, headerCells, plainCellText, tableTitle } from './cell-text.js';
import { tableNotes } from './notes.js';
import { mlflowRunUrl, sourceLine, sourceState } from './provenance.js';
import type { Cell, TableData } from './table-data.js';

export function htmlEscape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));
}

function cellHtml(cell: Cell | undefined, t: TableData): string {
  const parts = cellParts(cell, t.spec);
  const text = htmlEscape(parts ? plainCellText(parts) : t.spec.missing ?? '–');
  const shown = cell?.best ? `<strong>${text}</strong>` : text;
  if (!cell?.sources.length) return `<td>${shown}</td>`;
  const keys = [...new Set(cell.sources.map((s) => s.key).filter((k): k is string => !!k))].join(' ');
  const title = [...new Set(cell.sources.map((s) => sourceLine(s)))].join('\n');
  const linked = cell.id ? `<a href="#prov-${cell.id}">${shown}</a>` : shown;
  return `<td${cell.id ? ` id="${cell.id}"` : ''} data-keys="${htmlEscape(keys)}" title="${htmlEscape(title)}">${linked}</td>`;
}

/** One table (and its notes) as an HTML fragment. */
export function renderHtmlTable(t: TableData): string {
  const th = headerCells(t).map((h) => `<th scope="col">${htmlEscape(h)}</th>`).join('');
  const trs = t.rows.map((r) => {
    const leading = [r.label, ...(r.keys ?? [])].map((c, i) => (i === 0 ? `<th scope="row">${htmlEscape(c)}</th>` : `<td class="key">${htmlEscape(c)}</td>`)).join('');
    return `<tr>${leading}${r.cells.map((c) => cellHtml(c, t)).join('')}</tr>`;
  }).join('\n');
  const notes = tableNotes(t).map((n) => `\n<p class="note">${htmlEscape(n)}</p>`).join('');
  return `<table>\n<caption>${htmlEscape(tableTitle(t))}</caption>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody>\n</table>${notes}`;
}

/** The provenance list: one entry per cell, its nodes with full keys, runs and values. */
function provenanceList(tables: TableData[]): string {
  const entries: string[] = [];
  for (const t of tables) for (const r of t.rows) r.cells.forEach((c, i) => {
    if (!c?.id) return;
    const items = c.sources.map((s) => {
      const url = mlflowRunUrl(s);
      const run = s.runId ? ` · run <code>${htmlEscape(s.runId)}</code>` : '';
      const link = url ? ` · <a href="${htmlEscape(url)}">MLflow run</a>` : '';
      const value = s.value !== undefined ? ` · ${htmlEscape(s.metric)} = ${s.value}` : ` ·${htmlEscape(sourceState(s))}`;
      return `<li><code>${htmlEscape(s.node)}</code> key <code>${htmlEscape(s.key ?? '?')}</code>${run}${value}${link}</li>`;
    }).join('');
    entries.push(`<dt id="prov-${c.id}"><a href="#${c.id}">${c.id}</a> ${htmlEscape(tableTitle(t))}: ${htmlEscape(r.label)} / ${htmlEscape(t.columns[i]!)}</dt>\n<dd><ul>${items}</ul></dd>`);
  });
  return entries.length ? `<section id="provenance">\n<h2>Provenance</h2>\n<dl>\n${entries.join('\n')}\n</dl>\n</section>` : '';
}

const STYLE = 'body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1.5em 0}'
  + 'caption{font-weight:bold;text-align:left;padding-bottom:.4em}th,td{padding:.25em .7em}'
  + 'thead th{border-top:2px solid;border-bottom:1px solid}tbody tr:last-child>*{border-bottom:2px solid}'
  + 'td{text-align:right;font-variant-numeric:tabular-nums}td.key{text-align:left}th[scope=row]{text-align:left;font-weight:normal}'
  + 'td a{color:inherit;text-decoration:none}td a:hover{text-decoration:underline}.note{color:#555}dd ul{margin:.2em 0 .8em}';

/** A complete page: every table, then where each cell comes from. */
export function renderHtmlDocument(tables: TableData[], title: string): string {
  return ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>${htmlEscape(title)}</title>`,
    `<style>${STYLE}</style>`, '</head>', '<body>', `<h1>${htmlEscape(title)}</h1>`,
    ...tables.map(renderHtmlTable), provenanceList(tables), '</body>', '</html>'].filter(Boolean).join('\n');
}
