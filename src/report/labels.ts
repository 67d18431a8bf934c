// Row and column labels of a table's nodes: item, item.<field>, iter, params.<path>, node, stage,
// trial (the trial id) and trial.<axis path> (the value a sweep trial gives an axis).
import type { NodeSpec, TrialInfo } from '../graph/types.js';
import type { Plain } from '../recipe/load.js';

export interface LabelContext {
  /** The sweep's trials by id, in the sweep's order (absent outside a sweep). */
  trials?: Map<string, TrialInfo>;
}

/** The expression a table uses when it names no `row`. */
export function defaultRowExpression(spec: NodeSpec): string {
  return spec.itemKey !== undefined ? 'item' : spec.iteration !== undefined ? 'iter' : 'node';
}

export function isTrialExpression(expr: string): boolean {
  return expr === 'trial' || expr.startsWith('trial.');
}

function text(value: unknown): string {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function walk(value: unknown, path: string[]): unknown {
  let cur = value;
  for (const seg of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  return cur;
}

/**
 * The labels a node takes under an expression. One, except under a trial expression for a node that
 * trials share while differing on the axis (a baseline every alpha uses): it is in each of their rows.
 * A form that gives the node no value falls back to its id, so the node is still shown.
 */
export function nodeLabels(spec: NodeSpec, expr: string | undefined, ctx: LabelContext = {}): string[] {
  const e = expr ?? defaultRowExpression(spec);
  if (e === 'node') return [spec.id];
  if (e === 'stage') return [spec.stage];
  if (e === 'iter' || e === 'iteration') return [String(spec.iteration ?? '')];
  if (isTrialExpression(e)) {
    const ids = spec.trials ?? [];
    if (e === 'trial') return ids.length ? ids : [spec.id];
    const axis = e.slice('trial.'.length);
    const values = new Set<string>();
    for (const id of ids) {
      const assigned = ctx.trials?.get(id)?.assignments;
      if (assigned && Object.hasOwn(assigned, axis)) values.add(text(assigned[axis] as Plain));
    }
    return values.size ? [...values] : [spec.id];
  }
  const [head, ...rest] = e.split('.');
  if (head !== 'item' && head !== 'params') return [spec.id];
  const value = walk(head === 'item' ? spec.item : spec.params, rest);
  return value === undefined ? [spec.id] : [text(value)];
}

/** The one label of a node (the first, for a node in several trial rows). */
export function rowLabel(spec: NodeSpec, row: string | undefined, ctx: LabelContext = {}): string {
  return nodeLabels(spec, row, ctx)[0]!; // a node always has a label (its id at least)
}

/** Where a label falls in the sweep's order of an axis (labels the axis never takes go last). */
export function trialOrder(expr: string, ctx: LabelContext): Map<string, number> {
  const order = new Map<string, number>();
  const axis = expr === 'trial' ? undefined : expr.slice('trial.'.length);
  for (const trial of ctx.trials?.values() ?? []) {
    const label = axis === undefined ? trial.id : Object.hasOwn(trial.assignments, axis) ? text(trial.assignments[axis]) : undefined;
    if (label !== undefined && !order.has(label)) order.set(label, order.size);
  }
  return order;
}
