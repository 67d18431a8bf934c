// Renders table data as Markdown, CSV, LaTeX or HTML.
import type { TableSpec } from '../graph/types.js';
import { closest } from '../util/suggest.js';
import { tableStages, type Cell, type TableData } from './collect.js';

/** Output formats of `retort report --format` (one for all tables of a call). */
export type Format = 'markdown' | 'csv' | 'latex' | 'html';

function cellText(cell: Cell | undefined, digits: number, format: Format): string {
  if (!cell) return format === 'csv' ? '' : '–';
  const v = cell.value.toFixed(digits);
  if (cell.spread === undefined) return v;
  const pm = format === 'latex' ? ' $\\pm$ ' : format === 'csv' ? ' ± ' : ' ± ';
  return `${v}${pm}${cell.spread.toFixed(digits)}`;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function latexEscape(s: string): string {
  return s.replace(/([\\&%$#_{}~^])/g, (c) => (c === '\\' ? '\\textbackslash{}' : c === '~' ? '\\textasciitilde{}' : c === '^' ? '\\textasciicircum{}' : `\\${c}`));
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));
}

/** Rows of a transposed table are metrics; `task/*` alone names them "task". */
function transposedHeader(spec: TableSpec): string {
  const prefix = spec.metrics.length === 1 ? /^([^*/]+)\/\*$/.exec(spec.metrics[0])?.[1] : undefined;
  return prefix ?? 'metric';
}

/** "(no node records metric 'acc'; recorded: …)" for each metric of the spec that no result has. */
function unrecordedNotes(t: TableData): string[] {
  return (t.unrecorded ?? []).map(({ metric, recorded }) => {
    const kind = metric.includes('*') ? `no metric matches '${metric}'` : `no node records metric '${metric}'`;
    const guess = metric.includes('*') ? undefined : closest(metric, recorded);
    const listed = recorded.length > 12 ? `${recorded.slice(0, 12).join(', ')}, … (${recorded.length})` : recorded.join(', ');
    return `(${kind}${guess ? ` (did you mean '${guess}'?)` : ''}; recorded: ${listed || 'none'})`;
  });
}

export function renderTable(t: TableData, format: Format): string {
  const digits = t.spec.digits ?? 2;
  const header = [t.spec.transpose ? transposedHeader(t.spec) : (t.spec.row ?? '').split('.').pop() ?? '', ...t.columns];
  const body = t.rows.map((r) => [r.label, ...r.cells.map((c) => cellText(c, digits, format))]);
  const title = t.spec.title ?? tableStages(t.spec).join(' + ');
  const notes = [...(t.missing.length ? [`(no results yet for: ${t.missing.join(', ')})`] : []), ...unrecordedNotes(t)];
  const note = notes.join('\n');
  switch (format) {
    case 'csv':
      return [header, ...body].map((r) => r.map(csvField).join(',')).join('\n');
    case 'latex': {
      const cols = `l${'r'.repeat(t.columns.length)}`;
      const lines = [`% ${title}`, `\\begin{tabular}{${cols}}`, '\\toprule', header.map(latexEscape).join(' & ') + ' \\\\', '\\midrule',
        ...body.map((r) => r.map((c, i) => (i === 0 ? latexEscape(c) : c)).join(' & ') + ' \\\\'), '\\bottomrule', '\\end{tabular}', ...unrecordedNotes(t).map((n) => `% ${n}`)];
      return lines.join('\n');
    }
    case 'html': {
      const th = header.map((h) => `<th>${htmlEscape(h)}</th>`).join('');
      const trs = body.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${htmlEscape(c)}</th>` : `<td>${htmlEscape(c)}</td>`)).join('')}</tr>`).join('\n');
      const after = unrecordedNotes(t).map((n) => `\n<p>${htmlEscape(n)}</p>`).join('');
      return `<table>\n<caption>${htmlEscape(title)}</caption>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody>\n</table>${after}`;
    }
    default: {
      const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length), 3));
      const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
      const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ')} |`;
      return [`### ${title}`, '', line(header), rule, ...body.map(line), ...(note ? ['', note] : [])].join('\n');
    }
  }
}

export function renderTables(specs: TableSpec[], tables: TableData[], format: Format): string {
  return tables.map((t) => renderTable(t, format)).join('\n\n');
}
