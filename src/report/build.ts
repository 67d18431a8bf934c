// Builds a table from its nodes: rows and columns by label (or by metric), cells pooled and
// aggregated, the Avg column, the best of each column, and the transposed layout.
import type { BestDirection, NodeSpec, TableSpec } from '../graph/types.js';
import { aggregate } from './aggregate.js';
import { defaultRowExpression, isTrialExpression, nodeLabels, trialOrder, type LabelContext } from './labels.js';
import { displayedValue } from './numbers.js';
import type { Cell, CellSource, NodeStatus, TableData, TableNode, TableRow } from './table-data.js';

export function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('(.*)');
  return new RegExp(`^${escaped}$`);
}

/** A column of a table: its label, the metric that fills it, and the `metrics` entry that named it. */
export interface Column { label: string; metric: string; pattern: string }

export function statusOf(n: TableNode): NodeStatus {
  return n.status ?? (n.metrics ? 'ok' : 'pending');
}

export function sourceOf(n: TableNode, metric: string): CellSource {
  const status = statusOf(n);
  const value = status === 'ok' ? n.metrics?.get(metric) : undefined;
  return {
    node: n.spec.id, metric, status,
    ...(n.key ? { key: n.key } : {}), ...(value !== undefined ? { value } : {}), ...(n.detail ? { detail: n.detail } : {}),
    ...(n.runId ? { runId: n.runId } : {}), ...(n.tracking ? { tracking: n.tracking } : {}),
  };
}

/** Columns of a table without `column`: metric names as they are, globs expanded over the recorded names. */
function metricColumns(spec: TableSpec, names: Set<string>): Column[] {
  const columns: Column[] = [];
  const seen = new Set<string>();
  for (const m of spec.metrics) {
    if (!m.includes('*')) { if (!seen.has(m)) { seen.add(m); columns.push({ label: m, metric: m, pattern: m }); } continue; }
    const re = globToRegExp(m);
    for (const name of names) {
      const match = re.exec(name);
      if (!match) continue;
      const label = match.slice(1).join('/') || name;
      if (!seen.has(label)) { seen.add(label); columns.push({ label, metric: name, pattern: m }); }
    }
  }
  return columns;
}

function unrecordedMetrics(spec: TableSpec, nodes: TableNode[], names: Set<string>): TableData['unrecorded'] {
  // Said only when some node has results: before that, "no results yet" explains the empty cells.
  if (!nodes.some((n) => n.metrics)) return [];
  return spec.metrics
    .filter((m) => (m.includes('*') ? ![...names].some((name) => globToRegExp(m).test(name)) : !names.has(m)))
    .map((m) => ({ metric: m, recorded: [...names].sort() }));
}

/** Pools sources into a cell: the aggregate of the values present (scaled), and every node behind it. */
export function poolCell(sources: CellSource[], spec: TableSpec): Cell | undefined {
  if (!sources.length) return undefined;
  const scale = spec.scale ?? 1;
  const values = sources.filter((s) => s.value !== undefined).map((s) => s.value! * scale);
  return values.length ? { ...aggregate(values, spec.aggregate), sources } : { n: 0, sources };
}

/**
 * Labels listed in the order `labels` names them (renamed), then the others: by the sweep's order for
 * trial expressions, else as first seen. Labels whose display names coincide are pooled.
 */
function orderLabels(seen: string[], expr: string, spec: TableSpec, ctx: LabelContext): { label: string; raw: string[] }[] {
  let raw = seen;
  if (isTrialExpression(expr)) {
    const order = trialOrder(expr, ctx);
    raw = [...seen].sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
  }
  const labels = spec.labels;
  if (!labels) return raw.map((r) => ({ label: r, raw: [r] }));
  const named = new Map<string, string[]>();
  for (const [r, label] of Object.entries(labels)) if (raw.includes(r)) named.set(label, [...(named.get(label) ?? []), r]);
  const rest = raw.filter((r) => !Object.hasOwn(labels, r)).map((r) => ({ label: r, raw: [r] }));
  return [...[...named].map(([label, members]) => ({ label, raw: members })), ...rest];
}

