// The sweep summary: one row per trial with the value it gives each axis, then the metrics of its
// nodes (aggregated over them), best first by the first metric.
import type { SweepInfo, TableSpec } from '../graph/types.js';
import { bestDirection, dedupe, markBest, nodeNotes, poolCell, sourceOf, statusOf, type Column } from './build.js';
import type { Cell, TableData, TableNode, TableRow } from './table-data.js';

/** The axes of a sweep (override paths), in the order its trials first assign them. */
export function sweepAxes(sweep: SweepInfo): string[] {
  const axes: string[] = [];
  for (const t of sweep.trials) for (const path of Object.keys(t.assignments)) if (!axes.includes(path)) axes.push(path);
  return axes;
}

/** The shortest ending of each path that tells it from the others: stages.retriever.params.alpha → alpha. */
export function shortAxisNames(paths: string[]): string[] {
  const parts = paths.map((p) => p.split('.'));
  return parts.map((segs, i) => {
    for (let k = 1; k <= segs.length; k++) {
      const tail = segs.slice(-k).join('.');
      if (parts.every((other, j) => j === i || other.slice(-k).join('.') !== tail)) return tail;
    }
    return segs.join('.');
  });
}

function text(value: unknown): string {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function buildTrialSummary(spec: TableSpec, nodes: TableNode[], sweep: SweepInfo): TableData {
  const axes = sweepAxes(sweep);
  const columns: Column[] = spec.metrics.map((m) => ({ label: m, metric: m, pattern: m }));
  // Nodes by trial, once: a node shared by every trial is in every list.
  const byTrial = new Map<string, TableNode[]>();
  for (const n of nodes) {
    for (const id of n.spec.trials ?? []) {
      const list = byTrial.get(id);
      if (list) list.push(n); else byTrial.set(id, [n]);
    }
  }
  const rows: TableRow[] = sweep.trials.map((trial) => {
    const members = byTrial.get(trial.id) ?? [];
    return {
      label: trial.id,
      keys: axes.map((a) => (Object.hasOwn(trial.assignments, a) ? text(trial.assignments[a]) : '')),
      cells: columns.map((c) => poolCell(dedupe(members.filter((n) => statusOf(n) !== 'ok' || n.metrics?.has(c.metric)).map((n) => sourceOf(n, c.metric))), spec)),
    };
  });
  // Best first by the objective (the first metric); trials without a value yet come last, in sweep order.
  const direction = (columns[0] && bestDirection(spec, columns[0])) ?? 'max';
  const objective = (r: TableRow) => (r.cells[0] as Cell | undefined)?.value;
  rows.sort((a, b) => {
    const va = objective(a), vb = objective(b);
    if (va === undefined || vb === undefined) return (va === undefined ? 1 : 0) - (vb === undefined ? 1 : 0);
    return direction === 'max' ? vb - va : va - vb;
  });
  markBest(spec, columns, rows);
  const labels = columns.map((c) => c.label);
  return {
    spec, rowHeader: 'trial', keyColumns: shortAxisNames(axes), columns: labels, rows,
    missing: nodes.filter((n) => statusOf(n) !== 'ok').map((n) => n.spec.id),
    // Only nodes behind a cell are the summary's to mention (a summary without metrics has none).
    nodes: nodeNotes(nodes, rows, labels, false).filter((n) => n.cells.length),
    ...(columns.length ? {} : { hints: ['(rank the trials by a metric: --objective METRIC, or METRIC:min when lower is better)'] }),
  };
}
