// Gathers each table's nodes from the plan, this run's outcomes and the store, then builds the tables.
import type { Plan, PlannedNode } from '../graph/plan.js';
import type { CompiledRecipe, TableSpec } from '../graph/types.js';
import type { Store } from '../store/store.js';
import type { MetricPoint } from '../track/observer.js';
import { buildTable } from './build.js';
import type { LabelContext } from './labels.js';
import { buildTrialSummary } from './sweep-summary.js';
import type { TableData, TableNode } from './table-data.js';
import type { NodeId } from '../util/ids.js';

export { aggregate } from './aggregate.js';
export { buildTable, transpose } from './build.js';
export { rowLabel } from './labels.js';
export type { Cell, TableData, TableNode } from './table-data.js';

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

export interface CollectOptions {
  /**
   * The plan explained its misses against the store (`explainMisses`): a miss with an older entry of
   * its node is stale, one without is new. Otherwise a node without results is only pending.
   */
  staleness?: boolean;
}

/** A miss that the plan compared with the node's own older entry is stale; the others were never computed. */
function missStatus(planned: PlannedNode): Pick<TableNode, 'status' | 'detail'> {
  const kind = planned.reason?.kind;
  if (kind === undefined || kind === 'new' || kind === 'unknown' || kind === 'forced') return { status: 'new' };
  return { status: 'stale', detail: planned.reason!.detail };
}

/** A table's nodes with their results (this run's outcome, else the stored entry), or why they have none. */
export async function tableNodes(recipe: CompiledRecipe, spec: TableSpec, plan: Plan, store: Store,
  outcomes?: Map<NodeId, { outcome: string; metrics: MetricPoint[] }>, opts: CollectOptions = {}): Promise<TableNode[]> {
  const ids = tableStages(spec).flatMap((stage) => recipe.stages.get(stage) ?? []);
  return Promise.all(ids.map(async (id): Promise<TableNode> => {
    const planned = plan.nodes.get(id)!;
    const base = { spec: planned.spec, key: planned.key };
    const o = outcomes?.get(id);
    if (planned.manifest && (!o || o.outcome === 'hit')) {
      const m = planned.manifest;
      return { ...base, metrics: finalMetrics(m.metrics), status: 'ok', runId: m.runId, ...(m.tracking ? { tracking: m.tracking } : {}) };
    }
    // Ran in this run (or published by another process since planning): the entry has what it produced.
    const found = await store.lookup(planned.key, { verify: 'none' });
    if (found.status === 'hit') {
      const m = found.manifest;
      return { ...base, metrics: finalMetrics(m.metrics), status: 'ok', runId: m.runId, ...(m.tracking ? { tracking: m.tracking } : {}) };
    }
    if (o && o.outcome === 'ran' && o.metrics.length) return { ...base, metrics: finalMetrics(o.metrics), status: 'ok' };
    return { ...base, metrics: undefined, ...(opts.staleness ? missStatus(planned) : { status: 'pending' }) };
  }));
}

export function labelContext(recipe: CompiledRecipe): LabelContext {
  return recipe.sweep ? { trials: new Map(recipe.sweep.trials.map((t) => [t.id, t])) } : {};
}

/** A table from its nodes: the sweep summary for `summary: trials`, else rows × columns. */
export function tableOf(recipe: CompiledRecipe, spec: TableSpec, nodes: TableNode[]): TableData {
  if (spec.summary === 'trials') return buildTrialSummary(spec, nodes, recipe.sweep ?? { id: '', trials: [] });
  return buildTable(spec, nodes, labelContext(recipe));
}

/** Table data for every table of a recipe (or the specs given), from this run's outcomes and the stored manifests. */
export async function collectTableRows(recipe: CompiledRecipe, plan: Plan, store: Store,
  outcomes?: Map<NodeId, { outcome: string; metrics: MetricPoint[] }>, opts: CollectOptions & { specs?: TableSpec[] } = {}): Promise<TableData[]> {
  const tables: TableData[] = [];
  for (const spec of opts.specs ?? recipe.tables) tables.push(tableOf(recipe, spec, await tableNodes(recipe, spec, plan, store, outcomes, opts)));
  return tables;
}
