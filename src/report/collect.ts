// Turns the metrics of a stage's nodes into table data: rows by label, columns by metric name or glob.
import type { Plan } from '../graph/plan.js';
import type { CompiledRecipe, NodeSpec, TableSpec } from '../graph/types.js';
import type { Store } from '../store/store.js';
import type { MetricPoint } from '../track/observer.js';

export interface Cell { value: number; spread?: number; n: number }
export interface TableData {
  spec: TableSpec;
  columns: string[];
  rows: { label: string; cells: (Cell | undefined)[] }[];
  /** Nodes without results yet. */
  missing: string[];
  /** Metrics (names or globs) that no node with results records: said, not left as empty cells. */
  unrecorded?: { metric: string; recorded: string[] }[];
}

/** The last value of each metric (highest step, then latest time). */
export function finalMetrics(points: MetricPoint[]): Map<string, number> {
  const best = new Map<string, MetricPoint>();
  for (const p of points) {
    const cur = best.get(p.name);
    if (!cur || p.step > cur.step || (p.step === cur.step && p.timestamp >= cur.timestamp)) best.set(p.name, p);
  }
  return new Map([...best].map(([k, p]) => [k, p.value]));
}

/** The stages a table pools its rows from. */
export function tableStages(spec: TableSpec): string[] {
  return Array.isArray(spec.stage) ? spec.stage : [spec.stage];
}

export function rowLabel(spec: NodeSpec, row: string | undefined): string {
  const expr = row ?? (spec.itemKey !== undefined ? 'item' : spec.iteration !== undefined ? 'iter' : 'node');
  if (expr === 'node') return spec.id;
  if (expr === 'iter' || expr === 'iteration') return String(spec.iteration ?? '');
  const [head, ...rest] = expr.split('.');
  let cur: unknown = head === 'item' ? spec.item : head === 'params' ? spec.params : undefined;
  if (head !== 'item' && head !== 'params') return spec.id;
  for (const seg of rest) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  if (cur === undefined) return spec.id;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('(.*)');
  return new RegExp(`^${escaped}$`);
}

export function buildTable(spec: TableSpec, nodes: { spec: NodeSpec; metrics: Map<string, number> | undefined }[]): TableData {
  const columns: string[] = [];
  const columnMetric = new Map<string, string>();
  const patterns = spec.metrics.map((m) => ({ m, re: m.includes('*') ? globToRegExp(m) : undefined }));
  const names = new Set<string>();
  for (const n of nodes) for (const name of n.metrics?.keys() ?? []) names.add(name);
  for (const { m, re } of patterns) {
    if (!re) { if (!columnMetric.has(m)) { columns.push(m); columnMetric.set(m, m); } continue; }
    for (const name of names) {
      const match = re.exec(name);
      if (!match) continue;
      const label = match.slice(1).join('/') || name;
      if (!columnMetric.has(label)) { columns.push(label); columnMetric.set(label, name); }
    }
  }
  // Said only when some node has results: before that, "no results yet" explains the empty cells.
  const withResults = nodes.some((n) => n.metrics);
  const unrecorded = withResults
    ? patterns.filter(({ m, re }) => (re ? ![...names].some((name) => re.test(name)) : !names.has(m))).map(({ m }) => ({ metric: m, recorded: [...names].sort() }))
    : [];
  const groups = new Map<string, Map<string, number>[]>();
  const missing: string[] = [];
  for (const n of nodes) {
    const label = rowLabel(n.spec, spec.row);
    if (!groups.has(label)) groups.set(label, []);
    if (n.metrics) groups.get(label)!.push(n.metrics);
    else missing.push(n.spec.id);
  }
  const scale = spec.scale ?? 1;
  const rows = orderByLabels([...groups], spec.labels).map(([label, members]) => {
    const cells = columns.map((col) => {
      const values = members.map((m) => m.get(columnMetric.get(col)!)).filter((v): v is number => v !== undefined).map((v) => v * scale);
      return values.length ? aggregate(values, spec.aggregate ?? 'mean') : undefined;
    });
    return { label, cells };
  });
  if (spec.average) {
    columns.push('Avg');
    for (const row of rows) {
      const present = row.cells.filter((c): c is Cell => c !== undefined);
      row.cells.push(present.length === row.cells.length && present.length ? { value: present.reduce((s, c) => s + c.value, 0) / present.length, n: 1 } : undefined);
    }
  }
  const table: TableData = { spec, columns, rows, missing, ...(unrecorded.length ? { unrecorded } : {}) };
  return spec.transpose ? transpose(table) : table;
}

/**
 * Rows renamed by `labels` (raw label → display name) and listed in the mapping's order, the rows
 * it does not name after them in their own order. Rows whose display names coincide are pooled,
 * as rows with the same raw label are.
 */
function orderByLabels<T>(groups: [string, T[]][], labels: Record<string, string> | undefined): [string, T[]][] {
  if (!labels) return groups;
  const named = new Map<string, T[]>();
  for (const raw of Object.keys(labels)) {
    const found = groups.find(([label]) => label === raw);
    if (found) named.set(labels[raw], [...(named.get(labels[raw]) ?? []), ...found[1]]);
  }
  const rest = groups.filter(([label]) => !Object.hasOwn(labels, label));
  return [...named, ...rest];
}

/** One row per column and one column per row (e.g. tasks as rows, methods as columns). */
export function transpose(t: TableData): TableData {
  return {
    ...t,
    columns: t.rows.map((r) => r.label),
    rows: t.columns.map((label, i) => ({ label, cells: t.rows.map((r) => r.cells[i]) })),
  };
}

export function aggregate(values: number[], how: NonNullable<TableSpec['aggregate']>): Cell {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  switch (how) {
    case 'mean±std': return { value: mean, spread: std, n };
    case 'mean±se': return { value: mean, spread: std / Math.sqrt(n), n };
    case 'median': {
      const s = [...values].sort((a, b) => a - b);
      return { value: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, n };
    }
    case 'min': return { value: Math.min(...values), n };
    case 'max': return { value: Math.max(...values), n };
    case 'last': return { value: values[n - 1], n };
    default: return { value: mean, n };
  }
}

/** Table data for every table of a recipe, from this run's outcomes and the stored manifests. */
export async function collectTableRows(recipe: CompiledRecipe, plan: Plan, store: Store,
  outcomes?: Map<string, { outcome: string; metrics: MetricPoint[] }>): Promise<TableData[]> {
  const tables: TableData[] = [];
  for (const spec of recipe.tables) {
    const ids = tableStages(spec).flatMap((stage) => recipe.stages.get(stage) ?? []);
    const nodes = await Promise.all(ids.map(async (id) => {
      const planned = plan.nodes.get(id)!;
      const o = outcomes?.get(id);
      if (o && (o.outcome === 'ran' || o.outcome === 'hit') && o.metrics.length) return { spec: planned.spec, metrics: finalMetrics(o.metrics) };
      if (planned.manifest) return { spec: planned.spec, metrics: finalMetrics(planned.manifest.metrics) };
      const found = await store.lookup(planned.key, { verify: 'none' });
      return { spec: planned.spec, metrics: found.status === 'hit' ? finalMetrics(found.manifest.metrics) : undefined };
    }));
    tables.push(buildTable(spec, nodes));
  }
  return tables;
}
