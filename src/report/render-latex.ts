// LaTeX: a booktabs tabular (\toprule, \midrule, \bottomrule) ready to \input inside a table float;
// text escaped, ± as $\pm$, the best value in \textbf, notes as comments.
import { cellParts, headerCells, tableTitle } from './cell-text.js';
import { tableNotes } from './notes.js';
import type { Cell, TableData } from './table-data.js';

const SPECIAL: Record<string, string> = {
  '\\': '\\textbackslash{}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}',
  '&': '\\&', '%': '\\%', '$': '\\$', '#': '\\#', '_': '\\_', '{': '\\{', '}': '\\}',
  '±': '$\\pm$', '–': '--', '—': '---', '<': '\\textless{}', '>': '\\textgreater{}', '|': '\\textbar{}',
};

export function latexEscape(s: string): string {
  return s.replace(/[\\~^&%$#_{}±–—<>|]/g, (c) => SPECIAL[c]!); // the pattern matches only keys of SPECIAL
}

function cellText(cell: Cell | undefined, t: TableData): string {
  const parts = cellParts(cell, t.spec);
  if (!parts) return latexEscape(t.spec.missing ?? '–');
  const text = `${latexEscape(parts.value)}${parts.spread !== undefined ? ` $\\pm$ ${latexEscape(parts.spread)}` : ''}${parts.n !== undefined ? ` ($n{=}${parts.n}$)` : ''}`;
  return cell?.best ? `\\textbf{${text}}` : text;
}

/** A comment line: nothing after a newline may escape the %. */
function comment(text: string): string {
  return `% ${text.replace(/[\r\n]+/g, ' ')}`;
}

export function renderLatex(t: TableData): string {
  const lead = 1 + (t.keyColumns?.length ?? 0);
  const cols = 'l'.repeat(lead) + 'r'.repeat(t.columns.length);
  const row = (cells: string[]) => `${cells.join(' & ')} \\\\`;
  return [
    comment(tableTitle(t)),
    `\\begin{tabular}{${cols}}`,
    '\\toprule',
    row(headerCells(t).map(latexEscape)),
    '\\midrule',
    ...t.rows.map((r) => row([latexEscape(r.label), ...(r.keys ?? []).map(latexEscape), ...r.cells.map((c) => cellText(c, t))])),
    '\\bottomrule',
    '\\end{tabular}',
    ...tableNotes(t).map(comment),
  ].join('\n');
}