export function buildTable(spec: TableSpec, nodes: TableNode[], ctx: LabelContext = {}): TableData {
  const names = new Set<string>();
  for (const n of nodes) for (const name of n.metrics?.keys() ?? []) names.add(name);
  const rowExpr = spec.row ?? (nodes[0] ? defaultRowExpression(nodes[0].spec) : 'node');
  const rowOf = (s: NodeSpec) => nodeLabels(s, spec.row, ctx);

  // Cells by raw row label and column label, each the list of sources behind it.
  const cells = new Map<string, Map<string, CellSource[]>>();
  const rowSeen: string[] = [];
  const colSeen: string[] = [];
  const colKnown = new Set<string>();
  const add = (row: string, col: string, source: CellSource) => {
    if (!cells.has(row)) { cells.set(row, new Map()); rowSeen.push(row); }
    const byCol = cells.get(row)!;
    if (!byCol.has(col)) byCol.set(col, []);
    byCol.get(col)!.push(source);
  };
  let columns: Column[];
  let colRaw: Map<string, string[]> | undefined;
  if (spec.column) {
    // The recipe checks gave a table with `column` exactly one metric.
    const [metric] = spec.metrics;
    if (metric === undefined) throw new Error('internal: a table with `column` and no metric');
    for (const n of nodes) {
      for (const col of nodeLabels(n.spec, spec.column, ctx)) {
        if (!colKnown.has(col)) { colKnown.add(col); colSeen.push(col); }
        for (const row of rowOf(n.spec)) add(row, col, sourceOf(n, metric));
      }
    }
    const groups = orderLabels(colSeen, spec.column, spec, ctx);
    columns = groups.map(({ label }) => ({ label, metric, pattern: metric }));
    colRaw = new Map(groups.map(({ label, raw }) => [label, raw]));
  } else {
    columns = metricColumns(spec, names);
    for (const n of nodes) {
      for (const row of rowOf(n.spec)) {
        if (!cells.has(row)) { cells.set(row, new Map()); rowSeen.push(row); }
        // A node with results feeds the columns it records; one without may feed any of them.
        for (const c of columns) if (!n.metrics || statusOf(n) !== 'ok' || n.metrics.has(c.metric)) add(row, c.label, sourceOf(n, c.metric));
      }
    }
  }

  const rows: TableRow[] = orderLabels(rowSeen, rowExpr, spec, ctx).map(({ label, raw }) => ({
    label,
    cells: columns.map((c) => {
      const sources = raw.flatMap((r) => (colRaw ? colRaw.get(c.label)! : [c.label]).flatMap((col) => cells.get(r)?.get(col) ?? []));
      return poolCell(dedupe(sources), spec);
    }),
  }));

  if (spec.average) {
    columns.push({ label: 'Avg', metric: 'Avg', pattern: 'Avg' });
    for (const row of rows) row.cells.push(averageCell(row.cells));
  }
  markBest(spec, columns, rows);

  const built: TableData = {
    spec, rowHeader: spec.transpose ? transposedHeader(spec) : spec.row ? spec.row.split('.').pop() ?? '' : '',
    columns: columns.map((c) => c.label), rows,
    missing: nodes.filter((n) => statusOf(n) !== 'ok').map((n) => n.spec.id), nodes: [],
  };
  const unrecorded = unrecordedMetrics(spec, nodes, names);
  if (unrecorded?.length) built.unrecorded = unrecorded;
  const table = spec.transpose ? transpose(built) : built;
  table.nodes = nodeNotes(nodes, table.rows, table.columns, spec.average === true);
  return table;
}

/** Rows of a transposed table are metrics; `task/*` alone names them "task". */
function transposedHeader(spec: TableSpec): string {
  const prefix = spec.metrics.length === 1 ? /^([^*/]+)\/\*$/.exec(spec.metrics[0]!)?.[1] : undefined;
  return prefix ?? 'metric';
}

/** A node shared by trials that land in one cell is counted once there. */
export function dedupe(sources: CellSource[]): CellSource[] {
  const seen = new Set<string>();
  return sources.filter((s) => {
    const id = `${s.node}\u0000${s.metric}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The mean of a row's columns, when every one has a value. */
function averageCell(cells: (Cell | undefined)[]): Cell | undefined {
  const sources = cells.flatMap((c) => c?.sources ?? []);
  if (!sources.length) return undefined;
  const present = cells.filter((c): c is Cell & { value: number } => c?.value !== undefined);
  if (present.length !== cells.length || !present.length) return { n: 0, sources };
  return { value: present.reduce((s, c) => s + c.value, 0) / present.length, n: 1, sources };
}

export function bestDirection(spec: TableSpec, column: { label: string; metric: string; pattern: string }): BestDirection | undefined {
  const best = spec.best;
  if (best === undefined || typeof best === 'string') return best;
  return best[column.pattern] ?? best[column.metric] ?? best[column.label];
}

/** Bold the best printed value of each column (ties all bold); computed before transposing, so it stays the metric's best. */
export function markBest(spec: TableSpec, columns: Column[], rows: TableRow[]): void {
  columns.forEach((column, i) => {
    const direction = bestDirection(spec, column);
    if (!direction) return;
    const shown = rows.map((r) => r.cells[i]?.value).filter((v): v is number => v !== undefined && Number.isFinite(v)).map((v) => displayedValue(v, spec));
    if (!shown.length) return;
    const target = direction === 'max' ? Math.max(...shown) : Math.min(...shown);
    for (const r of rows) {
      const cell = r.cells[i];
      if (cell?.value !== undefined && displayedValue(cell.value, spec) === target) cell.best = true;
    }
  });
}

/** Each node without a current result, and the cells (`row/column`) it leaves empty or short. */
export function nodeNotes(nodes: TableNode[], rows: TableRow[], columns: string[], average: boolean): TableData['nodes'] {
  const cellsOf = new Map<string, string[]>();
  for (const r of rows) {
    r.cells.forEach((c, i) => {
      for (const s of c?.sources ?? []) {
        if (s.status === 'ok' || (average && (columns[i] === 'Avg' || r.label === 'Avg'))) continue;
        const list = cellsOf.get(s.node) ?? [];
        const name = `${r.label}/${columns[i]}`;
        if (!list.includes(name)) list.push(name);
        cellsOf.set(s.node, list);
      }
    });
  }
  return nodes.map((n) => ({ id: n.spec.id, status: statusOf(n), ...(n.detail ? { detail: n.detail } : {}), cells: cellsOf.get(n.spec.id) ?? [] }));
}

/** One row per column and one column per row (e.g. tasks as rows, methods as columns). */
export function transpose(t: TableData): TableData {
  return {
    ...t,
    columns: t.rows.map((r) => r.label),
    rows: t.columns.map((label, i) => ({ label, cells: t.rows.map((r) => r.cells[i]) })),
  };
}
