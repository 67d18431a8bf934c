// The lines under a table: nodes without current results (stale, never computed, pending) and
// metrics no node records.
import { closest } from '../util/suggest.js';
import type { TableData } from './table-data.js';

/** How many nodes a note lists by name before it only counts the rest. */
const LISTED = 10;

function listed(items: string[]): string {
  return items.length > LISTED ? `${items.slice(0, LISTED).join('; ')}; … and ${items.length - LISTED} more` : items.join('; ');
}

function cellsOf(cells: string[]): string {
  if (!cells.length) return '';
  return ` → ${cells.length > 4 ? `${cells.slice(0, 4).join(', ')}, … (${cells.length} cells)` : cells.join(', ')}`;
}

/** Nodes that leave the same cells empty for the same reason are listed together: `a, b, c → rte/BM25`. */
function grouped(nodes: TableData['nodes'], withDetail: boolean): string[] {
  const groups = new Map<string, { ids: string[]; detail?: string; cells: string[] }>();
  for (const n of nodes) {
    const id = `${withDetail ? n.detail ?? '' : ''}\u0000${n.cells.join('\u0000')}`;
    const g = groups.get(id) ?? { ids: [], detail: n.detail, cells: n.cells };
    g.ids.push(n.id);
    groups.set(id, g);
  }
  return [...groups.values()].map((g) => `${g.ids.join(', ')}${withDetail ? ` (${g.detail ?? 'key changed'})` : ''}${cellsOf(g.cells)}`);
}

export function tableNotes(t: TableData): string[] {
  const notes: string[] = [];
  const stale = t.nodes.filter((n) => n.status === 'stale');
  const never = t.nodes.filter((n) => n.status === 'new');
  const pending = t.nodes.filter((n) => n.status === 'pending');
  if (stale.length) notes.push(`(stale: an older result is stored, \`retort run\` recomputes: ${listed(grouped(stale, true))})`);
  if (never.length) notes.push(`(missing, never computed: ${listed(grouped(never, false))})`);
  if (pending.length) notes.push(`(no results yet for: ${pending.length > LISTED ? `${pending.slice(0, LISTED).map((n) => n.id).join(', ')}, … and ${pending.length - LISTED} more` : pending.map((n) => n.id).join(', ')})`);
  for (const { metric, recorded } of t.unrecorded ?? []) {
    const kind = metric.includes('*') ? `no metric matches '${metric}'` : `no node records metric '${metric}'`;
    const guess = metric.includes('*') ? undefined : closest(metric, recorded);
    const names = recorded.length > 12 ? `${recorded.slice(0, 12).join(', ')}, … (${recorded.length})` : recorded.join(', ');
    notes.push(`(${kind}${guess ? ` (did you mean '${guess}'?)` : ''}; recorded: ${names || 'none'})`);
  }
  return [...notes, ...(t.hints ?? [])];
}
